import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import PostgresCollector

/// A seeded, bounded mutation run over what a PostgreSQL server answers: result sets in the
/// shape of every statement Vigil sends (`Fixtures/rows/*.tsv`: a line of column names, then
/// rows, tab-separated, `\N` for NULL) are mutated as bytes — digits replaced by huge,
/// negative or non-finite numbers, invalid UTF-8, cut lines, so rows with too few or too
/// many values — decoded as the libpq wrapper decodes text (invalid UTF-8 repaired) and
/// handed to every pure row reader, whatever statement the rows belong to. Properties: no
/// crash, no slow case; an unreadable version row is a thrown error; every exported value is
/// finite, except NaN where a reader reports NULL as NaN (postgres_exporter's way); no counter
/// is below zero; no label is longer than the input; the families render to exposition text
/// that parses again. Findings live in `Fixtures/fuzz/` and are replayed first.
@Suite("PostgreSQL row readers fuzz")
struct PostgresRowFuzzTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let seeds = Fuzzing.files(in: fixtures.appendingPathComponent("rows"))
    static let findings = Fuzzing.files(in: fixtures.appendingPathComponent("fuzz"))
    static let customQueries: [CustomQueries.Query] = {
        (try? CustomQueries.load(path: fixtures.appendingPathComponent("queries.yaml").path).queries) ?? []
    }()

    static let dictionary: [[UInt8]] = [
        "\t", "\n", "\\N", "\t\\N", "t", "f", "NaN", "Infinity", "-Infinity", "1e309", "-1", "-0", "{", "}", "{1,NULL,2}",
        "{NaN,Infinity}", "{-1,-2}", "99999999999999999999", "150004", "170002", "999999999", "00:00:02", "-1", "1h", "2 days ",
        "datname", "relname", "count", "calls", "seconds", "num", "replica", "active", "state", "setting", "unit", "8kB", "ms",
        "vartype", "integer", "bool", "real", "latency_bucket", "latency", "green", "\u{0}", "\r",
    ].map { Array($0.utf8) }

    /// Families that report NULL as NaN, as postgres_exporter does: the only ones where a
    /// value may be non-finite (NaN; never an infinity).
    static let nanForNull = ["pg_stat_archiver_last_archive_age", "pg_stat_replication_pg_current_wal_lsn_bytes",
                             "pg_stat_replication_pg_wal_lsn_diff", "pg_stat_replication_reply_time", "app_"]

    /// Rows as the fixtures write them; the text of each value decoded as libpq's C strings
    /// are (`String(cString:)`: cut at NUL, invalid UTF-8 repaired).
    static func result(_ bytes: [UInt8]) -> QueryResult {
        let lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
        func text(_ b: ArraySlice<UInt8>) -> String { String(decoding: b.prefix(while: { $0 != 0 }), as: UTF8.self) }
        let columns = (lines.first ?? []).split(separator: 9, omittingEmptySubsequences: false).map(text)
        let rows: [[String?]] = lines.dropFirst().filter { !$0.isEmpty }.map { line in
            line.split(separator: 9, omittingEmptySubsequences: false).map { v in v.elementsEqual("\\N".utf8) ? nil : text(v) }
        }
        return QueryResult(columns: columns, rows: rows)
    }

    /// Every reader whose columns the rows hold (one is enough: the others read as NULL), on
    /// the rows; the problems found, empty when none.
    static func exercise(_ bytes: [UInt8]) -> [String] {
        let result = result(bytes)
        let rows = result.namedRows
        let columns = Set(result.columns)
        func has(_ names: String...) -> Bool { names.contains { columns.contains($0) } }
        var out: [String] = []
        var families: [MetricFamily] = []
        for v in [ServerVersion(major: 13), ServerVersion(major: 17), ServerVersion(major: 18)] {
            if has("datid", "xact_commit", "active_time_seconds") { families += StatDatabase.families(rows, version: v) }
            if has("buffers_clean", "checkpoints_timed", "stats_reset") { families += StatBGWriter.families(rows, version: v) }
            if has("wal_records", "wal_write", "stats_reset") { families += StatWal.families(rows, version: v) }
        }
        if has("state", "count", "max_tx_duration") { families += StatActivity.families(rows) }
        if has("phase", "heap_blks_total", "relname") { families += StatProgressVacuum.families(rows) }
        if has("slot_name", "retained_wal", "wal_status") {
            families += ReplicationSlot.families(rows)
            families += ReplicationSlots.families(rows)
        }
        if has("mode", "count") { families += Locks.families(rows) }
        if has("lag", "is_replica", "last_replay") { families += Replication.families(rows) }
        if has("archived_count", "failed_count", "last_archive_age") { families += StatArchiver.families(rows) }
        if has("client_addr", "pg_wal_lsn_diff", "reply_time", "replay_lag") { families += StatReplication.families(rows) }
        if has("age_datfrozenxid", "age_datminmxid") { families += DatabaseWraparound.families(rows) }
        if has("rolname", "rolconnlimit") { families += Roles.families(rows) }
        if has("start_time_seconds") { families += Postmaster.families(rows) }
        if has("segments", "size") { families += Wal.families(rows) }
        if has("confl_lock", "datname") { families += StatDatabaseConflicts.families(rows) }
        if has("num_timed", "buffers_written") { families += StatCheckpointer.families(rows) }
        if has("extname", "extversion") { families += Extensions.families(rows) }
        if has("sessions", "oldest_seconds") {
            families += SessionsPerDatabase.idleInTransaction().families(rows)
            families += SessionsPerDatabase.blocked().families(rows)
        }
        if has("datname") {
            families += DatabaseSize.families(rows, sizes: Dictionary(rows.map { ($0.label("datname"), $0.value("size")) }, uniquingKeysWith: { a, _ in a }),
                                              exclude: ["template1"])
        }
        if has("relname", "relid", "seq_scan", "heap_blks_hit") {
            families += UserTables.families(rows.map { UserTables.table($0, size: (table: $0.value("table_size"), indexes: 0)) }, cap: 20)
        }
        if has("calls", "queryid", "seconds") {
            var latency = StatementLatency(bounds: [0.001, 0.01, 0.1, 1], topN: 5)
            families += StatStatements.families(latency: &latency, snapshot: StatStatements.snapshot(rows))
            families += StatStatements.families(latency: &latency, snapshot: StatStatements.snapshot(rows.reversed()))
        }
        var settings = FamilyBuilder()
        for row in rows {
            if let m = Settings.metric(name: row.label("name"), setting: row.label("setting"), unit: row.label("unit"),
                                       shortDesc: row.label("short_desc"), vartype: row.label("vartype")) {
                settings.gauge(m.name, m.value, Labels(), help: m.help)
            }
        }
        families += settings.families
        for q in customQueries {
            // A result that does not fit the file is a thrown, named error.
            do {
                families += try CustomQueries.families(q, result)
            } catch let e as CustomQueries.MappingError {
                if "\(e)".isEmpty { out.append("a mapping error without a message") }
            } catch {
                out.append("custom query \(q.namespace) threw \(type(of: error))")
            }
        }
        if let first = rows.first {
            do {
                let about = try PostgresSession.serverInfo(first)
                families += StaticInfo.families(versionString: about.versionString, version: about.version)
                if about.version.number < 0 || about.version.number > 99_999_999 { out.append("version \(about.version.number) accepted") }
            } catch let e as PostgresError {
                if e.message.isEmpty { out.append("a version error without a message") }
            } catch {
                out.append("the version row threw \(type(of: error))")
            }
        }
        return out + problems(families, inputBytes: bytes.count)
    }

    static func problems(_ families: [MetricFamily], inputBytes: Int) -> [String] {
        var out: [String] = []
        for f in families {
            let mayBeNaN = nanForNull.contains { f.name.hasPrefix($0) }
            for s in f.samples {
                if s.value.isInfinite || (s.value.isNaN && !mayBeNaN) { out.append("\(f.name)\(s.suffix) is \(s.value)") }
                if f.type == .counter, s.value < 0 { out.append("the counter \(f.name) is \(s.value)") }
                // Constant labels (a vacuum phase's name) are short; any other comes from the input.
                for l in s.labels where l.value.utf8.count > max(inputBytes, 64) {
                    out.append("label \(l.name) of \(f.name) is longer (\(l.value.utf8.count) bytes) than the input")
                }
            }
        }
        // Names and label values from the input are the ones that could break the text: those
        // families are rendered and parsed again every time, all of them when the input is small
        // (parsing thousands of fixed-name series per case would be most of the run's time).
        let fromInput = families.filter { inputBytes < 4_096 || $0.name.hasPrefix("pg_settings_") || $0.name.hasPrefix("app_") }
        let text = String(decoding: ExpositionRenderer.render(fromInput.filter { !$0.samples.isEmpty }, format: .text), as: UTF8.self)
        do {
            _ = try ExpositionParser.parse(text)
        } catch {
            out.append("the rendered families do not parse: \(error)")
        }
        return out
    }

    @Test("the recorded result shapes read without a problem, and each fills the families it should")
    func seedsRead() throws {
        #expect(Self.seeds.count >= 20)
        #expect(Self.customQueries.count == 4)
        for (name, bytes) in Self.seeds {
            #expect(Self.exercise(bytes).isEmpty, "\(name): \(Self.exercise(bytes))")
        }
        let database = Self.result(try #require(Self.seeds.first { $0.name == "stat-database.tsv" }).bytes).namedRows
        let f = StatDatabase.families(database, version: ServerVersion(major: 15))
        #expect(f.first { $0.name == "pg_stat_database_xact_commit" }?.samples.count == 2)
        let version = Self.result(try #require(Self.seeds.first { $0.name == "version.tsv" }).bytes).namedRows
        #expect(try PostgresSession.serverInfo(version[0]).version == ServerVersion(number: 150004))
    }

    @Test("non-finite, huge and negative values: never exported as an infinity, a NaN where NULL is not NaN, or a counter below zero")
    func rangeChecks() throws {
        func rows(_ columns: [String], _ values: [String?]) -> [Row] { QueryResult(columns: columns, rows: [values]).namedRows }
        #expect(Row.number("NaN") == nil && Row.number("Infinity") == nil && Row.number("-Infinity") == nil)
        #expect(Row.number("1e309") == nil && Row.number("nan") == nil && Row.number("inf") == nil)
        #expect(Row.number("99999999999999999999") == 1e20)
        let archiver = StatArchiver.families(rows(["archived_count", "failed_count", "last_archive_age"], ["-3", "Infinity", "NaN"]))
        #expect(archiver["pg_stat_archiver_archived_count"] == nil, "a negative counter is left out")
        #expect(archiver["pg_stat_archiver_failed_count"] == nil, "an infinite counter is unreadable: left out")
        #expect(archiver.value("pg_stat_archiver_last_archive_age")?.isNaN == true, "the age of nothing archived stays NaN")
        let database = StatDatabase.families(rows(["datid", "datname", "xact_commit", "numbackends"], ["1", "d", "-5", "-Infinity"]),
                                             version: ServerVersion(major: 15))
        #expect(database["pg_stat_database_xact_commit"] == nil)
        #expect(database.value("pg_stat_database_numbackends") == 0)
        // Found by this fuzz run: a setting's name is the server's text, and so is a custom query's column.
        #expect(Settings.metric(name: "work mem{x=\"1\"}", setting: "1", unit: "", shortDesc: "", vartype: "integer") == nil)
        #expect(Settings.metric(name: "pg_stat_statements.max", setting: "1", unit: "", shortDesc: "", vartype: "integer") != nil)
        #expect(Settings.normalise(setting: "1e305", unit: "8kB") == nil, "finite text, infinite once converted")
        #expect(CustomQueries.durationMilliseconds(String(repeating: "9", count: 400) + "h") == nil)
        let q = try #require(Self.customQueries.first)
        let custom = try CustomQueries.families(q, QueryResult(columns: ["plan", "logins_total", "weird column", "ok_extra"],
                                                               rows: [["free", "-1", "5", "6"]]))
        #expect(custom.map(\.name) == ["app_users_ok_extra"], "negative counter and a column that is no metric name left out")
    }

    @Test("a version row that is not a version fails the collection with a named error instead of trapping")
    func versionRow() throws {
        // Found by this fuzz run: `Int(Double)` of `server_version_num` trapped on 1e20 (and NaN before that).
        for bad in ["99999999999999999999", "1e20", "NaN", "-150004", "15.4", "", "150004 ", "0x24c54", "1500040000"] {
            #expect(throws: PostgresError.self, "\(bad)") {
                try PostgresSession.serverInfo(QueryResult(columns: ["num", "replica", "version", "db"], rows: [[bad, "f", "v", "d"]]).namedRows[0])
            }
        }
        #expect(throws: PostgresError.self) {
            try PostgresSession.serverInfo(QueryResult(columns: ["num"], rows: [[nil]]).namedRows[0])
        }
        let ok = try PostgresSession.serverInfo(QueryResult(columns: ["num", "replica", "version", "db"], rows: [["170002", "t", "PostgreSQL 17.2", "app"]]).namedRows[0])
        #expect(ok.version.major == 17 && ok.isReplica && ok.database == "app")
    }

    @Test("a row with fewer or more values than columns reads the missing ones as NULL")
    func ragged() {
        let r = QueryResult(columns: ["datid", "datname", "xact_commit"], rows: [["1"], ["2", "app", "5", "extra", "more"]]).namedRows
        let f = StatDatabase.families(r, version: ServerVersion(major: 15))
        #expect(f["pg_stat_database_xact_commit"]?.samples == [Sample(["datid": "2", "datname": "app"], 5)])
    }

    @Test("the findings replay without a problem")
    func findingsReplay() {
        Fuzzing.replay(Self.findings, slowerThan: .seconds(2), Self.exercise)
    }

    @Test("mutated PostgreSQL rows never crash, hang or export a wrong number")
    func mutations() {
        Fuzzing.mutationRun("PostgreSQL rows", seeds: Self.seeds, dictionary: Self.dictionary, seed: 0x5EED_0000_0F65, cases: 600,
                            slowerThan: .seconds(2), Self.exercise)
    }
}

extension [MetricFamily] {
    subscript(_ name: String) -> MetricFamily? { first { $0.name == name } }
    func value(_ name: String) -> Double? { self[name]?.samples.first?.value }
}
