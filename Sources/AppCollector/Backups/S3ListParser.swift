import Foundation

/// A minimal, strict reader of S3's ListObjectsV2 answers (and S3 error documents): elements,
/// text and the five predefined entities plus numeric references; no DTDs, no CDATA sections
/// beyond plain text, nesting at most 8 deep, at most 100,000 elements. Anything else is an
/// error, never a partial listing.
enum S3ListParser {
    struct Page: Equatable {
        var entries: [BackupEntry]
        var nextToken: String?
        var truncated: Bool
    }

    struct Failure: Error, Equatable, CustomStringConvertible {
        let message: String
        init(_ message: String) { self.message = message }
        var description: String { message }
    }

    /// One element: its name, its text (concatenated), its children.
    final class Element {
        let name: String
        var text = ""
        var children: [Element] = []
        init(_ name: String) { self.name = name }
        func child(_ n: String) -> Element? { children.first { $0.name == n } }
    }

    static let maxDepth = 8
    static let maxElements = 100_000

    static func parsePage(_ bytes: [UInt8]) throws(Failure) -> Page {
        let root = try parse(bytes)
        guard root.name == "ListBucketResult" else { throw Failure("expected ListBucketResult, found \(printable(root.name))") }
        var entries: [BackupEntry] = []
        for c in root.children where c.name == "Contents" {
            guard let key = c.child("Key")?.text, !key.isEmpty else { throw Failure("an object without a Key") }
            guard let sizeText = c.child("Size")?.text, let size = Int64(sizeText), size >= 0 else {
                throw Failure("object without a valid Size")
            }
            guard let lm = c.child("LastModified")?.text, let modified = timestamp(lm) else {
                throw Failure("object without a valid LastModified")
            }
            if key.hasSuffix("/") && size == 0 { continue } // a "folder" marker
            entries.append(BackupEntry(name: key, size: Double(size), modified: modified))
        }
        let truncatedText = root.child("IsTruncated")?.text ?? "false"
        guard truncatedText == "true" || truncatedText == "false" else { throw Failure("IsTruncated is neither true nor false") }
        let token = root.child("NextContinuationToken")?.text
        if truncatedText == "true", token?.isEmpty ?? true { throw Failure("a truncated listing without NextContinuationToken") }
        return Page(entries: entries, nextToken: token, truncated: truncatedText == "true")
    }

    /// The `Code` of an S3 error document, when the body is one and the code is a plain word.
    static func errorCode(_ bytes: [UInt8]) -> String? {
        guard let root = try? parse(bytes), root.name == "Error", let code = root.child("Code")?.text,
              !code.isEmpty, code.count <= 64, code.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII }) else { return nil }
        return code
    }

    static func timestamp(_ s: String) -> Double? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d.timeIntervalSince1970 }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)?.timeIntervalSince1970
    }

    static func printable(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.prefix(64).map { $0.value < 0x20 || $0.value > 0x7E ? "?" : $0 }))
    }

    // MARK: - Tokenizer

    static func parse(_ b: [UInt8]) throws(Failure) -> Element {
        var i = 0
        var stack: [Element] = []
        var root: Element?
        var count = 0
        func skipSpace() { while i < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 } }
        func starts(_ s: String) -> Bool {
            let u = Array(s.utf8)
            return i + u.count <= b.count && Array(b[i..<(i + u.count)]) == u
        }
        func skip(until s: String) throws(Failure) {
            let u = Array(s.utf8)
            while i + u.count <= b.count {
                if Array(b[i..<(i + u.count)]) == u { i += u.count; return }
                i += 1
            }
            throw Failure("unterminated markup")
        }
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        while i < b.count {
            if b[i] != UInt8(ascii: "<") {
                let start = i
                while i < b.count, b[i] != UInt8(ascii: "<") { i += 1 }
                let raw = Array(b[start..<i])
                if let top = stack.last {
                    top.text += try decodeText(raw)
                } else if !raw.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
                    throw Failure("text outside the root element")
                }
                continue
            }
            if starts("<?") { try skip(until: "?>"); continue }
            if starts("<!--") { try skip(until: "-->"); continue }
            if starts("<!") { throw Failure("DTDs and CDATA are not accepted") }
            i += 1
            let closing = i < b.count && b[i] == UInt8(ascii: "/")
            if closing { i += 1 }
            let nameStart = i
            while i < b.count, !([0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ">"), UInt8(ascii: "/")].contains(b[i])) { i += 1 }
            guard i > nameStart, i - nameStart <= 128 else { throw Failure("malformed tag") }
            let name = String(decoding: b[nameStart..<i], as: UTF8.self)
            // Attributes (xmlns) are skipped, quoted values honoured.
            var selfClosing = false
            while true {
                guard i < b.count else { throw Failure("unterminated tag \(printable(name))") }
                let c = b[i]
                if c == UInt8(ascii: ">") { i += 1; break }
                if c == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: ">") { selfClosing = true; i += 2; break }
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                    i += 1
                    while i < b.count, b[i] != c { i += 1 }
                    guard i < b.count else { throw Failure("unterminated attribute") }
                }
                if c == UInt8(ascii: "<") { throw Failure("malformed tag \(printable(name))") }
                i += 1
            }
            if closing {
                guard let top = stack.popLast(), top.name == name else { throw Failure("mismatched closing tag \(printable(name))") }
                if stack.isEmpty { root = top }
                continue
            }
            count += 1
            guard count <= maxElements else { throw Failure("more than \(maxElements) elements") }
            guard root == nil else { throw Failure("more than one root element") }
            let e = Element(name)
            stack.last?.children.append(e)
            if selfClosing {
                if stack.isEmpty { root = e }
            } else {
                guard stack.count < maxDepth else { throw Failure("nested deeper than \(maxDepth)") }
                stack.append(e)
            }
        }
        guard stack.isEmpty, let root else { throw Failure(root == nil && stack.isEmpty ? "no XML element" : "unterminated element") }
        return root
    }

    static func decodeText(_ raw: [UInt8]) throws(Failure) -> String {
        guard raw.contains(UInt8(ascii: "&")) else {
            guard let s = String(validating: raw, as: UTF8.self) else { throw Failure("invalid UTF-8") }
            return s
        }
        guard let s = String(validating: raw, as: UTF8.self) else { throw Failure("invalid UTF-8") }
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semi) <= 10 else { throw Failure("bad entity") }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let hex = entity.hasPrefix("#x")
                guard entity.hasPrefix("#"), let v = UInt32(entity.dropFirst(hex ? 2 : 1), radix: hex ? 16 : 10),
                      let scalar = Unicode.Scalar(v) else { throw Failure("unknown entity") }
                out.unicodeScalars.append(scalar)
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }
}
