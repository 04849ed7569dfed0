import Foundation
import Testing
@testable import PostgresCollector
import VigilTestSupport

@Suite("LibPQConnection: pure helpers")
struct LibPQConnectionPureTests {
    @Test("multi-line libpq errors become one trimmed line")
    func trims() {
        let raw = "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n"
        #expect(LibPQConnection.trimMessage(raw) == "connection to server at \"127.0.0.1\", port 1 failed: Connection refused Is the server running on that host and accepting TCP/IP connections?")
        #expect(LibPQConnection.trimMessage("\n\n") == "")
    }

    @Test("the password is scrubbed from any text")
    func scrubs() {
        #expect(LibPQConnection.scrub("bad s3cret here s3cret", password: "s3cret") == "bad <secret> here <secret>")
        #expect(LibPQConnection.scrub("nothing", password: nil) == "nothing")
    }

    @Test("URI and key/value DSNs both parse; sslmode passes through")
    func parsesBothForms() throws {
        let uri = try LibPQConnection.parse(dsn: "postgresql://bob:pw@db.example:6432/app?sslmode=require&connect_timeout=3")
        #expect(uri["user"] == "bob")
        #expect(uri["host"] == "db.example")
        #expect(uri["port"] == "6432")
        #expect(uri["dbname"] == "app")
        #expect(uri["sslmode"] == "require")
        #expect(uri["password"] == "pw")
        let kv = try LibPQConnection.parse(dsn: "host=127.0.0.1 port=5 dbname=x user=u password='p w' sslmode=disable")
        #expect(kv["host"] == "127.0.0.1")
        #expect(kv["password"] == "p w")
        #expect(kv["sslmode"] == "disable")
    }

