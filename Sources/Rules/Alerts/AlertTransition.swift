/// A change of an alert's state at one evaluation, for the notifier.
public struct AlertTransition: Sendable, Hashable {
    public var rule: String
    public var from: Alert.State
    public var to: Alert.State
    public var at: Int64
    public var alert: Alert

    public init(rule: String, from: Alert.State, to: Alert.State, at: Int64, alert: Alert) {
        self.rule = rule
        self.from = from
        self.to = to
        self.at = at
        self.alert = alert
    }
}
