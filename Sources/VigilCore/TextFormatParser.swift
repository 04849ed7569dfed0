import Foundation

/// Parses the Prometheus text exposition format 0.0.4 into families: what a peer exporter
/// serves, read back for comparisons and scrapes. Pure.
public enum TextFormatParser {
    /// One parsed family: samples of a histogram or summary (`_bucket`, `_sum`, `_count`) are
    /// grouped under the declared name.
    public struct Family: Sendable, Hashable {
        public var name: String
        public var type: String
        public var help: String
        public var samples: [ParsedSample]

        /// Label names used by the samples, minus `le`/`quantile` of histograms and summaries.
        public var labelNames: Set<String> {
            var names = Set<String>()
            for s in samples { for l in s.labels where !(l.name == "le" || l.name == "quantile") { names.insert(l.name) } }
            return names
        }
    }

    public struct ParsedSample: Sendable, Hashable {
        public var name: String
        public var labels: [Label]
        public var value: Double
        public var timestamp: Int64?

        public func label(_ name: String) -> String? { labels.first(where: { $0.name == name })?.value }
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    public static func parse(_ text: String) throws -> [Family] {
        var families: [Family] = []
        var index: [String: Int] = [:]

        func family(_ name: String) -> Int {
            if let i = index[name] { return i }
            families.append(Family(name: name, type: "untyped", help: "", samples: []))
            index[name] = families.count - 1
            return families.count - 1
        }

        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.drop(while: { $0 == " " || $0 == "\t" })
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let parts = line.dropFirst().drop(while: { $0 == " " }).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
                guard parts.count >= 2, parts[0] == "HELP" || parts[0] == "TYPE" else { continue }
                let i = family(String(parts[1]))
                let rest = parts.count > 2 ? String(parts[2]) : ""
                if parts[0] == "TYPE" {
                    families[i].type = rest.trimmingCharacters(in: .whitespaces)
                } else {
                    families[i].help = unescape(rest, quotes: false)
                }
                continue
            }
            let sample = try parseSample(Substring(line), line: lineNumber)
            let owner = ownerName(of: sample.name, index: index, families: families)
            families[family(owner)].samples.append(sample)
        }
        return families
    }

    /// The family a sample belongs to: its own name, or the histogram/summary it is part of.
    private static func ownerName(of name: String, index: [String: Int], families: [Family]) -> String {
        if index[name] != nil { return name }
        for suffix in ["_bucket", "_sum", "_count", "_total", "_created"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let i = index[base], ["histogram", "summary", "counter", "gaugehistogram"].contains(families[i].type) {
                return base
            }
        }
        return name
    }

    private static func parseSample(_ line: Substring, line n: Int) throws -> ParsedSample {
        var i = line.startIndex
        while i < line.endIndex, line[i] != "{", line[i] != " ", line[i] != "\t" { i = line.index(after: i) }
        let name = String(line[line.startIndex..<i])
        guard !name.isEmpty else { throw ParseError(line: n, message: "missing metric name") }
        var labels: [Label] = []
        if i < line.endIndex, line[i] == "{" {
            i = line.index(after: i)
            while true {
                while i < line.endIndex, line[i] == " " || line[i] == "," { i = line.index(after: i) }
                guard i < line.endIndex else { throw ParseError(line: n, message: "unterminated label set") }
                if line[i] == "}" { i = line.index(after: i); break }
                let nameStart = i
                while i < line.endIndex, line[i] != "=", line[i] != " " { i = line.index(after: i) }
                let lname = String(line[nameStart..<i])
                while i < line.endIndex, line[i] == " " { i = line.index(after: i) }
                guard i < line.endIndex, line[i] == "=" else { throw ParseError(line: n, message: "expected '=' after label \(lname)") }
                i = line.index(after: i)
                while i < line.endIndex, line[i] == " " { i = line.index(after: i) }
                guard i < line.endIndex, line[i] == "\"" else { throw ParseError(line: n, message: "expected '\"' for label \(lname)") }
                i = line.index(after: i)
                var value = ""
                var closed = false
                while i < line.endIndex {
                    let c = line[i]
                    if c == "\\" {
                        let next = line.index(after: i)
                        guard next < line.endIndex else { break }
                        switch line[next] {
                        case "n": value.append("\n")
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        default: value.append("\\"); value.append(line[next])
                        }
                        i = line.index(after: next)
                        continue
                    }
                    if c == "\"" { closed = true; i = line.index(after: i); break }
                    value.append(c)
                    i = line.index(after: i)
                }
                guard closed else { throw ParseError(line: n, message: "unterminated value of label \(lname)") }
                labels.append(Label(lname, value))
            }
        }
        let fields = line[i...].split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = fields.first, let value = number(first) else {
            throw ParseError(line: n, message: "missing or bad value for \(name)")
        }
        var ts: Int64?
        if fields.count > 1 {
            guard let t = Int64(fields[1]) else { throw ParseError(line: n, message: "bad timestamp for \(name)") }
            ts = t
        }
        return ParsedSample(name: name, labels: labels, value: value, timestamp: ts)
    }

    private static func number(_ s: Substring) -> Double? {
        switch s {
        case "NaN": return .nan
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        default: return Double(s)
        }
    }

    private static func unescape(_ s: String, quotes: Bool) -> String {
        var out = ""
        var it = s.makeIterator()
        while let c = it.next() {
            guard c == "\\" else { out.append(c); continue }
            switch it.next() {
            case "n": out.append("\n")
            case "\\": out.append("\\")
            case "\"" where quotes: out.append("\"")
            case let other?: out.append("\\"); out.append(other)
            case nil: out.append("\\")
            }
        }
        return out
    }
}
