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
}
