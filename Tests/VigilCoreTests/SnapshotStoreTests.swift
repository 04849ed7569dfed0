import Testing
@testable import VigilCore

@Suite("Snapshot store")
struct SnapshotStoreTests {
    @Test("families of the same name from several sources merge under one HELP and TYPE, sorted by name")
    func merge() {
        let store = SnapshotStore()
        store.update(source: "redis/b", families: [.gauge("redis_up", "Up.", value: 1, labels: ["server": "b"])])
        store.update(source: "redis/a", families: [.gauge("redis_up", "Up.", value: 0, labels: ["server": "a"]),
                                                   .gauge("a_first", "A.", value: 2)])
        let text = String(decoding: store.body(.text, gzip: false), as: UTF8.self)
        #expect(text == """
            # HELP a_first A.
            # TYPE a_first gauge
            a_first 2
            # HELP redis_up Up.
            # TYPE redis_up gauge
            redis_up{server="a"} 0
            redis_up{server="b"} 1

            """)
    }

    @Test("a duplicate series is served once")
    func noDuplicates() {
        let store = SnapshotStore()
        store.update(source: "x/1", families: [.gauge("g", "G.", value: 1)])
        store.update(source: "x/2", families: [.gauge("g", "G.", value: 2)])
        #expect(store.families().first?.samples.count == 1)
    }

    @Test("bodies are rendered at update time, gzip included, and replaced by the next update")
    func prerendered() throws {
        let store = SnapshotStore()
        store.update(source: "s", families: [.gauge("g", "G.", value: 1)])
        let first = store.bodies()
        #expect(try #require(Gzip.decompress(first.textGzip)) == first.text)
        #expect(try #require(Gzip.decompress(first.openMetricsGzip)) == first.openMetrics)
        store.update(source: "s", families: [.gauge("g", "G.", value: 2)])
        #expect(String(decoding: store.body(.text, gzip: false), as: UTF8.self).contains("g 2\n"))
    }

    @Test("retaining sources drops the families of removed targets")
    func retain() {
        let store = SnapshotStore()
        store.update(source: "a", families: [.gauge("ga", "A.", value: 1)])
        store.update(source: "b", families: [.gauge("gb", "B.", value: 1)])
        store.retain(sources: ["b"])
        #expect(store.families().map(\.name) == ["gb"])
    }
}
