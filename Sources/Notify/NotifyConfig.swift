/// The notification part of the configuration, in Alertmanager's YAML shape for the parts we
/// support: `route`, `receivers`, `inhibit_rules`, plus Vigil's `delivery` settings.
public struct NotifyConfig: Sendable, Hashable {
    public var route: Route
    public var receivers: [Receiver]
    public var inhibitRules: [InhibitRule]
    public var delivery: DeliverySettings

    public init(route: Route, receivers: [Receiver], inhibitRules: [InhibitRule] = [], delivery: DeliverySettings = DeliverySettings()) {
        self.route = route
        self.receivers = receivers
        self.inhibitRules = inhibitRules
        self.delivery = delivery
    }

    public func receiver(named name: String) -> Receiver? { receivers.first { $0.name == name } }
}
