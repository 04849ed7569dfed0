import Testing
@testable import Rules

@Suite("Templates")
struct TemplateTests {
    static func expand(_ s: String, labels: [String: String] = ["job": "api", "instance": "h:9090"], value: Double = 1234.5) throws -> String {
        try Template(s).execute(.init(labels: labels, externalLabels: ["cluster": "eu"], value: value))
    }

    @Test("expands like Prometheus", arguments: [
        ("{{ $labels.job }}/{{ .Labels.instance }}", "api/h:9090"),
        ("{{ $value }}", "1234.5"),
        ("{{ $labels.missing }}|", "|"),
        ("{{ $externalLabels.cluster }}", "eu"),
        ("{{ humanize $value }}", "1.234k"),
        ("{{ $value | humanize1024 }}", "1.206ki"),
        ("{{ humanizePercentage 0.5 }}", "50%"),
        ("{{ humanizeDuration 0.25 }}", "250ms"),
        ("{{ humanizeDuration 90061 }}", "1d 1h 1m 1s"),
        ("{{ printf \"%.1f-%s-%d\" $value \"x\" 3 }}", "1234.5-x-3"),
        ("{{ toUpper \"ab\" }}{{ toLower \"CD\" }}{{ title \"ef gh\" }}", "ABcdEf Gh"),
        ("{{ reReplaceAll \":.*\" \"\" $labels.instance }}", "h"),
        ("{{ $labels.instance | stripPort }}", "h"),
        ("{{ if gt $value 1000.0 }}big{{ else }}small{{ end }}", "big"),
        ("{{- \"a\" }}  {{- \"b\" -}}  c", "abc"),
        ("{{ $x := \"v\" }}{{ $x }}", "v"),
        ("{{/* comment */}}ok", "ok"),
    ])
    func expands(_ template: String, _ expected: String) throws {
        #expect(try Self.expand(template) == expected)
    }

    @Test("formats floats like Go's %v")
    func goFloat() {
        #expect(GoFormat.float(0.1) == "0.1")
        #expect(GoFormat.float(1e21) == "1e+21")
        #expect(GoFormat.float(123456789) == "1.23456789e+08")
        #expect(GoFormat.float(999999) == "999999")
        #expect(GoFormat.float(1234567.891) == "1.234567891e+06")
        #expect(GoFormat.float(0.00001) == "1e-05")
        #expect(GoFormat.float(-2.5) == "-2.5")
    }

    @Test("rejects malformed templates", arguments: ["{{ $labels.x ", "{{ nosuch 1 }}", "{{ if 1 }}x", "{{ range $labels }}{{ end }}"])
    func rejects(_ template: String) {
        #expect(throws: Template.TemplateError.self) { try Template(template) }
    }
}
