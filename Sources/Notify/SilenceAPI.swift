public import Foundation

/// Alertmanager's v2 silence API over plain values: list (optional `filter` of matchers),
/// create or update from a JSON body, get one, expire one. Each answer is the HTTP status and
/// JSON body in Alertmanager's shapes; the executable's HTTP adapter maps
/// `/api/v2/silences` and `/api/v2/silence/{id}` and their methods onto these functions.
public struct SilenceAPI: Sendable {
    public let store: SilenceStore
    private let clock: @Sendable () -> Date

    public init(store: SilenceStore, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.clock = clock
    }

    /// One answer: the HTTP status and a JSON body (empty for a successful expiry).
    public struct Reply: Sendable, Equatable {
        public var status: Int
        public var body: [UInt8]

        public init(status: Int, body: [UInt8] = []) {
            self.status = status
            self.body = body
        }
    }

    /// `GET /api/v2/silences`: every silence whose matchers include each matcher of `filter`
    /// (Alertmanager's matcher list syntax), active first, then pending, then expired.
    public func list(filter: String?) -> Reply { list(filter: filter, at: clock()) }

    /// `POST /api/v2/silences`: creates a silence from Alertmanager's JSON, or updates the one
    /// its `id` names (an expired one is replaced by a new id); 400 with a reason when invalid.
    public func create(_ body: [UInt8]) -> Reply { post(body, at: clock()) }

    /// `GET /api/v2/silence/{id}`.
    public func get(id: String) -> Reply {
        let now = clock()
        guard let s = store.silence(id: id) else { return error(404, "silence \(id) not found") }
        return json(200, Self.gettable(s, at: now))
    }

    /// `DELETE /api/v2/silence/{id}`: expires the silence now; 500 when it already expired.
    public func expire(id: String) -> Reply {
        let now = clock()
        guard let s = store.silence(id: id) else { return error(404, "silence \(id) not found") }
        guard s.state(at: now) != .expired else { return error(500, "silence \(id) already expired") }
        do {
            _ = try store.expire(id: id, at: now)
        } catch {
            return self.error(500, "cannot persist the silence")
        }
        return Reply(status: 200)
    }

    func list(filter: String?, at now: Date) -> Reply {
        var filterMatchers: [Matcher] = []
        if let filter, !filter.isEmpty {
            do { filterMatchers = try MatcherParser.parse(filter) } catch {
                return self.error(400, "bad filter: \(error.description)")
            }
        }
        let wanted = store.all.filter { s in
            // Alertmanager keeps a silence when each filter matcher equals one of its matchers.
            filterMatchers.allSatisfy { f in s.matchers.contains(f) }
        }
        // Alertmanager orders active, then pending, then expired.
        let order: [Silence.State: Int] = [.active: 0, .pending: 1, .expired: 2]
        let sorted = wanted.sorted { a, b in
            let (sa, sb) = (order[a.state(at: now)] ?? 3, order[b.state(at: now)] ?? 3)
            if sa != sb { return sa < sb }
            return a.endsAt < b.endsAt
        }
        return json(200, sorted.map { Self.gettable($0, at: now) })
    }

    func post(_ body: [UInt8], at now: Date) -> Reply {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return error(400, "body must be a JSON object")
        }
        guard let rawMatchers = object["matchers"] as? [[String: Any]], !rawMatchers.isEmpty else {
            return error(400, "matchers: at least one matcher is required")
        }
        var matchers: [Matcher] = []
        for (i, m) in rawMatchers.enumerated() {
            guard let name = m["name"] as? String, !name.isEmpty, let value = m["value"] as? String else {
                return error(400, "matchers[\(i)]: name and value are required")
            }
            let isRegex = m["isRegex"] as? Bool ?? false
            let isEqual = m["isEqual"] as? Bool ?? true
            let kind: Matcher.Kind = isRegex ? (isEqual ? .regex : .notRegex) : (isEqual ? .equal : .notEqual)
            do { matchers.append(try Matcher(name: name, kind: kind, value: value)) } catch {
                return self.error(400, "matchers[\(i)]: \(error.message)")
            }
        }
        guard matchers.contains(where: { !$0.matches([:]) }) else {
            return error(400, "at least one matcher must not match the empty string")
        }
        guard let startsAt = (object["startsAt"] as? String).flatMap(Self.parseTime) else {
            return error(400, "startsAt: an RFC 3339 time is required")
        }
        guard let endsAt = (object["endsAt"] as? String).flatMap(Self.parseTime) else {
            return error(400, "endsAt: an RFC 3339 time is required")
        }
        guard endsAt > startsAt else { return error(400, "endsAt must be after startsAt") }
        guard endsAt > now else { return error(400, "endsAt is in the past") }
        guard let createdBy = object["createdBy"] as? String, !createdBy.isEmpty else { return error(400, "createdBy is required") }
        guard let comment = object["comment"] as? String, !comment.isEmpty else { return error(400, "comment is required") }

        var id = UUID().uuidString.lowercased()
        if let given = object["id"] as? String, !given.isEmpty {
            guard let existing = store.silence(id: given) else { return error(404, "silence \(given) not found") }
            if existing.state(at: now) != .expired { id = given }
        }
        let silence = Silence(id: id, matchers: matchers, startsAt: max(startsAt, now), endsAt: endsAt,
                              createdBy: createdBy, comment: comment, updatedAt: now)
        do { try store.put(silence, at: now) } catch {
            return self.error(500, "cannot persist the silence")
        }
        return json(200, ["silenceID": id])
    }

    static func gettable(_ s: Silence, at now: Date) -> [String: Any] {
        [
            "id": s.id,
            "status": ["state": s.state(at: now).rawValue],
            "updatedAt": RFC3339.format(s.updatedAt),
            "comment": s.comment,
            "createdBy": s.createdBy,
            "startsAt": RFC3339.format(s.startsAt),
            "endsAt": RFC3339.format(s.endsAt),
            "matchers": s.matchers.map { m -> [String: Any] in
                ["name": m.name, "value": m.value, "isRegex": m.kind == .regex || m.kind == .notRegex,
                 "isEqual": m.kind == .equal || m.kind == .regex]
            },
        ]
    }

    static func parseTime(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }

    private func json(_ status: Int, _ value: Any) -> Reply {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("null".utf8)
        return Reply(status: status, body: Array(data))
    }

    private func error(_ status: Int, _ message: String) -> Reply {
        json(status, ["code": status, "message": message])
    }
}
