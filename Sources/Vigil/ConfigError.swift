/// A configuration error that names the file, line, column and key path. Its text never holds
/// a secret value: messages describe what is wrong, not the value found.
struct ConfigError: Error, CustomStringConvertible, Sendable {
    var file: String
    var line: Int
    var column: Int
    var path: String
    var message: String

    var description: String {
        let location = line > 0 ? "\(file):\(line):\(column)" : file
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }
}
