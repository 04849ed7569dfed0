/// An error in a YAML file (configuration, rule file, rule test file) that names the file, the
/// line and column, and the dotted path of the offending field. Its text never quotes a value
/// it was not given in `message`, so a secret in the file cannot leak through it.
public struct PositionedError: Error, Sendable, Hashable, CustomStringConvertible {
    public let file: String
    /// 1-based; 0 when unknown.
    public let line: Int
    public let column: Int
    /// Dotted path of the offending field, e.g. `groups[0].rules[2].expr`.
    public let field: String
    public let message: String

    public init(file: String, line: Int, column: Int, field: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    public var description: String {
        let position = line > 0 ? "\(file):\(line):\(column)" : file
        return field.isEmpty ? "\(position): \(message)" : "\(position): \(field): \(message)"
    }
}
