/// A PostgreSQL server version from `server_version_num` (`150004` → 15.4; before 10,
/// `90624` → 9.6.24). Pure.
struct ServerVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    let number: Int

    init(number: Int) { self.number = number }

    /// `server_version_num` as the server sends it: at most 8 digits (PostgreSQL 9.0 is
    /// 90000, 17.2 is 170002); nil for anything else.
    init?(text: String) {
        guard !text.isEmpty, text.utf8.count <= 8, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(text) else { return nil }
        self.init(number: n)
    }

    init(major: Int, minor: Int = 0) {
        number = major >= 10 ? major * 10000 + minor : major * 10000 + minor * 100
    }

    var major: Int { number / 10000 }
    var minor: Int { number >= 100000 ? number % 10000 : (number / 100) % 100 }

    /// `short_version` as postgres_exporter labels `pg_static`: `15.4.0`.
    var shortVersion: String {
        number >= 100000 ? "\(major).\(minor).0" : "\(major).\(minor).\(number % 100)"
    }

    var description: String { shortVersion }

    static func < (a: ServerVersion, b: ServerVersion) -> Bool { a.number < b.number }

    func atLeast(_ major: Int, _ minor: Int = 0) -> Bool { self >= ServerVersion(major: major, minor: minor) }
}
