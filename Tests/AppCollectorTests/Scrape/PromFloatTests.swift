@testable import AppCollector
import Testing

@Suite struct PromFloatTests {
    @Test("le and quantile values are normalised as Prometheus 3.x spells them")
    func normalisation() {
        #expect(PromFloat.openMetrics(1) == "1.0")
        #expect(PromFloat.openMetrics(0.25) == "0.25")
        #expect(PromFloat.openMetrics(100_000) == "100000.0")
        #expect(PromFloat.openMetrics(1e6) == "1e+06")
        #expect(PromFloat.openMetrics(0.00001) == "1e-05")
        #expect(PromFloat.openMetrics(0.0001) == "0.0001")
        #expect(PromFloat.openMetrics(.infinity) == "+Inf")
        #expect(PromFloat.goShortest(123456789) == "1.23456789e+08")
        #expect(PromFloat.goShortest(-2.5) == "-2.5")
    }
}
