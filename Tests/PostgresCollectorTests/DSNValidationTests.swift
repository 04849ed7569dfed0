import Foundation
import Testing
@testable import PostgresCollector
import VigilCore

/// `PostgresCollector.validateDSN`: libpq's own parser plus the values libpq checks only when
/// it connects; messages never hold the password.
@Suite("DSN validation")
struct DSNValidationTests {
    @Test("valid key/value and URI DSNs pass", arguments: [
        "host=127.0.0.1 port=5432 user=app password=hunter2 dbname=app sslmode=require",
        "host=a,b port=5432,5433 target_session_attrs=read-write connect_timeout=5",
        "postgresql://app:hunter2@db:5432/app?sslmode=verify-full&application_name=x",
        "postgres:///app?host=/run/postgresql",
        "password='a b\\' c' host=db",
    ])
    func valid(dsn: String) {
        #expect(PostgresCollector.validateDSN(dsn) == nil)
    }

    @Test("connect-time values are checked as libpq checks them", arguments: [
        ("host=db port=abc", "port must be a number from 1 to 65535"),
        ("host=db port=0", "port must be a number from 1 to 65535"),
        ("postgresql://u@db:99999/x", "port must be a number from 1 to 65535"),
        ("host=a,b,c port=1,2", "could not match 2 port numbers to 3 hosts"),
        ("host=db sslmode=bogus", "sslmode must be one of disable, allow, prefer"),
        ("host=db target_session_attrs=primaryish", "target_session_attrs must be one of"),
        ("host=db gssencmode=maybe", "gssencmode must be one of"),
        ("host=db connect_timeout=5s", "connect_timeout must be a non-negative integer"),
        ("host=db keepalives_idle=99999999999", "keepalives_idle must be a non-negative integer"),
        ("host=db sslmdoe=require", "invalid connection option \"sslmdoe\""),
        ("host=db password='unterminated", "unterminated quoted string"),
        ("host=db user\0=x", "contains a NUL character"),
    ])
    func invalid(dsn: String, expected: String) {
        let problem = PostgresCollector.validateDSN(dsn)
        #expect(problem?.contains(expected) == true, "\(problem ?? "nil")")
    }

    @Test("libpq's messages are redacted: no fragment of a value, no URI", arguments: [
        "host=db password=hunter2 stray",
        "postgresql://app:hunter2@[::1/db",
        "postgresql://app:hunter2@db/x?%zzhunter2=1",
        "postgresql://app:hunter2@db/x?hunter2",
        "host=db password=hunter2 port=hunter2",
        "host=db sslmode=hunter2 password=hunter2",
    ])
    func redacted(dsn: String) {
        let problem = PostgresCollector.validateDSN(dsn)
        #expect(problem != nil)
        #expect(problem?.contains("hunter2") == false, "\(problem ?? "")")
    }
}

/// The files libpq reads at connect time, so that a reload after they change reconnects.
@Suite("DSN files read at connect")
struct DSNFilesTests {
    @Test("the files a DSN names for libpq to read at connect are listed, in key/value and URI form; other values are not")
    func listed() {
        #expect(PostgresCollector.filesReadAtConnect(
            dsn: "host=db sslmode=verify-full sslrootcert=/etc/ca.pem sslcert=/etc/c.crt sslkey='/etc/c key' passfile=/run/pgpass")
            == ["/run/pgpass", "/etc/c.crt", "/etc/c key", "/etc/ca.pem"])
        #expect(PostgresCollector.filesReadAtConnect(dsn: "postgresql://u@db/app?sslrootcert=/etc/ca.pem&sslcrl=/etc/crl.pem")
            == ["/etc/ca.pem", "/etc/crl.pem"])
        #expect(PostgresCollector.filesReadAtConnect(dsn: "host=/run/postgresql dbname=app password=secret").isEmpty)
        #expect(PostgresCollector.filesReadAtConnect(dsn: "host=db sslrootcert=").isEmpty)
        #expect(PostgresCollector.filesReadAtConnect(dsn: "host=db password='unterminated").isEmpty)
    }

    @Test("a target's identity changes when a file its DSN names changes, and only then")
    func identityFollowsFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-dsnfiles-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ca = dir.appendingPathComponent("ca.pem").path
        try Data("first".utf8).write(to: URL(fileURLWithPath: ca))
        let options = PostgresCollectorOptions(dsn: "host=127.0.0.1 sslmode=verify-ca sslrootcert=\(ca)")
        func identity() -> TargetIdentity {
            PostgresTargetKind().target("db", options, interval: 15, timeout: 10, count: 1).identity(collectorKind: "postgres")
        }
        let before = identity()
        #expect(identity() == before)
        try Data("rotated".utf8).write(to: URL(fileURLWithPath: ca))
        #expect(identity() != before)
    }
}
