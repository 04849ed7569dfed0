import Foundation
import Testing
import VigilTestSupport
@testable import Rules

/// A seeded, bounded mutation run over the template parser and executor, from the shipped
/// rules' annotations plus templates using every construct. Properties: no crash, no case
/// slower than a generous bound, output bounded, errors are `TemplateError`s.
@Suite("Template fuzz")
struct TemplateFuzzTests {
    static let pieces = [
        "{{", "}}", "{{-", "-}}", " ", "(", ")", "|", "$", "$labels", "$value", "$externalLabels", ".Labels", ".Value", "$x := ",
        "if ", "else", "else if ", "end", "with ", "range ", "$i, $e := ", "printf ", "\"%s\"", "\"%d\"", "\"%.2f\"", "\"%999999999999d\"",
        "\"%.999999999f\"", "\"%-9999999s\"", "\"%\u{0663}d\"", "\"%x\"", "\"%q\"", "\"%v %v\"", "humanize ", "humanize1024 ",
        "humanizeDuration ", "humanizePercentage ", "humanizeTimestamp ", "toUpper ", "title ", "reReplaceAll ", "\"(a+)+$\" ",
        "match ", "index ", "len ", "eq ", "lt ", "and ", "or ", "not ", "stripPort ", "query ", "\"up\"", "first ", "label ",
        "value ", "strvalue ", "sortByLabel ", "1e308", "-1e308", "NaN", "Inf", "9223372036854775807", "true", "nil", "`raw`",
        "\"\\u00e9\"", "\"\\xff\"", "/* c */", ".", "x",
    ]

    static let corpus: [String] = {
        var templates = [
            "{{ $labels.job }}/{{ .Labels.instance }} is {{ $value | humanize }}",
            "{{ if gt $value 1000.0 }}big{{ else if lt $value 0.0 }}neg{{ else }}small{{ end }}",
            "{{ with $labels.job }}{{ . | toUpper }}{{ else }}none{{ end }}",
            "{{ range $i, $s := query \"up\" }}{{ $i }}={{ $s.Labels.job }}:{{ $s.Value }} {{ end }}",
            "{{ printf \"%.1f-%s-%d-%x-%q\" $value \"x\" 3 255 \"q\" }}",
            "{{ $x := \"v\" }}{{ $x }}{{/* comment */}}{{ humanizeDuration 90061 }}{{ humanizeTimestamp 1.5e9 }}",
            "{{ reReplaceAll \":.*\" \"\" $labels.instance }} {{ $labels.instance | stripPort }} {{ index $labels \"job\" }}",
            "{{ with query \"up\" }}{{ . | first | label \"job\" }} {{ . | first | value }}{{ end }} {{ len $labels }}",
            "{{ range sortByLabel \"job\" (query \"up\") }}{{ .Labels.job }}{{ end }}{{ humanize1024 1e9 }}{{ humanizePercentage 0.25 }}",
        ]
        for path in Fuzz.ruleFiles {
            guard let file = try? RuleFile.load(path: path) else { continue }
            for g in file.groups {
                for r in g.rules {
                    if case .alerting(let a) = r { templates += a.annotations.map(\.value) + a.labels.map(\.value) }
                }
            }
        }
        return templates.filter { $0.contains("{{") }
    }()

    static let data = Template.Data(
        labels: ["job": "api", "instance": "h:9090", "__name__": "up"], externalLabels: ["cluster": "eu"],
        externalURL: "http://vigil", value: 1234.5,
        query: { text in
            guard text.count < 200 else { return [] }
            return [VectorSample(labels: ["__name__": "up", "job": "b"], value: 0), VectorSample(labels: ["__name__": "up", "job": "a"], value: 1)]
        })

    /// Runs one input through every property; returns what went wrong, if anything.
    static func check(_ text: String) -> String? {
        Fuzz.trace(text)
        guard let t = try? Template(text) else { return nil }
        guard let out = try? t.execute(data) else { return nil }
        // Go caps a printf width or precision at 10^6; no expansion may grow without bound.
        if out.utf8.count > 4 * text.utf8.count + 8_000_000 { return "output of \(out.utf8.count) bytes" }
        return nil
    }

    @Test("mutated templates never crash or hang the parser or executor")
    func mutations() {
        let seed = Fuzz.seed, count = Fuzz.cases(3_000)
        print("Template fuzz: seed \(seed), \(count) cases, corpus \(Self.corpus.count) templates")
        var rng = SplitMix64(state: seed)
        var parsed = 0, slowest = Duration.zero
        for i in 0..<count {
            var text = rng.pick(Self.corpus)
            for _ in 0..<(1 + rng.below(4)) {
                text = Fuzz.mutate(text, &rng, pieces: Self.pieces, corpus: Self.corpus)
            }
            let start = ContinuousClock.now
            if let problem = Self.check(text) { Issue.record("case \(i) (seed \(seed)): \(problem)\ninput: \(text)") }
            let took = ContinuousClock.now - start
            slowest = max(slowest, took)
            if took > .seconds(5) { Issue.record("case \(i) (seed \(seed)) took \(took): \(text)") }
            if (try? Template(text)) != nil { parsed += 1 }
        }
        print("Template fuzz: \(parsed) of \(count) mutated templates parsed; slowest case \(slowest)")
        #expect(parsed > count / 20)
    }

    static let findings: [String] = {
        let dir = FixtureFiles.path("fuzz/template")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted().map { "\(dir)/\($0)" }
    }()

    @Test("template fuzz findings replay without a crash or hang", arguments: findings)
    func replay(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let start = ContinuousClock.now
        #expect(Self.check(text) == nil)
        #expect(ContinuousClock.now - start < .seconds(10))
    }
}
