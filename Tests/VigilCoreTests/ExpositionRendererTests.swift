import Testing
@testable import VigilCore

@Suite("Exposition renderer")
struct ExpositionRendererTests {
    @Test("a counter named x_total is declared as x in OpenMetrics and keeps its sample name")
    func counterTotal() {
        let f = MetricFamily.counter("vigil_things_total", "Things.", [Sample(["a": "b"], 3)])
        let om = String(decoding: ExpositionRenderer.render([f], format: .openMetrics), as: UTF8.self)
        #expect(om == "# TYPE vigil_things counter\n# HELP vigil_things Things.\nvigil_things_total{a=\"b\"} 3\n# EOF\n")
        let text = String(decoding: ExpositionRenderer.render([f], format: .text), as: UTF8.self)
        #expect(text == "# HELP vigil_things_total Things.\n# TYPE vigil_things_total counter\nvigil_things_total{a=\"b\"} 3\n")
    }
}
