import Testing
import VigilCore
@testable import Vigil

@Suite("/metrics bodies shared between requests")
struct MetricsBodiesTests {
    @Test("requests between two landings get the same shared copy of their variant; a landing gives new bytes")
    func oneCopyPerLanding() {
        let store = SnapshotStore()
        let bodies = MetricsBodies(store: store)
        store.update(source: "a", families: [.gauge("g", "G.", value: 1)])
        let first = bodies.body(.text, gzip: false)
        #expect(first === bodies.body(.text, gzip: false))
        #expect(first.bytes == store.body(.text, gzip: false))
        let om = bodies.body(.openMetrics, gzip: true)
        #expect(om !== first)
        #expect(om.bytes == store.body(.openMetrics, gzip: true))
        #expect(om === bodies.body(.openMetrics, gzip: true))

        store.update(source: "a", families: [.gauge("g", "G.", value: 2)])
        let second = bodies.body(.text, gzip: false)
        #expect(second !== first)
        #expect(String(decoding: second.bytes, as: UTF8.self).contains("g 2\n"))
        #expect(bodies.body(.openMetrics, gzip: true).bytes == store.body(.openMetrics, gzip: true))
    }

    @Test("before the first landing every variant is an empty body")
    func emptyBeforeLanding() {
        let bodies = MetricsBodies(store: SnapshotStore())
        #expect(bodies.body(.text, gzip: false).count == 0)
        #expect(bodies.body(.openMetrics, gzip: false).count == 0)
    }
}
