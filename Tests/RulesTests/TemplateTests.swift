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
        ("{{ with $labels.job }}{{ . }}{{ else }}none{{ end }}", "api"),
        ("{{ with $labels.missing }}{{ . }}{{ else }}{{ $labels.instance }}{{ end }}", "h:9090"),
        ("{{ with $labels.job }}{{ $.Labels.instance }}/{{ . | toUpper }}{{ end }}", "h:9090/API"),
    ])
    func expands(_ template: String, _ expected: String) throws {
        #expect(try Self.expand(template) == expected)
    }

    @Test("query, range, first, value, label, sortByLabel")
    func query() throws {
        let data = Template.Data(labels: ["job": "api"], value: 1, query: { text in
            guard text == "up" else { return [] }
            return [VectorSample(labels: ["__name__": "up", "i": "b"], value: 0), VectorSample(labels: ["__name__": "up", "i": "a"], value: 1)]
        })
        func run(_ t: String) throws -> String { try Template(t).execute(data) }
        #expect(try run("{{ with query \"up\" }}{{ . | first | value }}{{ end }}") == "0")
        #expect(try run("{{ range query \"up\" | sortByLabel \"i\" }}{{ .Labels.i }}={{ .Value }};{{ end }}") == "a=1;b=0;")
        #expect(try run("{{ range $i, $s := query \"up\" }}{{ $i }}:{{ label \"i\" $s }} {{ end }}") == "0:b 1:a ")
        #expect(try run("{{ range query \"none\" }}x{{ else }}empty{{ end }}") == "empty")
        #expect(try run("{{ range $k, $v := $labels }}{{ $k }}={{ $v }}{{ end }}") == "job=api")
        #expect(try run("{{ query \"up\" | len }}") == "2")
        #expect(throws: Template.TemplateError.self) { try Template("{{ query \"up\" }}").execute(.init(labels: [:], value: 0)) }
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
        #expect(GoFormat.fixed(1234567.891) == "1234567.891")
        #expect(GoFormat.fixed(1e21) == "1000000000000000000000")
        #expect(GoFormat.fixed(1e-7) == "0.0000001")
        #expect(GoFormat.fixed(-0.5) == "-0.5")
        #expect(GoFormat.fixed(.infinity) == "+Inf")
    }

    @Test("rejects malformed templates", arguments: ["{{ $labels.x ", "{{ nosuch 1 }}", "{{ if 1 }}x", "{{ range $labels }}", "{{ define \"x\" }}{{ end }}"])
    func rejects(_ template: String) {
        #expect(throws: Template.TemplateError.self) { try Template(template) }
    }
}
