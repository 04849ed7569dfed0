import Foundation
import Testing
@testable import Notify

@Suite("Routing, grouping and inhibition")
struct DispatcherTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    static func config() throws -> NotifyConfig {
        try NotifyConfig.parse(yaml: NotifyConfigTests.yaml, file: "t.yml", environment: ["PD_KEY": "k"])
    }

    static func alert(_ labels: [String: String], startsAt: Date = t0, endsAt: Date? = nil) -> Alert {
        Alert(labels: labels, annotations: ["summary": "s"], startsAt: startsAt, endsAt: endsAt, generatorURL: "http://vigil/")
    }

    @Test("routes: first match wins, continue goes on, deepest match takes the alert")
    func routing() throws {
        let root = try Self.config().route
        #expect(root.match(["alertname": "A"]).map(\.receiver) == ["default"])
        #expect(root.match(["severity": "critical"]).map(\.receiver) == ["pager"])
        #expect(root.match(["severity": "critical", "team": "db"]).map(\.receiver) == ["pager", "team"])
        #expect(root.match(["team": "db", "env": "dev"]).map(\.receiver) == ["default"])
        #expect(root.match(["team": "cache", "service": "redis"]).map(\.receiver) == ["default"])
        #expect(root.match(["team": "cache", "service": "redis"]).map(\.key) == ["{}/{env!=\"dev\",team=~\"db|cache\"}/{service=\"redis\"}"])
        #expect(root.match(["team": "dbx"]).map(\.receiver) == ["default"])
    }

    @Test("group_wait, group_interval and repeat_interval as Alertmanager's aggregation groups")
    func grouping() throws {
        let root = try Self.config().route
        var d = Dispatcher(root: root)
        var log = NotificationLog()
        let t0 = Self.t0
        func flushes(_ at: Date) -> [GroupFlush] {
            d.flushDue(at: at).filter { f in
                let firing = Set(f.alerts.filter { $0.status(at: at) == .firing }.map(\.fingerprint))
                let resolved = Set(f.alerts.filter { $0.status(at: at) == .resolved }.map(\.fingerprint))
                guard log.needsUpdate(integration: "i", groupKey: f.groupKey, firing: firing, resolved: resolved,
                                      sendResolved: true, repeatInterval: f.repeatInterval, at: at) else { return false }
                log.record(integration: "i", groupKey: f.groupKey, firing: firing, resolved: resolved, at: at)
                return true
            }
        }
        let a = Self.alert(["alertname": "A", "server": "s1"], startsAt: t0)
        d.receive([a], at: t0)
        #expect(d.nextDeadline == t0.addingTimeInterval(10))
        #expect(flushes(t0.addingTimeInterval(9.9)).isEmpty)
        // A second alert of the same group within group_wait rides in the same message.
        let b = Self.alert(["alertname": "A", "server": "s1", "instance": "x"], startsAt: t0.addingTimeInterval(5))
        d.receive([b], at: t0.addingTimeInterval(5))
        let first = flushes(t0.addingTimeInterval(10))
        #expect(first.count == 1)
        #expect(first[0].groupKey == "{}:{alertname=\"A\", server=\"s1\"}")
        #expect(Set(first[0].alerts.map(\.fingerprint)) == [a.fingerprint, b.fingerprint])
        #expect(d.nextDeadline == t0.addingTimeInterval(70))
        // Nothing changed: group_interval ticks send nothing until repeat_interval (2h) passed.
        #expect(flushes(t0.addingTimeInterval(70)).isEmpty)
        var t = t0.addingTimeInterval(70)
        var repeats: [Date] = []
        while t < t0.addingTimeInterval(7200 + 200) {
            t = t.addingTimeInterval(60)
            if !flushes(t).isEmpty { repeats.append(t) }
        }
        #expect(repeats == [t0.addingTimeInterval(10 + 121 * 60)])
        // A new alert in a flushed group waits for the next group_interval, not group_wait.
        let c = Self.alert(["alertname": "A", "server": "s1", "instance": "y"], startsAt: t)
        d.receive([c], at: t.addingTimeInterval(1))
        #expect(d.nextDeadline == t.addingTimeInterval(60))
        // Resolution notifies, then the group is dropped.
        let resolveAt = t.addingTimeInterval(30)
        var ra = a; ra.endsAt = resolveAt
        var rb = b; rb.endsAt = resolveAt
        var rc = c; rc.endsAt = resolveAt
        d.receive([ra, rb, rc], at: resolveAt)
        let due = try #require(d.nextDeadline)
        let last = flushes(due)
        #expect(last.count == 1 && last[0].alerts.allSatisfy { $0.status(at: due) == .resolved })
        #expect(d.groups.isEmpty)
    }

    @Test("an alert older than group_wait flushes a new group at once; other groups stay apart")
    func oldAlertAndSeparateGroups() throws {
        var d = Dispatcher(root: try Self.config().route)
        let now = Self.t0.addingTimeInterval(100)
        d.receive([Self.alert(["alertname": "A", "server": "s1"], startsAt: Self.t0),
                   Self.alert(["alertname": "A", "server": "s2"], startsAt: now)], at: now)
        let due = d.flushDue(at: now)
        #expect(due.map(\.groupKey) == ["{}:{alertname=\"A\", server=\"s1\"}"])
        #expect(d.groups.count == 2)
        // group_by ['...']: each label set its own group; continue: the pager route gets it too.
        d.receive([Self.alert(["team": "db", "severity": "critical", "x": "1"], startsAt: now),
                   Self.alert(["team": "db", "severity": "critical", "x": "2"], startsAt: now)], at: now)
        let keys = d.flushDue(at: now.addingTimeInterval(10)).map(\.groupKey)
        #expect(keys.filter { $0.hasPrefix("{}/{env") }.count == 2)
        #expect(keys.filter { $0.hasPrefix("{}/{severity") } == ["{}/{severity=\"critical\"}:{}"])
        #expect(d.flushDue(at: now.addingTimeInterval(10)).isEmpty)
    }

    @Test("fired and resolved within group_wait sends nothing; resolutions without send_resolved still clear")
    func dedup() {
        var log = NotificationLog()
        let now = Self.t0
        let f1 = Fingerprint(1), f2 = Fingerprint(2)
        #expect(!log.needsUpdate(integration: "i", groupKey: "g", firing: [], resolved: [f1], sendResolved: true, repeatInterval: 60, at: now))
        #expect(log.needsUpdate(integration: "i", groupKey: "g", firing: [f1], resolved: [], sendResolved: true, repeatInterval: 60, at: now))
        log.record(integration: "i", groupKey: "g", firing: [f1, f2], resolved: [], at: now)
        #expect(!log.needsUpdate(integration: "i", groupKey: "g", firing: [f1], resolved: [f2], sendResolved: false, repeatInterval: 60, at: now))
        #expect(log.needsUpdate(integration: "i", groupKey: "g", firing: [f1], resolved: [f2], sendResolved: true, repeatInterval: 60, at: now))
        #expect(log.needsUpdate(integration: "i", groupKey: "g", firing: [], resolved: [f1, f2], sendResolved: false, repeatInterval: 60, at: now))
        #expect(log.needsUpdate(integration: "i", groupKey: "g", firing: [f1], resolved: [], sendResolved: false, repeatInterval: 60, at: now.addingTimeInterval(61)))
        #expect(!log.needsUpdate(integration: "other", groupKey: "g", firing: [], resolved: [f1], sendResolved: true, repeatInterval: 60, at: now))
    }

    @Test("inhibition mutes the target with equal labels and nothing else")
    func inhibition() throws {
        let inhibitor = Inhibitor(rules: try Self.config().inhibitRules)
        let now = Self.t0
        let crit = Self.alert(["alertname": "Disk", "server": "s1", "severity": "critical"])
        let warn = Self.alert(["alertname": "Disk", "server": "s1", "severity": "warning"])
        let warnOther = Self.alert(["alertname": "Disk", "server": "s2", "severity": "warning"])
        let warnOtherName = Self.alert(["alertname": "Load", "server": "s1", "severity": "warning"])
        let all = [crit, warn, warnOther, warnOtherName]
        #expect(inhibitor.isInhibited(warn, by: all, at: now))
        #expect(!inhibitor.isInhibited(warnOther, by: all, at: now))
        #expect(!inhibitor.isInhibited(warnOtherName, by: all, at: now))
        #expect(!inhibitor.isInhibited(crit, by: all, at: now))
        // A resolved source mutes nothing.
        var resolved = crit; resolved.endsAt = now
        #expect(!inhibitor.isInhibited(warn, by: [resolved, warn], at: now))
        // Missing equal labels count as equal (both empty).
        let rule = Inhibitor(rules: [InhibitRule(sourceMatchers: try MatcherParser.parse("a=src"),
                                                 targetMatchers: try MatcherParser.parse("a=~\"src|dst\""), equal: ["zone"])])
        let src = Self.alert(["a": "src"]), dst = Self.alert(["a": "dst"]), src2 = Self.alert(["a": "src", "b": "2"])
        #expect(rule.isInhibited(dst, by: [src, dst], at: now))
        // Both sides match: not inhibited by an alert that also matches both sides.
        #expect(!rule.isInhibited(src2, by: [src, src2], at: now))
    }
}
