public import Foundation

/// A silence: alerts matching every matcher are muted from `startsAt` until `endsAt`.
public struct Silence: Sendable, Hashable {
    public enum State: String, Sendable, Hashable { case pending, active, expired }

    public var id: String
    public var matchers: [Matcher]
    public var startsAt: Date
    public var endsAt: Date
    public var createdBy: String
    public var comment: String
    public var updatedAt: Date

    public init(id: String, matchers: [Matcher], startsAt: Date, endsAt: Date, createdBy: String, comment: String, updatedAt: Date) {
        self.id = id
        self.matchers = matchers
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.createdBy = createdBy
        self.comment = comment
        self.updatedAt = updatedAt
    }

    /// Alertmanager's states: pending before `startsAt`, expired from `endsAt` on.
    public func state(at now: Date) -> State {
        if now < startsAt { return .pending }
        if now >= endsAt { return .expired }
        return .active
    }

    public func mutes(_ labels: [String: String], at now: Date) -> Bool {
        state(at: now) == .active && Matcher.all(matchers, match: labels)
    }
}

extension Silence: Codable {
    /// Matchers are stored in Alertmanager v2's shape: `{name, value, isRegex, isEqual}`.
    struct StoredMatcher: Codable {
        var name: String
        var value: String
        var isRegex: Bool
        var isEqual: Bool?
    }

    enum CodingKeys: String, CodingKey { case id, matchers, startsAt, endsAt, createdBy, comment, updatedAt }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        matchers = try c.decode([StoredMatcher].self, forKey: .matchers).map { try $0.matcher() }
        startsAt = try c.decode(Date.self, forKey: .startsAt)
        endsAt = try c.decode(Date.self, forKey: .endsAt)
        createdBy = try c.decode(String.self, forKey: .createdBy)
        comment = try c.decode(String.self, forKey: .comment)
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(matchers.map(StoredMatcher.init), forKey: .matchers)
        try c.encode(startsAt, forKey: .startsAt)
        try c.encode(endsAt, forKey: .endsAt)
        try c.encode(createdBy, forKey: .createdBy)
        try c.encode(comment, forKey: .comment)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

extension Silence.StoredMatcher {
    init(_ m: Matcher) {
        name = m.name
        value = m.value
        isRegex = m.kind == .regex || m.kind == .notRegex
        isEqual = m.kind == .equal || m.kind == .regex
    }

    func matcher() throws -> Matcher {
        let kind: Matcher.Kind = switch (isRegex, isEqual ?? true) {
        case (false, true): .equal
        case (false, false): .notEqual
        case (true, true): .regex
        case (true, false): .notRegex
        }
        return try Matcher(name: name, kind: kind, value: value)
    }
}
