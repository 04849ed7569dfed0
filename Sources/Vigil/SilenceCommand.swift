import HTTPClient
import ArgumentParser
import Foundation
import Notify
import VigilCore

/// `vigil silence add|list|expire`: manage the silences of a running Vigil through its
/// Alertmanager-v2-shaped API (the running process holds them; it persists them in state_dir).
struct SilenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "silence",
        abstract: "Add, list and expire silences of a running Vigil.",
        subcommands: [Add.self, List.self, Expire.self]
    )

    struct Connection: ParsableArguments {
        @Option(name: .long, help: "Base URL of the running Vigil (env VIGIL_URL).")
        var url: String = ProcessInfo.processInfo.environment["VIGIL_URL"] ?? "http://127.0.0.1:9633"
        @Option(name: .customLong("tls-ca-file"), help: "CA certificate(s), PEM, to verify an https Vigil with (default: the system's).")
        var tlsCAFile: String?
        @Option(name: .customLong("tls-cert-file"), help: "Client certificate, PEM, when Vigil verifies client certificates.")
        var tlsCertFile: String?
        @Option(name: .customLong("tls-key-file"), help: "The client certificate's key, PEM.")
        var tlsKeyFile: String?
        @Option(help: "Basic-auth user (with --password-file).")
        var username: String?
        @Option(name: .customLong("password-file"), help: "File holding the basic-auth password (one trailing newline is ignored); never given on the command line.")
        var passwordFile: String?

        func validate() throws {
            if (username == nil) != (passwordFile == nil) {
                throw ValidationError("--username and --password-file go together")
            }
            if (tlsCertFile == nil) != (tlsKeyFile == nil) {
                throw ValidationError("--tls-cert-file and --tls-key-file go together")
            }
        }

        /// The `Authorization` header, or nil without credentials. The password is read from its
        /// file at each call and never printed (errors name the file only).
        func authorization() throws -> String? {
            guard let username, let passwordFile else { return nil }
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw ValidationError("cannot read --password-file \(passwordFile)")
            }
            var password = String(decoding: data, as: UTF8.self)
            if password.hasSuffix("\r\n") { password.removeLast(2) } else if password.hasSuffix("\n") { password.removeLast() }
            guard !password.isEmpty else { throw ValidationError("--password-file \(passwordFile) is empty") }
            return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        }

        var tls: TLSOptions { TLSOptions(caFile: tlsCAFile, certFile: tlsCertFile, keyFile: tlsKeyFile) }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Silence the alerts matching every matcher, e.g. vigil silence add alertname=RedisDown 'server=~\"cache-.*\"'.")

        @OptionGroup var connection: Connection
        @Option(help: "Who is silencing (default: $USER).") var author: String = ProcessInfo.processInfo.environment["USER"] ?? "vigil"
        @Option(help: "Why.") var comment: String
        @Option(help: "How long, as a Prometheus duration (default 1h).") var duration: String = "1h"
        @Argument(help: "Matchers in Alertmanager's syntax: name=value, name!=value, name=~regex, name!~regex.") var matchers: [String]

        func run() async throws {
            guard let seconds = PromDuration.parse(duration), seconds > 0 else {
                throw ValidationError("invalid --duration \"\(duration)\" (use e.g. 30m, 2h)")
            }
            var parsed: [Matcher] = []
            for text in matchers {
                do { parsed += try MatcherParser.parse(text) } catch { throw ValidationError("invalid matcher \(text): \(error)") }
            }
            guard !parsed.isEmpty else { throw ValidationError("at least one matcher is required") }
            let now = Date()
            let body: [String: Any] = [
                "matchers": parsed.map { m in
                    ["name": m.name, "value": m.value, "isRegex": m.kind == .regex || m.kind == .notRegex,
                     "isEqual": m.kind == .equal || m.kind == .regex] as [String: Any]
                },
                "startsAt": Self.format(now), "endsAt": Self.format(now.addingTimeInterval(seconds)),
                "createdBy": author, "comment": comment,
            ]
            let data = try JSONSerialization.data(withJSONObject: body)
            let reply = try await SilenceCommand.request(connection, "POST", "/api/v2/silences", body: data)
            let id = (try? JSONSerialization.jsonObject(with: reply) as? [String: Any])?["silenceID"] as? String
            print(id ?? String(decoding: reply, as: UTF8.self))
        }

        static func format(_ d: Date) -> String {
            d.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List silences (active and pending first).")
        @OptionGroup var connection: Connection
        @Flag(help: "Include expired silences.") var expired = false

        func run() async throws {
            let reply = try await SilenceCommand.request(connection, "GET", "/api/v2/silences", body: nil)
            guard let all = try JSONSerialization.jsonObject(with: reply) as? [[String: Any]] else {
                throw ValidationError("unexpected answer from \(Redaction.url(connection.url))")
            }
            print("ID                                    STATE     ENDS                      CREATED BY  MATCHERS  COMMENT")
            for s in all {
                let state = (s["status"] as? [String: Any])?["state"] as? String ?? "?"
                if state == "expired", !expired { continue }
                let ms = (s["matchers"] as? [[String: Any]] ?? []).map { m -> String in
                    let op = (m["isRegex"] as? Bool ?? false) ? ((m["isEqual"] as? Bool ?? true) ? "=~" : "!~") : ((m["isEqual"] as? Bool ?? true) ? "=" : "!=")
                    return "\(m["name"] as? String ?? "")\(op)\"\(m["value"] as? String ?? "")\""
                }.joined(separator: ",")
                let id = s["id"] as? String ?? ""
                let ends = s["endsAt"] as? String ?? ""
                let author = s["createdBy"] as? String ?? ""
                print("\(id.padding(toLength: 38, withPad: " ", startingAt: 0))\(state.padding(toLength: 10, withPad: " ", startingAt: 0))\(ends.padding(toLength: 26, withPad: " ", startingAt: 0))\(author.padding(toLength: 12, withPad: " ", startingAt: 0))\(ms)  \(s["comment"] as? String ?? "")")
            }
        }
    }

    struct Expire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Expire silences by id.")
        @OptionGroup var connection: Connection
        @Argument(help: "Silence ids.") var ids: [String]

        func run() async throws {
            for id in ids {
                let safe = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id
                _ = try await SilenceCommand.request(connection, "DELETE", "/api/v2/silence/\(safe)", body: nil)
                print("expired \(id)")
            }
        }
    }

    /// One request to the running Vigil; a non-2xx answer becomes an error with its body.
    static func request(_ connection: Connection, _ method: String, _ path: String, body: Data?) async throws -> Data {
        let base = connection.url
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        var request = HTTPClientRequest(method: method, url: trimmed + path, timeout: 10, tls: connection.tls, maxResponseBytes: 16 << 20)
        if let authorization = try connection.authorization() {
            request.headers.append(HTTPClientHeader("Authorization", authorization))
        }
        if let body {
            request.body = Array(body)
            request.headers.append(HTTPClientHeader("Content-Type", "application/json"))
        }
        let response: HTTPClientResponse
        switch await HTTPClient.send(request) {
        case .success(let r): response = r
        case .failure(let e): throw ValidationError("\(method) \(path) failed: \(e.message)")
        }
        guard (200...299).contains(response.status) else {
            throw ValidationError("\(method) \(path) answered \(response.status): \(String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return Data(response.body)
    }
}