    @Test("a DSN libpq refuses gives an error without the password")
    func badDSNHidesPassword() {
        for dsn in ["host=x password=hunter2 bogus", "postgresql://u:hunter2@h/db?nosuchoption=1"] {
            do {
                _ = try LibPQConnection.parse(dsn: dsn)
                Issue.record("expected a parse error for a bad DSN")
            } catch let e as PostgresError {
                #expect(e.kind == .badDSN)
                #expect(!e.description.contains("hunter2"), "\(e.description)")
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }
}

@Suite("LibPQConnection: against a real server", .serialized)
struct LibPQConnectionIntegrationTests {
    @Test("connects, sets application_name and statement_timeout, returns rows as Swift values",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func connectsAndQueries() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let c = try LibPQConnection(dsn: dsn, statementTimeout: 2.5, deadline: .after(seconds: 5))
        defer { c.close() }
        #expect(c.serverVersion >= 120000)
        let r = try c.query("SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt, NULL::text AS n, 42 AS answer", deadline: .after(seconds: 5))
        #expect(r.columns == ["app", "st", "lt", "n", "answer"])
        #expect(r.rows == [["vigil", "2500ms", "1s", nil, "42"]])

        let p = try c.query("SELECT $1::int + 1 AS v, $2::text IS NULL AS isnull", ["41", nil], deadline: .after(seconds: 5))
        #expect(p.rows == [["42", "t"]])
    }

    @Test("key/value DSNs work too", .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func keyValueDSN() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let p = try LibPQConnection.parse(dsn: dsn)
        let kv = "host=\(p["host"] ?? "") port=\(p["port"] ?? "") user=\(p["user"] ?? "") password='\(p["password"] ?? "")' dbname=\(p["dbname"] ?? "") sslmode=disable"
        let c = try LibPQConnection(dsn: kv, statementTimeout: 0, deadline: .after(seconds: 5))
        defer { c.close() }
        #expect(try c.query("SELECT 1", deadline: .after(seconds: 5)).rows == [["1"]])
    }

    @Test("server errors carry SQLSTATE and leave the connection usable",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func serverError() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let c = try LibPQConnection(dsn: dsn, statementTimeout: 5, deadline: .after(seconds: 5))
        defer { c.close() }
        do {
            _ = try c.query("SELECT * FROM no_such_table_vigil", deadline: .after(seconds: 5))
            Issue.record("expected an error")
        } catch let e as PostgresError {
            #expect(e.kind == .query)
            #expect(e.sqlState == "42P01")
            #expect(!e.message.contains("\n"))
        }
        #expect(c.isHealthy)
        #expect(try c.query("SELECT 2", deadline: .after(seconds: 5)).rows == [["2"]])
    }

    @Test("notices go to the notice processor, not stderr", .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func notices() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let c = try LibPQConnection(dsn: dsn, statementTimeout: 5, deadline: .after(seconds: 5))
        defer { c.close() }
        _ = try c.query("DO $$ BEGIN RAISE NOTICE 'hello from vigil test'; END $$", deadline: .after(seconds: 5))
        #expect(c.noticeCount == 1)
        #expect(c.lastNotice?.hasPrefix("NOTICE:") == true)
        #expect(c.lastNotice?.hasSuffix("hello from vigil test") == true)
    }

    @Test("a statement past the deadline is cancelled and reported as a timeout",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func deadline() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let c = try LibPQConnection(dsn: dsn, statementTimeout: 30, deadline: .after(seconds: 5))
        let start = ContinuousClock.now
        do {
            _ = try c.query("SELECT pg_sleep(5)", deadline: .after(seconds: 0.3))
            Issue.record("expected a timeout")
        } catch let e as PostgresError {
            #expect(e.kind == .timeout)
        }
        #expect(ContinuousClock.now - start < .seconds(1.5))
        #expect(!c.isHealthy)
        // The cancelled backend goes away: no pg_sleep left running for long.
        let check = try LibPQConnection(dsn: dsn, statementTimeout: 5, deadline: .after(seconds: 5))
        defer { check.close() }
        var left = 1
        for _ in 0..<40 where left > 0 {
            left = Int(try check.query("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(5)' AND state = 'active'", deadline: .after(seconds: 5)).rows.first?.first??.description ?? "1") ?? 1
            if left > 0 { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(left == 0)
    }

    @Test("the server-side statement_timeout stops a slow statement", .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func serverSideTimeout() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let c = try LibPQConnection(dsn: dsn, statementTimeout: 0.2, deadline: .after(seconds: 5))
        defer { c.close() }
        do {
            _ = try c.query("SELECT pg_sleep(3)", deadline: .after(seconds: 5))
            Issue.record("expected statement_timeout")
        } catch let e as PostgresError {
            #expect(e.kind == .query)
            #expect(e.sqlState == "57014")
        }
    }

    @Test("a wrong password fails fast and the error does not contain it", .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func wrongPassword() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let p = try LibPQConnection.parse(dsn: dsn)
        let bad = "host=\(p["host"] ?? "") port=\(p["port"] ?? "") user=\(p["user"] ?? "") password=Wr0ngPassw0rd dbname=postgres"
        do {
            _ = try LibPQConnection(dsn: bad, statementTimeout: 1, deadline: .after(seconds: 5))
            Issue.record("expected authentication failure")
        } catch let e as PostgresError {
            #expect(e.kind == .connect)
            #expect(!e.description.contains("Wr0ngPassw0rd"))
            #expect(e.description.contains("password authentication failed"))
        }
    }
}

@Suite("LibPQConnection: unreachable servers")
struct LibPQConnectionUnreachableTests {
    @Test("a listener that accepts and never answers fails the connect within the deadline")
    func silentServer() throws {
        let server = try SilentListener()
        let start = ContinuousClock.now
        do {
            _ = try LibPQConnection(dsn: "postgresql://vigil:pw@127.0.0.1:\(server.port)/postgres", statementTimeout: 1, deadline: .after(seconds: 0.5))
            Issue.record("expected a timeout")
        } catch let e as PostgresError {
            #expect(e.kind == .timeout)
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(1.5), "took \(elapsed)")
        #expect(elapsed >= .milliseconds(400))
    }

    @Test("a closed port fails with a one-line connect error")
    func refused() throws {
        let port: UInt16
        do { let s = try SilentListener(); port = UInt16(s.port) }  // closed again: nothing listens
        do {
            _ = try LibPQConnection(dsn: "host=127.0.0.1 port=\(port) user=u password=topsecret dbname=d", statementTimeout: 1, deadline: .after(seconds: 2))
            Issue.record("expected refusal")
        } catch let e as PostgresError {
            #expect(e.kind == .connect)
            #expect(e.message.contains("Connection refused"))
            #expect(!e.message.contains("\n"))
            #expect(!e.message.contains("topsecret"))
        }
    }
}

@Suite("LibPQConnection: prepared statements against a real server")
struct PreparedStatementTests {
    @Test("a statement is prepared once per connection and prepared again after the server forgot it",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")), .timeLimit(.minutes(1)))
    func preparedOnce() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let c = try LibPQConnection(dsn: dsn, statementTimeout: 5, deadline: .after(seconds: 10))
        defer { c.close() }
        let sql = "SELECT $1::int + 1 AS n"
        let count = "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = 'SELECT $1::int + 1 AS n'"
        for i in 1...3 {
            #expect(try c.queryPrepared(sql, ["\(i)"], deadline: .after(seconds: 5)).namedRows.first?.label("n") == "\(i + 1)")
        }
        #expect(try c.query(count, deadline: .after(seconds: 5)).namedRows.first?.label("n") == "1")
        // What a pooler's DISCARD ALL does: the next execution prepares it again, once.
        _ = try c.query("DISCARD ALL", deadline: .after(seconds: 5))
        #expect(try c.queryPrepared(sql, ["41"], deadline: .after(seconds: 5)).namedRows.first?.label("n") == "42")
        #expect(try c.queryPrepared(sql, ["1"], deadline: .after(seconds: 5)).namedRows.first?.label("n") == "2")
        #expect(try c.query(count, deadline: .after(seconds: 5)).namedRows.first?.label("n") == "1")
        // An error in a prepared statement is the statement's, not the connection's.
        #expect(throws: PostgresError.self) { try c.queryPrepared("SELECT 1 / $1::int", ["0"], deadline: .after(seconds: 5)) }
        #expect(try c.queryPrepared("SELECT 1 / $1::int AS n", ["1"], deadline: .after(seconds: 5)).namedRows.first?.label("n") == "1")
    }
}
