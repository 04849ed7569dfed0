import Foundation
import Glibc

/// Stops a child process this test started. SIGKILL, not SIGTERM: Foundation's Process
/// spawns children with the test thread's signal mask, in which SIGTERM may be blocked.
func stopChild(_ p: Process) {
    guard p.isRunning else { return }
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
}
