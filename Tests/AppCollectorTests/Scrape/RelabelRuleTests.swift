@testable import AppCollector
import Testing
import VigilCore

@Suite struct RelabelRuleTests {
    let series = [Label("__name__", "http_requests_total"), Label("job", "api"), Label("path", "/users/42"), Label("code", "500")]

    @Test("replace joins the source labels, expands $1 and ${1}, and an empty result removes the target")
    func replace() throws {
        let r = try RelabelRule(sourceLabels: ["job", "code"], regex: "(.+);(5..)", targetLabel: "kind", replacement: "${1}_$2")
        #expect(RelabelRule.process(series, [r])?.last == Label("kind", "api_500"))
        let miss = try RelabelRule(sourceLabels: ["code"], regex: "2..", targetLabel: "kind", replacement: "ok")
        #expect(RelabelRule.process(series, [miss]) == series)
        let clear = try RelabelRule(sourceLabels: ["code"], regex: ".*", targetLabel: "path", replacement: "")
        #expect(RelabelRule.process(series, [clear])?.contains { $0.name == "path" } == false)
        let rename = try RelabelRule(sourceLabels: ["__name__"], regex: "http_(.*)", targetLabel: "__name__", replacement: "app_$1")
        #expect(RelabelRule.process(series, [rename])?.first == Label("__name__", "app_requests_total"))
    }

    @Test("Go's template rules: $$ is a dollar, $1x names a group that does not exist")
    func expand() {
        let groups = ["all", "one", "two"]
        #expect(RelabelRule.expand("$1-$2", groups) == "one-two")
        #expect(RelabelRule.expand("${1}x", groups) == "onex")
        #expect(RelabelRule.expand("$1x", groups) == "")
        #expect(RelabelRule.expand("$$1", groups) == "$1")
        #expect(RelabelRule.expand("$9", groups) == "")
        #expect(RelabelRule.expand("cost $", groups) == "cost $")
    }

    @Test("keep and drop match the anchored regex on the joined value")
    func keepDrop() throws {
        let keep = try RelabelRule(action: .keep, sourceLabels: ["code"], regex: "5..")
        #expect(RelabelRule.process(series, [keep]) != nil)
        let keepPartial = try RelabelRule(action: .keep, sourceLabels: ["code"], regex: "5")
        #expect(RelabelRule.process(series, [keepPartial]) == nil)
        let drop = try RelabelRule(action: .drop, sourceLabels: ["__name__"], regex: "http_.*")
        #expect(RelabelRule.process(series, [drop]) == nil)
    }

    @Test("labelmap copies matching labels under the replacement; labeldrop and labelkeep remove by name")
    func labelActions() throws {
        let map = try RelabelRule(action: .labelmap, regex: "(p.*)", replacement: "url_$1")
        #expect(RelabelRule.process(series, [map])?.last == Label("url_path", "/users/42"))
        let drop = try RelabelRule(action: .labeldrop, regex: "path|code")
        #expect(RelabelRule.process(series, [drop])?.map(\.name) == ["__name__", "job"])
        let keep = try RelabelRule(action: .labelkeep, regex: "__name__|job")
        #expect(RelabelRule.process(series, [keep])?.map(\.name) == ["__name__", "job"])
    }
}
