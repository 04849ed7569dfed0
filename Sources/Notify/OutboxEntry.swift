public import Foundation

/// One notification waiting in the durable outbox: the body is final; the endpoint, auth and
/// signature come from the integration's configuration at send time, so no secret is stored.
public struct OutboxEntry: Sendable, Hashable, Codable {
    /// File name stem; unique.
    public var id: String
    public var receiver: String
    /// `<receiver>/<kind>/<index>`: the integration that sends it.
    public var integration: String
    public var payload: Data
    public var headers: [HTTPHeader]
    /// Sent in the `Idempotency-Key` header on every attempt, across restarts.
    public var idempotencyKey: String
    public var groupKey: String
    public var createdAt: Date
    public var attempts: Int
    public var nextAttemptAt: Date
    /// The last failure (no secrets: status or error class only).
    public var lastError: String?

    public init(id: String, receiver: String, integration: String, payload: Data, headers: [HTTPHeader],
                idempotencyKey: String, groupKey: String, createdAt: Date) {
        self.id = id
        self.receiver = receiver
        self.integration = integration
        self.payload = payload
        self.headers = headers
        self.idempotencyKey = idempotencyKey
        self.groupKey = groupKey
        self.createdAt = createdAt
        self.attempts = 0
        self.nextAttemptAt = createdAt
        self.lastError = nil
    }
}
