#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import Notify

/// `kill -9` for real: a child process (a Swift Testing exit test) starts a notifier while the
/// receiver is down, and SIGKILLs itself once the notification is in the outbox and was
/// attempted; a notifier in this process on the same state directory then delivers it with
/// the same idempotency key.
@Suite("Crash with kill -9", .serialized)
struct CrashTests {
    @Test("every notification arrives after kill -9 and a restart; duplicates only with the same key")
    func killNine() async throws {
        let dir = TestState.directory()
        let down = try TestReceiver { _, _ in .respond(status: 503) }
        // Exit tests cannot capture: the child reads its inputs from the inherited environment.
        setenv("VIGIL_NOTIFY_CRASH_DIR", dir, 1)
        setenv("VIGIL_NOTIFY_CRASH_URL", down.url, 1)
        await #expect(processExitsWith: .signal(SIGKILL)) {
            let env = ProcessInfo.processInfo.environment
            guard let dir = env["VIGIL_NOTIFY_CRASH_DIR"], let downURL = env["VIGIL_NOTIFY_CRASH_URL"] else { exit(3) }
            let config = try NotifyConfig.parse(yaml: """
            route: {receiver: hook, group_wait: 0s, group_by: [alertname]}
            receivers: [{name: hook, webhook_configs: [{url: '\(downURL)/'}]}]
            delivery: {initial_backoff: 200ms, max_backoff: 200ms}
            """, file: "child.yml", environment: [:])
            let notifier = try Notifier(config: config, stateDirectory: dir)
            notifier.start()
            let now = Date()
            notifier.receive(alerts: [Alert(labels: ["alertname": "A"], startsAt: now), Alert(labels: ["alertname": "B"], startsAt: now)], at: now)
            // Let a few attempts fail, then die without any cleanup.
            try await Task.sleep(for: .milliseconds(700))
            kill(getpid(), SIGKILL)
        }
        let attempts = down.requests
        down.stop()
        #expect(attempts.count >= 2)
        let keysBefore = Set(attempts.compactMap { $0.headers["idempotency-key"] })
        #expect(keysBefore.count == 2)

        let up = try TestReceiver()
        defer { up.stop() }
        let config = try NotifyConfig.test("""
        route: {receiver: hook, group_wait: 0s, group_by: [alertname]}
        receivers: [{name: hook, webhook_configs: [{url: '\(up.url)/'}]}]
        """)
        let restarted = try Notifier(config: config, stateDirectory: dir, logger: LogCapture().logger)
        #expect(restarted.outbox.count == 2)
        restarted.start()
        let delivered = await up.wait(for: 2, timeout: 20)
        #expect(delivered.count == 2)
        #expect(Set(delivered.compactMap { $0.headers["idempotency-key"] }) == keysBefore)
        let names = Set(delivered.compactMap { ($0.object["commonLabels"] as? [String: String])?["alertname"] })
        #expect(names == ["A", "B"])
        try await Task.sleep(for: .milliseconds(100))
        #expect(restarted.outbox.count == 0)
        await restarted.shutdown()
    }
}
