/// An error in a rule file or rule test file, naming the file, the line and the field.
public struct RuleFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public let file: String
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
