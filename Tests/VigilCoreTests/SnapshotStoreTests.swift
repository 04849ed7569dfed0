import Testing
import VigilTestSupport
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

    @Test("one source's family repeating a series is served once, unless a FamilyBuilder already admitted each series once")
    func duplicatesWithinOneSource() {
        let twice = MetricFamily.gauge("g", "G.", [Sample(["a": "1"], 1), Sample(["a": "1"], 2)])
        #expect(SnapshotStore.merge(["x/1": [twice]]).first?.samples.map(\.value) == [1])
        var builder = FamilyBuilder()
        builder.gauge("g", 1, ["a": "1"])
        builder.gauge("g", 2, ["a": "1"])
        builder.gauge("g", 3, ["a": "2"])
        let built = builder.families
        #expect(SnapshotStore.merge(["x/1": built]) == built)
        // Changing a built family's samples forgets that they were distinct.
        var changed = built[0]
        changed.samples.append(Sample(["a": "2"], 4))
        #expect(SnapshotStore.merge(["x/1": [changed]]).first?.samples.map(\.value) == [1, 3])
        #expect(changed == MetricFamily.gauge("g", "g metric", [Sample(["a": "1"], 1), Sample(["a": "2"], 3), Sample(["a": "2"], 4)]))
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

    @Test("a format nobody asked for is not rendered on landings; the first request for it renders it, and every landing after")
    func onlyDemandedFormats() throws {
        let store = SnapshotStore()
        // Asking before anything landed renders nothing: the bodies stay empty.
        #expect(store.body(.openMetrics, gzip: true).isEmpty)
        store.update(source: "s", families: [.gauge("g", "G.", value: 1), .gauge("h", "H.", value: 3)])
        #expect(store.renderedFormats == [.openMetrics])
        let om = store.body(.openMetrics, gzip: false)
        #expect(String(decoding: om, as: UTF8.self).hasSuffix("# EOF\n"))
        #expect(store.rendering(.openMetrics).bodies.text.isEmpty)

        let text = String(decoding: store.body(.text, gzip: false), as: UTF8.self)
        #expect(text.contains("g 1\n") && text.contains("h 3\n"))
        #expect(store.renderedFormats == [.text, .openMetrics])
        // The same generation, rendered again with both formats: the OpenMetrics bytes are the same.
        #expect(store.body(.openMetrics, gzip: false) == om)
        #expect(try #require(Gzip.decompress(store.body(.text, gzip: true))) == Array(text.utf8))

        store.update(source: "s", families: [.gauge("g", "G.", value: 2)])
        #expect(store.renderedFormats == [.text, .openMetrics])
        #expect(String(decoding: store.rendering(.openMetrics).bodies.text, as: UTF8.self).contains("g 2\n"))
    }

    @Test("retaining sources drops the families of removed targets")
    func retain() {
        let store = SnapshotStore()
        store.update(source: "a", families: [.gauge("ga", "A.", value: 1)])
        store.update(source: "b", families: [.gauge("gb", "B.", value: 1)])
        store.retain(sources: ["b"])
        #expect(store.families().map(\.name) == ["gb"])
    }

    /// What the store rendered before fragments were cached: every source merged, then rendered whole.
    static func reference(_ sources: [String: [MetricFamily]], _ format: ExpositionFormat) -> [UInt8] {
        ExpositionRenderer.render(SnapshotStore.merge(sources), format: format)
    }

    static func expectMatches(_ store: SnapshotStore, _ sources: [String: [MetricFamily]], _ step: String) throws {
        let bodies = store.bodies()
        #expect(bodies.text == reference(sources, .text), "text after \(step)")
        #expect(bodies.openMetrics == reference(sources, .openMetrics), "OpenMetrics after \(step)")
        #expect(try #require(Gzip.decompress(bodies.textGzip)) == bodies.text, "text gzip after \(step)")
        #expect(try #require(Gzip.decompress(bodies.openMetricsGzip)) == bodies.openMetrics, "OpenMetrics gzip after \(step)")
    }

    @Test("cached fragments assemble the same bytes as rendering everything, through landings, removals and retains")
    func fragmentsMatchFullRendering() throws {
        try Self.randomSequence(names: ["a_total", "b", "c_seconds", "shared_up", "shared_total", "x", "z_info"], steps: 300)
    }

    @Test("with many families (many gzip chunks, most reused), bodies and their gzip stay right through landings")
    func manyFamilies() throws {
        try Self.randomSequence(names: (0..<300).map { "family_\($0)" } + ["shared_up"], steps: 120, familiesPerSource: 120)
    }

    @Test("a store scraped only in OpenMetrics, then in text too, serves the same bytes as rendering everything")
    func textDemandedLater() throws {
        try Self.randomSequence(names: (0..<200).map { "family_\($0)" } + ["shared_up"], steps: 120, familiesPerSource: 80, textFrom: 60)
    }

    /// Until step `textFrom`, only OpenMetrics is asked for (and the text bodies must stay unrendered).
    static func randomSequence(names: [String], steps: Int, familiesPerSource: UInt64 = 6, textFrom: Int = 0) throws {
        // A deterministic generator: families shared by several sources (merged, one HELP/TYPE,
        // the first source's), a type conflict (skipped), duplicate series across and within
        // sources, two families of one name in one source, empty families, escapes in HELP.
        var rng = SplitMix64(state: 16)
        let types: [MetricType] = [.counter, .gauge, .histogram, .summary, .untyped]
        func families(for source: String) -> [MetricFamily] {
            var out: [MetricFamily] = []
            for _ in 0..<Int(rng.next() % familiesPerSource) {
                let name = names[Int(rng.next() % UInt64(names.count))]
                let type = rng.next() % 4 == 0 ? types[Int(rng.next() % UInt64(types.count))] : .gauge
                var samples: [Sample] = []
                for _ in 0..<Int(rng.next() % 4) {
                    let server = rng.next() % 3 == 0 ? "shared" : source
                    let suffix = type == .histogram && rng.next() % 2 == 0 ? "_count" : ""
                    samples.append(Sample(["server": server, "i": "\(rng.next() % 3)"], Double(rng.next() % 100) / 4, suffix: suffix))
                }
                out.append(MetricFamily(name: name, help: "Help of \(name) from \(source) \\ \"q\"\n.", type: type, samples: samples))
            }
            return out
        }
        let store = SnapshotStore()
        var sources: [String: [MetricFamily]] = [:]
        let keys = ["app/1", "app/2", "pg/primary", "redis/cache", "rules", "self"]
        for step in 0..<steps {
            let key = keys[Int(rng.next() % UInt64(keys.count))]
            switch rng.next() % 10 {
            case 0:
                store.remove(source: key)
                sources[key] = nil
            case 1:
                let keep = Set(keys.filter { _ in rng.next() % 3 != 0 })
                store.retain(sources: keep)
                sources = sources.filter { keep.contains($0.key) }
            default:
                let fams = families(for: key)
                store.update(source: key, families: fams)
                sources[key] = fams
            }
            if step < textFrom {
                let bodies = store.rendering(.openMetrics).bodies
                #expect(bodies.openMetrics == reference(sources, .openMetrics), "OpenMetrics after step \(step)")
                #expect(try #require(Gzip.decompress(bodies.openMetricsGzip)) == bodies.openMetrics, "OpenMetrics gzip after step \(step)")
                #expect(bodies.text.isEmpty && bodies.textGzip.isEmpty, "text unrendered after step \(step)")
            } else {
                try Self.expectMatches(store, sources, "step \(step)")
            }
        }
    }

    @Test("a family name held by two sources is rendered again when either lands; the other names are reused")
    func sharedNameRerendered() throws {
        let store = SnapshotStore()
        var sources: [String: [MetricFamily]] = [
            "a": [.gauge("up", "Up from a.", value: 1, labels: ["t": "a"]), .gauge("only_a", "A.", value: 1)],
            "b": [.gauge("up", "Up from b.", value: 0, labels: ["t": "b"]), .gauge("only_b", "B.", value: 2)],
        ]
        for (k, v) in sources.sorted(by: { $0.key < $1.key }) { store.update(source: k, families: v) }
        try Self.expectMatches(store, sources, "both landed")
        sources["b"] = [.gauge("up", "Up from b.", value: 5, labels: ["t": "b"]), .gauge("only_b", "B.", value: 3)]
        store.update(source: "b", families: sources["b"]!)
        try Self.expectMatches(store, sources, "b landed again")
        #expect(String(decoding: store.body(.text, gzip: false), as: UTF8.self).contains("# HELP up Up from a.\n"))
        store.remove(source: "a")
        sources["a"] = nil
        try Self.expectMatches(store, sources, "a removed")
        #expect(String(decoding: store.body(.text, gzip: false), as: UTF8.self).contains("# HELP up Up from b.\n"))
    }
}

