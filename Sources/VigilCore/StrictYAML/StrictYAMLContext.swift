import Foundation
public import Yams

/// What every reader of one YAML file shares.
public struct StrictYAMLContext: Sendable {
    /// The file name used in errors.
    public let file: String
    /// Environment for `${VAR}` references; nil takes every string literally.
    public let environment: [String: String]?
    /// Directory relative file references (`*_file` keys) are resolved against.
    public let baseDirectory: String

    public init(file: String, environment: [String: String]? = nil, baseDirectory: String = ".") {
        self.file = file
        self.environment = environment
        self.baseDirectory = baseDirectory
    }

    public func error(_ node: Node?, _ field: String, _ message: String) -> PositionedError {
        // Yams marks are 1-based lines and columns.
        PositionedError(file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, field: field, message: message)
    }

    /// A path relative to `baseDirectory` unless absolute.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : "\(baseDirectory)/\(path)"
    }

    /// Parses a whole document into its root node (nil for an empty document). Syntax errors
    /// carry libyaml's problem and position only: Yams' own text quotes the offending line,
    /// which may hold a secret.
    public func root(_ text: String) throws(PositionedError) -> Node? {
        try Self.checkCharacters(text, file: file)
        try Self.checkKeys(text, file: file)
        do {
            return try Yams.compose(yaml: text)
        } catch let e as YamlError {
            switch e {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                throw PositionedError(file: file, line: mark.line, column: mark.column, field: "", message: "invalid YAML: \(problem)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                throw PositionedError(file: file, line: context.mark.line, column: context.mark.column,
                                      field: duplicates.joined(separator: ", "), message: "duplicate key: it appears more than once in one mapping")
            case .reader(let problem, _, _, _):
                throw PositionedError(file: file, line: 0, column: 0, field: "", message: "invalid YAML: \(problem)")
            default:
                throw PositionedError(file: file, line: 0, column: 0, field: "", message: "invalid YAML")
            }
        } catch {
            throw PositionedError(file: file, line: 0, column: 0, field: "", message: "invalid YAML")
        }
    }

    /// The largest file read as configuration, rule file or rule test file.
    public static let maxFileBytes = 64 << 20

    /// The text of the file at `path`, or an error saying what is wrong with it: no such file,
    /// a directory, permission denied, too large, or not UTF-8 (with the line and column of the
    /// first bad byte).
    public static func readText(path: String) throws(PositionedError) -> String {
        func fail(_ message: String) -> PositionedError {
            PositionedError(file: path, line: 0, column: 0, field: "", message: message)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw fail("no such file") }
        guard !isDirectory.boolValue else { throw fail("is a directory, not a file") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw fail("permission denied") }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.intValue > maxFileBytes {
            throw fail("the file is larger than \(maxFileBytes >> 20) MiB")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read the file") }
        guard data.count <= maxFileBytes else { throw fail("the file is larger than \(maxFileBytes >> 20) MiB") }
        return try decodeUTF8(Array(data), file: path)
    }

    /// `bytes` as UTF-8 text, or an error at the line and column (1-based, in bytes) of the
    /// first byte that is not UTF-8.
    public static func decodeUTF8(_ bytes: [UInt8], file: String) throws(PositionedError) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        // Find the first invalid sequence (RFC 3629: no overlong forms, surrogates or > U+10FFFF).
        var line = 1
        var column = 1
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            var lowest: UInt8 = 0x80
            var highest: UInt8 = 0xBF
            switch b {
            case 0..<0x80: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lowest = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: length = 3
            case 0xED: length = 3; highest = 0x9F
            case 0xF0: length = 4; lowest = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; highest = 0x8F
            default: length = 0
            }
            var valid = length > 0 && i + length <= bytes.count
            if valid, length > 1 {
                valid = (lowest...highest).contains(bytes[i + 1])
                for k in 2..<max(2, length) where bytes[i + k] & 0xC0 != 0x80 { valid = false }
            }
            guard valid else {
                throw PositionedError(file: file, line: line, column: column, field: "",
                                      message: "the file is not UTF-8 text (byte 0x\(String(b, radix: 16, uppercase: true)) at offset \(i))")
            }
            if b == 10 { line += 1; column = 1 } else { column += 1 }
            i += length
        }
        throw PositionedError(file: file, line: 0, column: 0, field: "", message: "the file is not UTF-8 text")
    }

    /// Refuses the characters YAML does not allow in a stream (C0 controls but tab, line feed
    /// and carriage return; DEL; C1 controls but NEL; U+FFFE, U+FFFF), at their line and
    /// column: libyaml would refuse them without a position.
    public static func checkCharacters(_ text: String, file: String) throws(PositionedError) {
        var line = 1
        var column = 1
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v == 10 { line += 1; column = 1; continue }
            let bad = (v < 32 && v != 9 && v != 13) || v == 127 || (v >= 0x80 && v <= 0x9F && v != 0x85) || v == 0xFFFE || v == 0xFFFF
            if bad {
                let code = String(v, radix: 16, uppercase: true)
                throw PositionedError(file: file, line: line, column: column, field: "",
                                      message: "control character U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code) is not allowed in YAML")
            }
            column += 1
        }
    }

    /// Refuses, before libyaml and Yams see them, the mapping keys Vigil never accepts and that
    /// make composing expensive: an alias as a key, a list or mapping as a key, explicit `? `
    /// keys. Yams hashes every key of a mapping to find duplicates, and an alias key to nested
    /// anchors ("billion laughs") would hash an exponential expansion. Aliases as values stay
    /// allowed: composing shares the anchored node, and the strict reader walks only the keys it
    /// asks for. Nesting is bounded here (64 flow levels, 256 columns of block indentation), far
    /// below what Yams' recursive composer needs a large stack for. One linear lexical pass:
    /// quoted scalars, comments and block scalars are skipped.
    /// How deep flow collections (`[…]`, `{…}`) may nest in any file Vigil reads.
    public static let maxFlowDepth = 64
    /// How far a block line (or a compact `- - -` list) may indent.
    public static let maxBlockIndent = 256

    public static func checkKeys(_ text: String, file: String) throws(PositionedError) {
        func fail(_ line: Int, _ column: Int, _ message: String) -> PositionedError {
            PositionedError(file: file, line: line, column: column, field: "", message: message)
        }
        var quote: UInt8?            // the open quote of a multi-line quoted scalar
        var blockParent: Int?        // indentation of the line that opened a block scalar
        var lineNumber = 0
        var flowDepth = 0
        for lineText in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = Array(lineText)
            var i = 0
            while i < line.count, line[i] == UInt8(ascii: " ") { i += 1 }
            let indent = i
            if let parent = blockParent {
                let blank = line[i...].allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 }
                if blank || indent > parent { continue }
                blockParent = nil
            }
            if quote == nil, flowDepth == 0 {
                // Block nesting: every level indents at least one more column, and each `- `
                // or `? ` at the start of a line may open one more.
                var levels = indent
                var j = indent
                while j + 1 < line.count, line[j] == UInt8(ascii: "-"), line[j + 1] == 32 {
                    levels += 1
                    j += 2
                    while j < line.count, line[j] == 32 { j += 1; levels += 1 }
                }
                if levels > maxBlockIndent {
                    throw fail(lineNumber, 1, "indentation deeper than \(maxBlockIndent) columns")
                }
            }
            func isSpace(_ at: Int) -> Bool { at >= line.count || line[at] == 32 || line[at] == 9 || line[at] == 13 }
            // A line inside a multi-line quoted scalar that starts like a complex key is refused
            // all the same: a quote this pass mistook for one must not hide a key from it.
            if quote != nil, i + 1 < line.count,
               line[i] == UInt8(ascii: "?") && isSpace(i + 1) || line[i] == UInt8(ascii: "*") && Self.aliasIsKey(line, from: i) {
                throw fail(lineNumber, i + 1, "a line inside a quoted scalar starts like a complex mapping key; keys are plain strings")
            }
            var previous: Int?          // the last character that is not a space, outside quotes
            var previousToken: Int?     // where the token holding it starts
            while i < line.count {
                let c = line[i]
                if let q = quote {
                    if q == UInt8(ascii: "\""), c == UInt8(ascii: "\\") { i += 2; continue }
                    if c == q {
                        if q == UInt8(ascii: "'"), i + 1 < line.count, line[i + 1] == q { i += 2; continue }
                        quote = nil
                        previous = i
                    }
                    i += 1
                    continue
                }
                if c == 32 || c == 9 || c == 13 { i += 1; continue }
                let here = i
                defer {
                    if previous.map({ $0 < here - 1 }) ?? true { previousToken = here }
                    previous = here
                }
                // Where a YAML node may start: first on the line, after an indicator (`: `, `- `,
                // `? `) or an anchor or tag, and in flow context after `[`, `{`, `,` or `:`. A
                // quote or bracket anywhere else is part of a plain scalar (`it's`, `rate(x[5m])`).
                let tokenStart: Bool = {
                    guard let p = previous else { return true }
                    let pc = line[p]
                    if flowDepth > 0, "[{,:".utf8.contains(pc) { return true }
                    guard p < i - 1 else { return false }
                    if pc == UInt8(ascii: ":") { return true }
                    if pc == UInt8(ascii: "-") || pc == UInt8(ascii: "?") { return p == previousToken }
                    if let t = previousToken, line[t] == UInt8(ascii: "&") || line[t] == UInt8(ascii: "!") { return true }
                    return false
                }()
                if c == UInt8(ascii: "#"), i == 0 || isSpace(i - 1) { break }
                // Flow collections: in block context only at a token start; inside one, every
                // bracket is structure.
                if c == UInt8(ascii: "[") || c == UInt8(ascii: "{"), tokenStart || flowDepth > 0 {
                    flowDepth += 1
                    if flowDepth > maxFlowDepth {
                        throw fail(lineNumber, i + 1, "lists and mappings nest deeper than \(maxFlowDepth) levels")
                    }
                    i += 1
                    continue
                }
                if c == UInt8(ascii: "]") || c == UInt8(ascii: "}"), flowDepth > 0 {
                    flowDepth -= 1
                    var j = i + 1
                    while j < line.count, line[j] == 32 { j += 1 }
                    if j < line.count, line[j] == UInt8(ascii: ":"), isSpace(j + 1) || ",]}".utf8.contains(line[j + 1]) {
                        throw fail(lineNumber, i + 1, "a list or mapping cannot be a mapping key: keys are plain strings")
                    }
                    i += 1
                    continue
                }
                guard tokenStart else { i += 1; continue }
                switch c {
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    quote = c
                case UInt8(ascii: "?") where isSpace(i + 1):
                    throw fail(lineNumber, i + 1, "explicit mapping keys (\"? \") are not supported: keys are plain strings")
                case UInt8(ascii: "*") where Self.aliasIsKey(line, from: i):
                    throw fail(lineNumber, i + 1, "an alias cannot be a mapping key: keys are plain strings")
                case UInt8(ascii: "|"), UInt8(ascii: ">"):
                    var j = i + 1
                    while j < line.count, "+-0123456789".utf8.contains(line[j]) { j += 1 }
                    while j < line.count, line[j] == 32 || line[j] == 9 || line[j] == 13 { j += 1 }
                    if j >= line.count || line[j] == UInt8(ascii: "#") {
                        blockParent = indent
                        i = line.count
                        continue
                    }
                default:
                    break
                }
                i += 1
            }
        }
    }

    /// Whether the alias at `from` (`*name`) is followed by `:` and a space or the end: a key.
    private static func aliasIsKey(_ line: [UInt8], from: Int) -> Bool {
        var j = from + 1
        guard j < line.count, line[j] != 32 else { return false }
        while j < line.count, line[j] != 32, line[j] != 9, !",[]{}".utf8.contains(line[j]) { j += 1 }
        while j < line.count, line[j] == 32 { j += 1 }
        guard j < line.count, line[j] == UInt8(ascii: ":") else { return false }
        return j + 1 >= line.count || ",]} \t\r".utf8.contains(line[j + 1])
    }
}
