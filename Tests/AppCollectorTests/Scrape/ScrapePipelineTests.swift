@testable import AppCollector
import Testing
import VigilCore

@Suite struct ScrapePipelineTests {
    let target = [Label("job", "api"), Label("instance", "app:8000"), Label("env", "prod")]

    func body(_ text: String) throws -> ScrapedBody { try ExpositionScanner.parse(Array(text.utf8), format: .text) }

    @Test("without honor_labels the target's labels win and the scraped ones move to exported_*")
    func exported() throws {
        let b = try body("x{job=\"other\",exported_job=\"taken\"} 1\n")
        let out = try ScrapePipeline.process(b, targetLabels: target, honorLabels: false, relabel: [], sampleLimit: 0, labelLimit: 0)
        let labels = out.families[0].samples[0].labels
        #expect(labels["job"] == "api")
        #expect(labels["exported_job"] == "taken")
        #expect(labels["exported_exported_job"] == "other")
        #expect(labels["instance"] == "app:8000")
    }

    @Test("with honor_labels the scraped labels win; missing ones come from the target")
    func honored() throws {
        let b = try body("x{job=\"other\"} 1\n")
        let out = try ScrapePipeline.process(b, targetLabels: target, honorLabels: true, relabel: [], sampleLimit: 0, labelLimit: 0)
        let labels = out.families[0].samples[0].labels
        #expect(labels["job"] == "other")
        #expect(labels["env"] == "prod")
        #expect(labels["exported_job"] == nil)
    }

    @Test("relabeling sees job and instance, may rename into an untyped family, and is counted after it drops")
    func relabeled() throws {
        let b = try body("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\nkeep_me 1\n")
        let drop = try RelabelRule(action: .drop, sourceLabels: ["__name__", "le"], regex: "h_bucket;1.0")
        let rename = try RelabelRule(sourceLabels: ["__name__", "job"], regex: "keep_me;api", targetLabel: "__name__", replacement: "kept")
        let out = try ScrapePipeline.process(b, targetLabels: target, honorLabels: false, relabel: [drop, rename], sampleLimit: 0, labelLimit: 0)
        #expect(out.scraped == 5)
        #expect(out.kept == 4)
        #expect(out.families.map(\.name) == ["h", "kept"])
        #expect(out.families[0].samples.map(\.suffix) == ["_bucket", "_sum", "_count"])
        #expect(out.families[1].type == .untyped)
    }

    @Test("more samples than sample_limit, or more labels than label_limit, fail the whole scrape")
    func limits() throws {
        let b = try body("a 1\nb 2\nc{x=\"1\",y=\"2\"} 3\n")
        #expect(throws: ScrapePipeline.LimitExceeded(reason: .sampleLimit, message: "sample_limit exceeded: more than 2 samples after relabeling")) {
            try ScrapePipeline.process(b, targetLabels: target, honorLabels: false, relabel: [], sampleLimit: 2, labelLimit: 0)
        }
        do {
            _ = try ScrapePipeline.process(b, targetLabels: target, honorLabels: false, relabel: [], sampleLimit: 0, labelLimit: 5)
            Issue.record("6 labels passed a label_limit of 5")
        } catch {
            #expect(error.reason == .labelLimit)
        }
        #expect(try ScrapePipeline.process(b, targetLabels: target, honorLabels: false, relabel: [], sampleLimit: 3, labelLimit: 6).kept == 3)
    }

    @Test("series that become one only once target labels or empty values are applied keep the first, as before")
    func collisionsStillDeduplicated() throws {
        // honor_labels: a scraped job equal to the target's meets the series that lacked one.
        let honored = try ScrapePipeline.process(try body("x{job=\"api\"} 1\nx 2\n"), targetLabels: target, honorLabels: true,
                                                 relabel: [], sampleLimit: 0, labelLimit: 0)
        #expect(honored.families[0].samples.map(\.value) == [1])
        // An empty-valued label is no label: x{a=""} is x.
        let empty = try ScrapePipeline.process(try body("x 1\nx{a=\"\"} 2\n"), targetLabels: target, honorLabels: false,
                                               relabel: [], sampleLimit: 0, labelLimit: 0)
        #expect(empty.families[0].samples.map(\.value) == [1])
    }

    @Test("a body whose labels meet no target label keeps every series, each once, with the target's labels")
    func distinctSeriesAllKept() throws {
        var text = "# TYPE h histogram\n"
        for i in 0..<50 { text += "h_bucket{route=\"/r\(i)\",le=\"+Inf\"} \(i)\nh_sum{route=\"/r\(i)\"} 1\nh_count{route=\"/r\(i)\"} \(i)\n" }
        let out = try ScrapePipeline.process(try body(text), targetLabels: target, honorLabels: false, relabel: [], sampleLimit: 0, labelLimit: 0)
        #expect(out.kept == 150)
        #expect(out.seriesHashes.count == 150)
        #expect(out.families.count == 1)
        #expect(out.families[0].samples.count == 150)
        #expect(Set(out.families[0].samples.map { $0.labels.pairs + [Label("suffix", $0.suffix)] }).count == 150)
        #expect(out.families[0].samples.allSatisfy { $0.labels["job"] == "api" && $0.labels["instance"] == "app:8000" })
    }
}
