/// One node of the routing tree, with the settings it inherits from its parents already
/// applied (Alertmanager's semantics). The root matches every alert.
public struct Route: Sendable, Hashable {
    public enum GroupBy: Sendable, Hashable {
        /// `group_by: ['...']`: every label; each distinct label set is its own group.
        case all
        /// Only these labels (none: one group for the whole route).
        case labels([String])
    }

    public var receiver: String
    public var matchers: [Matcher]
    public var groupBy: GroupBy
    /// Seconds. Alertmanager's defaults: 30s, 5m, 4h.
    public var groupWait: Double
    public var groupInterval: Double
    public var repeatInterval: Double
    /// Keep matching later siblings after this route matched.
    public var `continue`: Bool
    public var routes: [Route]
    /// Alertmanager's route key: the parent's key, `/`, this route's matchers (`{}` for none).
    public var key: String
    /// Position in the tree (`0`, `0.1`, …): identifies the route even when siblings share
    /// matchers (and so a key). Groups belong to a route, as in Alertmanager's dispatcher.
    public var id: String

    public init(
        receiver: String,
        matchers: [Matcher] = [],
        groupBy: GroupBy = .labels([]),
        groupWait: Double = 30,
        groupInterval: Double = 300,
        repeatInterval: Double = 4 * 3600,
        continue: Bool = false,
        routes: [Route] = [],
        key: String? = nil
    ) {
        self.receiver = receiver
        self.matchers = matchers
        self.groupBy = groupBy
        self.groupWait = groupWait
        self.groupInterval = groupInterval
        self.repeatInterval = repeatInterval
        self.continue = `continue`
        self.routes = routes
        self.key = key ?? Matcher.listDescription(matchers)
        self.id = "0"
        self.assignIDs(from: "0")
    }

    /// Numbers this route and its children by position.
    public mutating func assignIDs(from id: String) {
        self.id = id
        for i in routes.indices { routes[i].assignIDs(from: "\(id).\(i)") }
    }

    /// The routes an alert with `labels` goes to, as Alertmanager's `Route.Match`: the deepest
    /// matching routes; children are tried in order and the first match stops the search unless
    /// it has `continue`. A route none of whose children match takes the alert itself.
    public func match(_ labels: [String: String]) -> [Route] {
        guard Matcher.all(matchers, match: labels) else { return [] }
        var all: [Route] = []
        for child in routes {
            let matched = child.match(labels)
            all += matched
            if !matched.isEmpty, !child.continue { break }
        }
        if all.isEmpty { all.append(self) }
        return all
    }

    /// The labels of `labels` this route groups by, sorted by name.
    public func groupLabels(for labels: [String: String]) -> [String: String] {
        switch groupBy {
        case .all: return labels
        case .labels(let names):
            var out: [String: String] = [:]
            for n in names { if let v = labels[n] { out[n] = v } }
            return out
        }
    }

    /// Every route of the tree, depth first (for validation).
    public var allRoutes: [Route] { [self] + routes.flatMap(\.allRoutes) }
}

/// Alertmanager's `LabelSet.String()`: `{a="b", c="d"}`, sorted by name.
func labelSetDescription(_ labels: [String: String]) -> String {
    "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\(Matcher.quote($0.value))" }.joined(separator: ", ") + "}"
}
