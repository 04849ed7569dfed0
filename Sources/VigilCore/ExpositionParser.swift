/// Parses the Prometheus text exposition format 0.0.4 into families: names, TYPE, HELP and
/// samples with their labels. Pure. Used to compare Vigil's output with other exporters'.
public enum ExpositionParser {
    public struct ParsedSample: Sendable, Equatable {
        /// The sample's own metric name (`x_bucket`, `x_sum` … for histograms and summaries).
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public struct ParsedFamily: Sendable, Equatable {
        public var name: String
        public var type: String
        public var help: String?
        public var samples: [ParsedSample]

        /// Every label name used by the family's samples.
        public var labelNames: Set<String> {
            Set(samples.flatMap { $0.labels.keys })
        }
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Families in order of first appearance. A sample without a TYPE gets type "untyped";
    /// `_bucket`, `_sum`, `_count` (and `_total`, `_created`) samples join the family declared
    /// by their base name.
    public static func parse(_ text: String) throws(ParseError) -> [ParsedFamily] {
        var order: [String] = []
        var families: [String: ParsedFamily] = [:]
        var lineNumber = 0
        // "\r\n" is one Character in Swift: split on it too, or CRLF text would be one line.
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            if line.hasPrefix("#") {
                let parts = line.dropFirst().split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
                guard parts.count >= 2, parts[0] == "TYPE" || parts[0] == "HELP" else { continue }
                let name = String(parts[1])
                if families[name] == nil {
                    order.append(name)
                    families[name] = ParsedFamily(name: name, type: "untyped", help: nil, samples: [])
                }
                let rest = parts.count > 2 ? String(parts[2]) : ""
                if parts[0] == "TYPE" { families[name]?.type = rest } else { families[name]?.help = rest }
                continue
            }
            let sample = try parseSample(line, lineNumber: lineNumber)
            let family = familyName(of: sample.name, declared: families)
            if families[family] == nil {
                order.append(family)
                families[family] = ParsedFamily(name: family, type: "untyped", help: nil, samples: [])
            }
            families[family]?.samples.append(sample)
        }
        return order.compactMap { families[$0] }
    }

    private static func familyName(of sample: String, declared: [String: ParsedFamily]) -> String {
        if declared[sample] != nil { return sample }
        for suffix in ["_bucket", "_sum", "_count", "_total", "_created", "_gsum", "_gcount"] where sample.hasSuffix(suffix) {
            let base = String(sample.dropLast(suffix.count))
            if let f = declared[base], f.type != "untyped" || suffix == "_total" { return base }
        }
        return sample
    }

    private static func parseSample(_ line: Substring, lineNumber: Int) throws(ParseError) -> ParsedSample {
        var i = line.startIndex
        while i < line.endIndex, line[i] != "{", line[i] != " ", line[i] != "\t" { i = line.index(after: i) }
        let name = String(line[line.startIndex..<i])
        guard !name.isEmpty else { throw ParseError(line: lineNumber, message: "missing metric name") }
        var labels: [String: String] = [:]
        if i < line.endIndex, line[i] == "{" {
            i = line.index(after: i)
            while true {
                while i < line.endIndex, line[i] == " " || line[i] == "," { i = line.index(after: i) }
                guard i < line.endIndex else { throw ParseError(line: lineNumber, message: "unterminated label set") }
                if line[i] == "}" { i = line.index(after: i); break }
                let nameStart = i
                while i < line.endIndex, line[i] != "=" { i = line.index(after: i) }
                guard i < line.endIndex else { throw ParseError(line: lineNumber, message: "label without value") }
                let labelName = String(line[nameStart..<i]).trimmingCharacters(in: " ")
                i = line.index(after: i)
                guard i < line.endIndex, line[i] == "\"" else { throw ParseError(line: lineNumber, message: "label value must be quoted") }
                i = line.index(after: i)
                var value = ""
                var closed = false
                while i < line.endIndex {
                    let c = line[i]
                    if c == "\\" {
                        i = line.index(after: i)
                        guard i < line.endIndex else { break }
                        switch line[i] {
                        case "n": value.append("\n")
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        default: value.append("\\"); value.append(line[i])
                        }
                    } else if c == "\"" {
                        closed = true
                        i = line.index(after: i)
                        break
                    } else {
                        value.append(c)
                    }
                    i = line.index(after: i)
                }
                guard closed else { throw ParseError(line: lineNumber, message: "unterminated label value") }
                labels[labelName] = value
            }
        }
        let rest = line[i...].split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = rest.first else { throw ParseError(line: lineNumber, message: "missing value") }
        let value: Double
        switch first {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let v = Double(first) else { throw ParseError(line: lineNumber, message: "bad value \"\(first)\"") }
            value = v
        }
        return ParsedSample(name: name, labels: labels, value: value)
    }
}

private extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
