import VigilCore

/// `CLIENT LIST`: redis_exporter's `export-client-list` family `redis_connected_clients_details`
/// (one series per connection: opt-in), and Vigil's bounded `redis_connected_clients_by_name`.
/// Pure.
enum ClientList {
    /// One line of `CLIENT LIST` as its `field=value` pairs; nil for a line that is not a
    /// client's (`id=N addr=…` first). Values hold no spaces (Redis refuses names with spaces).
    static func parse(line: Substring) -> [String: String]? {
        guard line.hasPrefix("id=") else { return nil }
        var fields: [String: String] = [:]
        for part in line.split(separator: " ") {
            guard let eq = part.firstIndex(of: "=") else { return nil }
            fields[String(part[..<eq])] = String(part[part.index(after: eq)...])
        }
        guard fields["addr"] != nil else { return nil }
        return fields
    }

    static func parse(_ text: String) -> [[String: String]] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).compactMap { parse(line: $0) }
    }

    /// The label of clients whose names are past the cap.
    static let otherName = "other"

    /// Clients per `CLIENT SETNAME` name (an unnamed client counts as `name=""`); the
    /// `maxNames` most numerous names (ties by name) keep their own series, the rest add up
    /// under `name="other"`.
    static func byName(_ clients: [[String: String]], maxNames: Int) -> [(name: String, count: Double)] {
        var counts: [String: Double] = [:]
        for c in clients { counts[c["name"] ?? "", default: 0] += 1 }
        let ranked = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        var out = ranked.prefix(max(0, maxNames)).map { (name: $0.key, count: $0.value) }
        let rest = ranked.dropFirst(max(0, maxNames)).reduce(0) { $0 + $1.value }
        if rest > 0 {
            if let i = out.firstIndex(where: { $0.name == otherName }) { out[i].count += rest } else { out.append((otherName, rest)) }
        }
        return out.sorted { $0.name < $1.name }
    }

    static func add(_ clients: [[String: String]], details: Bool, byName: Bool, maxNames: Int, now: Double,
                    to b: inout FamilyBuilder) {
        if byName {
            for (name, n) in self.byName(clients, maxNames: maxNames) {
                b.gauge("connected_clients_by_name", n, ["name": name],
                        help: "Connected clients by CLIENT SETNAME name (the most numerous names; the rest under name=\"other\").")
            }
        }
        guard details else { return }
        for c in clients {
            guard let addr = c["addr"], let colon = addr.lastIndex(of: ":") else { continue }
            func since(_ field: String) -> String {
                guard let s = c[field], let secs = Int64(s), secs >= 0, secs <= Int64(now) else { return "" }
                return String(Int64(now) - secs)
            }
            var labels: Labels = ["name": c["name"] ?? "", "created_at": since("age"), "idle_since": since("idle"),
                                  "flags": c["flags"] ?? "", "db": c["db"] ?? "", "omem": c["omem"] ?? "",
                                  "cmd": c["cmd"] ?? "", "host": String(addr[..<colon])]
            if let u = c["user"], !u.isEmpty { labels = labels.appending("user", u) }
            if let r = c["resp"], !r.isEmpty { labels = labels.appending("resp", r) }
            b.gauge("connected_clients_details", 1, labels, help: "Details about connected clients")
        }
    }
}
