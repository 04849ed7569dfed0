import CLibPQ

extension PostgresCollector {
    /// What is wrong with a libpq connection string (key/value pairs or a `postgresql://` URI),
    /// or nil when libpq will accept it. The syntax is checked by libpq's own
    /// `PQconninfoParse`; the values libpq checks only when it connects (`port`, `sslmode`,
    /// `connect_timeout`, `target_session_attrs`, …) are checked here the way libpq checks them.
    /// The message never holds the password or any other value that could be one. Pure: no
    /// connection, no I/O.
    public static func validateDSN(_ dsn: String) -> String? {
        switch parse(dsn) {
        case .failure(let problem): problem.message
        case .success(let values): DSNCheck.problem(values)
        }
    }

    /// The files libpq reads each time it connects, as the DSN names them (`passfile`,
    /// `sslcert`, `sslkey`, `sslrootcert`, `sslcrl`), in that order: a kept connection was made
    /// with their old contents, so a reload after one of them changed (a rotated certificate)
    /// reconnects. Empty for a DSN libpq cannot parse. Pure: no connection, no I/O.
    public static func filesReadAtConnect(dsn: String) -> [String] {
        guard case .success(let values) = parse(dsn) else { return [] }
        return DSNCheck.fileKeywords.compactMap { values[$0] }.filter { !$0.isEmpty }
    }

    private struct ParseProblem: Error {
        var message: String
    }

    /// The keyword/value pairs libpq's `PQconninfoParse` finds (only those the DSN sets), or its
    /// error, redacted.
    private static func parse(_ dsn: String) -> Result<[String: String], ParseProblem> {
        guard !dsn.utf8.contains(0) else { return .failure(ParseProblem(message: "contains a NUL character")) }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(dsn, &errorMessage) else {
            defer { if let errorMessage { PQfreemem(errorMessage) } }
            let raw = errorMessage.map { String(cString: $0) } ?? "out of memory"
            return .failure(ParseProblem(message: DSNCheck.redactLibPQMessage(raw)))
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var i = 0
        while let keyword = options[i].keyword {
            if let v = options[i].val { values[String(cString: keyword)] = String(cString: v) }
            i += 1
        }
        return .success(values)
    }
}

/// The value checks libpq makes only at connect time (fe-connect.c), as pure functions.
enum DSNCheck {
    static let enumerated: [String: [String]] = [
        "sslmode": ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"],
        "gssencmode": ["disable", "prefer", "require"],
        "target_session_attrs": ["any", "read-write", "read-only", "primary", "standby", "prefer-standby"],
        "channel_binding": ["disable", "prefer", "require"],
        "ssl_min_protocol_version": ["", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
        "ssl_max_protocol_version": ["", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
        "sslcompression": ["0", "1"],
        "keepalives": ["0", "1"],
    ]
    /// The connection keywords that name a file libpq reads when it connects.
    static let fileKeywords = ["passfile", "sslcert", "sslkey", "sslrootcert", "sslcrl"]
    static let integers = ["connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout"]

    static func problem(_ values: [String: String]) -> String? {
        // A wrong value is shown to help, unless it is one of the secrets of the same DSN.
        let secrets = Set(["password", "sslpassword"].compactMap { values[$0] }.filter { !$0.isEmpty })
        func clip(_ v: String) -> String { secrets.contains(where: { v.contains($0) }) ? "…" : DSNCheck.clip(v) }
        for key in enumerated.keys.sorted() {
            guard let v = values[key], let allowed = enumerated[key], !v.isEmpty else { continue }
            if !allowed.contains(v) {
                return "\(key) must be one of \(allowed.filter { !$0.isEmpty }.joined(separator: ", ")), found \"\(clip(v))\""
            }
        }
        for key in integers {
            guard let v = values[key], !v.isEmpty else { continue }
            let trimmed = v.trimmingCharactersSpaces()
            guard let n = Int32(trimmed), n >= 0 else {
                return "\(key) must be a non-negative integer (seconds or a count), found \"\(clip(v))\""
            }
        }
        if let ports = values["port"], !ports.isEmpty {
            let list = ports.split(separator: ",", omittingEmptySubsequences: false)
            for p in list where !p.isEmpty {
                guard let n = Int(p.trimmingCharactersSpaces()), (1...65535).contains(n) else {
                    return "port must be a number from 1 to 65535, found \"\(clip(String(p)))\""
                }
            }
            // libpq: one port for every host, or one port for all of them.
            let hosts = max((values["host"] ?? "").split(separator: ",", omittingEmptySubsequences: false).count,
                            (values["hostaddr"] ?? "").split(separator: ",", omittingEmptySubsequences: false).count, 1)
            if list.count != 1, list.count != hosts {
                return "could not match \(list.count) port numbers to \(hosts) hosts"
            }
        }
        return nil
    }

    /// libpq's parse error with every quoted fragment replaced, except the keyword of an
    /// unknown option (a name, never a value): the fragments may quote a password or the whole URI.
    static func redactLibPQMessage(_ raw: String) -> String {
        let line = raw.split(whereSeparator: { $0 == "\n" }).first.map(String.init) ?? raw
        let keepsName = line.hasPrefix("invalid connection option") || line.hasPrefix("invalid URI query parameter")
        var out = ""
        var inQuote = false
        var quoted = ""
        for c in line {
            if c == "\"" {
                if inQuote {
                    let isName = !quoted.isEmpty && quoted.count <= 64 && quoted.allSatisfy { $0 == "_" || ($0.isASCII && $0.isLetter) }
                    // libpq also quotes the separator it missed ("=", "]"): one punctuation character.
                    let isSeparator = quoted.count == 1 && quoted.allSatisfy { $0.isASCII && $0.isPunctuation || $0.isSymbol }
                    out += keepsName && isName || isSeparator ? "\"\(quoted)\"" : "\"…\""
                    quoted = ""
                }
                inQuote.toggle()
            } else if inQuote {
                quoted.append(c)
            } else {
                out.append(c)
            }
        }
        if inQuote { out += "\"…" }
        return out.trimmingCharactersSpaces()
    }

    static func clip(_ s: String) -> String {
        let shown = s.unicodeScalars.prefix(32).map { $0.value < 32 || $0.value == 127 ? "?" : String($0) }.joined()
        return s.unicodeScalars.count > 32 ? shown + "…" : shown
    }
}

extension StringProtocol {
    fileprivate func trimmingCharactersSpaces() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
