import Testing
import VigilCore
@testable import PostgresCollector

func rows(_ columns: [String], _ values: [[String?]]) -> [Row] {
    QueryResult(columns: columns, rows: values).namedRows
}

@Suite("Statistics mappings (pure)")
struct MappingTests {
    @Test("settings: units normalised to seconds and bytes as postgres_exporter does; -1 kept")
    func settings() throws {
        #expect(Settings.normalise(setting: "200", unit: "ms")! == (0.2, "seconds"))
        #expect(Settings.normalise(setting: "5", unit: "min")! == (300, "seconds"))
        #expect(Settings.normalise(setting: "16384", unit: "8kB")! == (134_217_728, "bytes"))
        #expect(Settings.normalise(setting: "4096", unit: "kB")! == (4_194_304, "bytes"))
        #expect(Settings.normalise(setting: "-1", unit: "kB")! == (-1, "bytes"))
        #expect(Settings.normalise(setting: "1.5", unit: "")! == (1.5, ""))
        #expect(Settings.normalise(setting: "x", unit: "") == nil)
        #expect(Settings.normalise(setting: "1", unit: "parsecs") == nil)
        let m = try #require(Settings.metric(name: "pg_stat_statements.max", setting: "5000", unit: "", shortDesc: "d", vartype: "integer"))
        #expect(m.name == "pg_settings_pg_stat_statements_max")
        let t = try #require(Settings.metric(name: "statement_timeout", setting: "1500", unit: "ms", shortDesc: "Sets it.", vartype: "integer"))
        #expect(t.name == "pg_settings_statement_timeout_seconds")
        #expect(t.help == "Sets it. [Units converted to seconds.]")
        #expect(t.value == 1.5)
        #expect(Settings.metric(name: "fsync", setting: "on", unit: "", shortDesc: "", vartype: "bool")?.value == 1)
        #expect(Settings.metric(name: "x", setting: "a", unit: "", shortDesc: "", vartype: "string") == nil)
    }

    @Test("server versions: numbers, comparisons and short_version")
    func versions() {
        let v15 = ServerVersion(number: 150004)
        #expect(v15.major == 15)
        #expect(v15.minor == 4)
        #expect(v15.shortVersion == "15.4.0")
        #expect(v15.atLeast(14) && v15.atLeast(15) && !v15.atLeast(16))
        let v96 = ServerVersion(number: 90624)
        #expect(v96.shortVersion == "9.6.24")
        #expect(v96 < ServerVersion(major: 10))
    }

    @Test("stat_database: the shared-objects row (no datname) is skipped; active_time only from 14")
    func statDatabase() {
        let cols = ["datid", "datname", "numbackends", "xact_commit", "active_time_seconds"]
        let r = rows(cols, [["0", nil, "1", "5", "1"], ["5", "app", "3", "42", "1.5"]])
        let f14 = StatDatabase.families(r, version: ServerVersion(major: 14))
        let f13 = StatDatabase.families(r, version: ServerVersion(major: 13))
        #expect(f14.first(where: { $0.name == "pg_stat_database_xact_commit" })?.samples == [Sample(["datid": "5", "datname": "app"], 42)])
        #expect(f14.contains { $0.name == "pg_stat_database_active_time_seconds_total" && $0.type == .counter })
        #expect(!f13.contains { $0.name == "pg_stat_database_active_time_seconds_total" })
        #expect(StatDatabase.query(ServerVersion(major: 13)).contains("active_time") == false)
    }

    @Test("stat_activity: NULL and empty labels coincide; the first series wins")
    func activity() {
        let cols = ["datname", "state", "usename", "application_name", "backend_type", "wait_event_type", "wait_event", "count", "max_tx_duration"]
        let r = rows(cols, [["db", "idle", nil, nil, nil, nil, nil, "0", "0"], ["db", "idle", "", "", "", "", "", "2", "1"]])
        let f = StatActivity.families(r)
        #expect(f.first?.samples.count == 1)
        #expect(StatActivity.pidArray([1, 22]) == "{1,22}")
        #expect(StatActivity.pidArray([]) == "{}")
    }

