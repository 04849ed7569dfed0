/// A parse error with its position in the expression, printed as Prometheus prints them:
/// `1:12: parse error: unexpected …`. `offset` is the UTF-8 byte offset, `line`/`column` are
/// 1-based (column counts bytes, as Prometheus does).
public struct PromQLError: Error, Sendable, Hashable, CustomStringConvertible {
    public let offset: Int
    public let line: Int
    public let column: Int
    public let message: String

    init(input: [UInt8], offset: Int, message: String) {
        let clamped = max(0, min(offset, input.count))
        var line = 1
        var lineStart = 0
        for i in 0..<clamped where input[i] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 1
        }
        self.offset = clamped
        self.line = line
        self.column = clamped - lineStart + 1
        self.message = message
    }

    public var description: String { "\(line):\(column): parse error: \(message)" }
}
