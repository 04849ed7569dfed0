/// Whether an alert is firing or resolved at a given time.
public enum AlertStatus: String, Sendable, Hashable, Codable {
    case firing, resolved
}