    @Test("tables: the cap keeps the largest tables and sums the rest per database")
    func tableCap() throws {
        func t(_ db: String, _ rel: String, size: Double, ins: Double, vac: Double) -> UserTables.Table {
            UserTables.Table(datname: db, schemaname: "public", relname: rel,
                             values: ["table_size": size, "n_tup_ins": ins, "last_vacuum": vac])
        }
        let tables = [t("a", "small", size: 1, ins: 1, vac: 10), t("a", "big", size: 100, ins: 2, vac: 5),
                      t("b", "mid", size: 50, ins: 4, vac: 7), t("a", "tiny", size: 0, ins: 8, vac: 20),
                      t("b", "x", size: 2, ins: 16, vac: 1)]
        let f = UserTables.families(tables, cap: 2)
        let ins = try #require(f.first(where: { $0.name == "pg_stat_user_tables_n_tup_ins" }))
        #expect(ins.type == .counter)
        #expect(ins.samples.map { "\($0.labels["datname"] ?? "")/\($0.labels["relname"] ?? "")=\(Int($0.value))" }
                == ["a/big=2", "b/mid=4", "a/other=9", "b/other=16"])
        let vac = try #require(f.first(where: { $0.name == "pg_stat_user_tables_last_vacuum" }))
        #expect(vac.samples.first(where: { $0.labels["relname"] == "other" && $0.labels["datname"] == "a" })?.value == 20)
        #expect(f.contains { $0.name == "pg_statio_user_tables_heap_blocks_read" })
        #expect(UserTables.families(tables, cap: 10).first?.samples.count == 5)
        #expect(!UserTables.families(tables, cap: 10, statio: false).contains { $0.name.hasPrefix("pg_statio") })
    }

    @Test("replication slots: confirmed flush only for active slots; wal_status one-hot label")
    func slots() {
        let cols = ["slot_name", "slot_type", "current_wal_lsn", "confirmed_flush_lsn", "active", "safe_wal_size", "wal_status"]
        let f = ReplicationSlot.families(rows(cols, [["s1", "physical", "100", "0", "t", nil, "reserved"], ["s2", "logical", "100", "90", "f", "5", nil]]))
        #expect(f.first(where: { $0.name == "pg_replication_slot_slot_confirmed_flush_lsn" })?.samples.count == 1)
        #expect(f.first(where: { $0.name == "pg_replication_slot_wal_status" })?.samples.first?.labels["wal_status"] == "reserved")
        #expect(f.first(where: { $0.name == "pg_replication_slot_safe_wal_size_bytes" })?.samples.first?.value == 5)
    }

    @Test("progress vacuum: one phase series is 1, the others 0")
    func vacuum() {
        let cols = ["datname", "relname", "phase", "heap_blks_total"]
        let f = StatProgressVacuum.families(rows(cols, [["db", "t", "2", "10"]]))
        let phase = f.first(where: { $0.name == "pg_stat_progress_vacuum_phase" })
        #expect(phase?.samples.filter { $0.value == 1 }.map { $0.labels["phase"] } == ["vacuuming indexes"])
        #expect(phase?.samples.count == 7)
    }

    @Test("rows read numbers, booleans and NULLs")
    func rowValues() {
        let r = rows(["a", "b", "c", "d"], [["1.5", "t", nil, "NaN"]])[0]
        #expect(r.double("a") == 1.5)
        #expect(r.double("b") == 1)
        #expect(r.double("c") == nil)
        #expect(r.value("c") == 0)
        #expect(r.double("d") == nil, "NaN text is not a number Vigil exports")
        #expect(r.label("c") == "")
        #expect(r["missing"] == nil)
    }
}

@Suite("Version checks, PostgreSQL 12 to 17 (pure)")
struct VersionQueryTests {
    @Test("each version gets the columns it has")
    func queries() {
        for major in 12...17 {
            let v = ServerVersion(major: major)
            let bg = StatBGWriter.query(v)
            #expect(bg.contains("checkpoints_timed") == (major < 17), "bgwriter \(major)")
            #expect(bg.contains("buffers_clean"))
            #expect(StatDatabase.query(v).contains("active_time") == (major >= 14), "stat_database \(major)")
            #expect(ReplicationSlot.query(v).contains("NULL::bigint AS safe_wal_size") == (major < 13), "slots \(major)")
            #expect(StatWal.query(v).contains("wal_write_time"))
            let st = StatStatements.query(v)
            #expect(st.contains("total_exec_time") == (major >= 13))
            #expect(st.contains("shared_blk_read_time") == (major >= 17))
        }
        #expect(!StatWal.query(ServerVersion(major: 18)).contains("wal_write_time"))
    }

    @Test("the DSN's connect_timeout shortens the connect timeout")
    func connectTimeout() {
        var o = PostgresCollectorOptions(dsn: "postgresql://u@h/db?connect_timeout=2")
        #expect(PostgresSession.connectTimeout(options: o) == 2)
        o.dsn = "host=h connect_timeout=30"
        #expect(PostgresSession.connectTimeout(options: o) == 5)
        o.dsn = "host=h"
        #expect(PostgresSession.connectTimeout(options: o) == 5)
    }
}
