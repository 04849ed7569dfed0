import Testing
import VigilCore
@testable import Vigil

@Suite("/metrics bodies shared between requests")
struct MetricsBodiesTests {
    static let openMetricsGzip = (accept: "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5", encoding: "gzip")

    @Test("requests between two landings get the same shared copy of their variant; a landing gives new bytes")
    func oneCopyPerLanding() {
        let store = SnapshotStore()
        let bodies = MetricsBodies(store: store)
        store.update(source: "a", families: [.gauge("g", "G.", value: 1)])
        let first = bodies.response(accept: nil, acceptEncoding: nil)
        #expect(first.shared === bodies.response(accept: nil, acceptEncoding: nil).shared)
        #expect(first.body == store.body(.text, gzip: false))
        let om = bodies.response(accept: Self.openMetricsGzip.accept, acceptEncoding: Self.openMetricsGzip.encoding)
        #expect(om.shared !== first.shared)
        #expect(om.body == store.body(.openMetrics, gzip: true))
        #expect(om.shared === bodies.response(accept: Self.openMetricsGzip.accept, acceptEncoding: "gzip").shared)

        store.update(source: "a", families: [.gauge("g", "G.", value: 2)])
        let second = bodies.response(accept: nil, acceptEncoding: nil)
        #expect(second.shared !== first.shared)
        #expect(String(decoding: second.body, as: UTF8.self).contains("g 2\n"))
        #expect(bodies.response(accept: Self.openMetricsGzip.accept, acceptEncoding: "gzip").body == store.body(.openMetrics, gzip: true))
    }

    @Test("each request gets the variant its own headers choose, whatever the request before asked")
    func negotiationPerRequest() {
        let store = SnapshotStore()
        let bodies = MetricsBodies(store: store)
        store.update(source: "a", families: [.gauge("g", "G.", value: 1)])
        let accepts: [String?] = [nil, "", "application/openmetrics-text;version=1.0.0", "text/plain;version=0.0.4",
                                  "application/openmetrics-text;version=1.0.0;q=0.4,text/plain;q=0.5", "application/json", "*/*"]
        let encodings: [String?] = [nil, "gzip", "gzip;q=0", "identity", "*"]
        for round in 0..<3 {
            for accept in accepts {
                for encoding in encodings {
                    if round == 2 { store.update(source: "a", families: [.gauge("g", "G.", value: Double(accepts.count))]) }
                    let format = ContentNegotiation.format(accept: accept)
                    let gzip = ContentNegotiation.acceptsGzip(encoding)
                    let r = bodies.response(accept: accept, acceptEncoding: encoding)
                    let case_ = "\(accept ?? "nil") / \(encoding ?? "nil")"
                    #expect(r.status == 200)
                    #expect(r.header("content-type") == format.contentType, "\(case_)")
                    #expect(r.header("content-encoding") == (gzip ? "gzip" : nil), "\(case_)")
                    #expect(r.header("vary") == "Accept, Accept-Encoding", "\(case_)")
                    #expect(r.body == store.body(format, gzip: gzip), "\(case_)")
                }
            }
        }
    }

    @Test("before the first landing every variant is an empty body")
    func emptyBeforeLanding() {
        let bodies = MetricsBodies(store: SnapshotStore())
        #expect(bodies.response(accept: nil, acceptEncoding: nil).body.isEmpty)
        #expect(bodies.response(accept: "application/openmetrics-text", acceptEncoding: nil).body.isEmpty)
    }
}
