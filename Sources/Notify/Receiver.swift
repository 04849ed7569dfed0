/// A named receiver and the integrations a notification to it goes to.
public struct Receiver: Sendable, Hashable {
    public var name: String
    public var integrations: [Integration]

    public init(name: String, integrations: [Integration]) {
        self.name = name
        self.integrations = integrations
    }
}
