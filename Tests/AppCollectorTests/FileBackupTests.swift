import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import AppCollector

@Suite("Backups: files matched by a glob", .serialized)
struct FileBackupTests {
    static func write(_ dir: String, _ name: String, _ bytes: [UInt8], age: Double) throws {
        let path = "\(dir)/\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path)
    }

    @Test("newest and previous file, count, total size and age come from the files the glob matches")
    func families() throws {
        let dir = try TestEnvironment.temporaryDirectory().path
        let dump = try #require(Gzip.compress(Array(String(repeating: "INSERT INTO t VALUES (1);\n", count: 1000).utf8)))
        try Self.write(dir, "vrooli_20260101_020000.sql.gz", Array(repeating: 1, count: 500), age: 2 * 86_400)
        try Self.write(dir, "vrooli_20260102_020000.sql.gz", Array(repeating: 2, count: 900), age: 86_400)
        try Self.write(dir, "vrooli_20260103_020000.sql.gz", dump, age: 3600)
        try Self.write(dir, "notes.txt", [1, 2, 3], age: 10)
        try FileManager.default.createDirectory(atPath: dir + "/vrooli_dir.sql.gz", withIntermediateDirectories: false)
        let targets = try readTargets(BackupKind(), "backups:\n  - {name: pg, path: \"\(dir)/vrooli_*.sql.gz\", verify: gzip, interval: 1m}\n")
        let target = try #require(targets.first)
        #expect(target.labels == [Label("backup", "pg")])
        let f = try collectOnce(target)
        #expect(f.value("backup_files") == 3)
        #expect(f.value("backup_total_size_bytes") == Double(500 + 900 + dump.count))
        #expect(f.value("backup_newest_size_bytes") == Double(dump.count))
        #expect(f.value("backup_previous_size_bytes") == 900)
        let age = try #require(f.value("backup_newest_age_seconds"))
        #expect(abs(age - 3600) < 60)
        let stamp = try #require(f.value("backup_newest_timestamp_seconds"))
        #expect(abs(stamp - (Date().timeIntervalSince1970 - 3600)) < 60)
        #expect(f.value("backup_newest_verified") == 1)
    }

    @Test("a corrupt newest file reads backup_newest_verified 0; replacing it re-verifies")
    func corruptNewest() throws {
        let dir = try TestEnvironment.temporaryDirectory().path
        let good = try #require(Gzip.compress(Array(String(repeating: "x", count: 100_000).utf8)))
        try Self.write(dir, "a.gz", good, age: 7200)
        try Self.write(dir, "b.gz", Array(good.prefix(good.count / 2)), age: 60)
        let target = try #require(try readTargets(BackupKind(), "backups:\n  - {name: pg, path: \"\(dir)/*.gz\", verify: gzip}\n").first)
        let collector = try target.makeCollector(logger: .init(label: "test"))
        let ctx = { CollectContext(startedAt: Date(), deadline: .now + .seconds(10)) }
        #expect(try collector.collect(ctx()).value("backup_newest_verified") == 0)
        try Self.write(dir, "b.gz", good, age: 30)
        #expect(try collector.collect(ctx()).value("backup_newest_verified") == 1)
    }

    @Test("no matching file gives backup_files 0 and no newest series; verify none exports no verified gauge")
    func empty() throws {
        let dir = try TestEnvironment.temporaryDirectory().path
        let target = try #require(try readTargets(BackupKind(), "backups:\n  - {name: wal, path: \"\(dir)/*\"}\n").first)
        let f = try collectOnce(target)
        #expect(f.value("backup_files") == 0)
        #expect(f.family("backup_newest_age_seconds") == nil)
        try Self.write(dir, "000000010000000000000001", [0], age: 5)
        let g = try collectOnce(target)
        #expect(g.value("backup_files") == 1)
        #expect(g.family("backup_newest_verified") == nil)
        #expect(g.family("backup_previous_size_bytes") == nil)
    }

    @Test("a glob matching more than max_files fails the collection with a clear reason")
    func tooMany() throws {
        let dir = try TestEnvironment.temporaryDirectory().path
        for i in 0..<5 { try Self.write(dir, "f\(i)", [0], age: 1) }
        let target = try #require(try readTargets(BackupKind(), "backups:\n  - {name: many, path: \"\(dir)/f*\", max_files: 4}\n").first)
        #expect(throws: CollectorError.self) { try collectOnce(target) }
    }

    @Test("configuration: path or s3, absolute paths, known verify values, secrets redacted in check-config")
    func configuration() throws {
        #expect(configError(BackupKind(), "backups:\n  - {name: a, path: relative/*.gz}\n")?.contains("absolute") == true)
        #expect(configError(BackupKind(), "backups:\n  - {name: a}\n")?.contains("path or s3 is required") == true)
        #expect(configError(BackupKind(), "backups:\n  - {name: a, path: /x, verify: zstd}\n")?.contains("gzip or none") == true)
        #expect(configError(BackupKind(), "backups:\n  - {name: a, path: /x}\n  - {name: a, path: /y}\n")?.contains("duplicate") == true)
        #expect(configError(BackupKind(), "backups:\n  - {name: a, path: /x, colour: red}\n")?.contains("unknown field") == true)
        let s3 = "backups:\n  - {name: s, s3: {bucket: my-backups, access_key_id: AKID, secret_access_key: hunter2-secret}}\n"
        let t = try #require(try readTargets(BackupKind(), s3).first)
        #expect(!t.rendered.joined().contains("hunter2"))
        #expect(t.rendered.contains("  secret_access_key: <secret>"))
        #expect(t.rendered.contains("  endpoint: \"https://s3.us-east-1.amazonaws.com\""))
        #expect(configError(BackupKind(), "backups:\n  - {name: s, verify: gzip, s3: {bucket: my-backups, access_key_id: A, secret_access_key: B}}\n")?.contains("S3 backups take none") == true)
        #expect(configError(BackupKind(), "backups:\n  - {name: s, s3: {bucket: my-backups, access_key_id: A}}\n")?.contains("secret_access_key") == true)
    }
}
