import Dispatch
import Foundation

/// Turns SIGTERM/SIGINT and SIGHUP into callbacks on a dispatch queue (never on the
/// concurrency pool). The default actions are ignored while it lives.
final class SignalWatcher: @unchecked Sendable {
    // Dispatch sources are thread-safe; the array is written once, in init.
    private let sources: [any DispatchSourceSignal]

    init(queue: DispatchQueue, onTerminate: @escaping @Sendable (String) -> Void, onHangup: @escaping @Sendable () -> Void) {
        var sources: [any DispatchSourceSignal] = []
        for (sig, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT"), (SIGHUP, "SIGHUP")] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            if sig == SIGHUP {
                source.setEventHandler { onHangup() }
            } else {
                source.setEventHandler { onTerminate(name) }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    deinit {
        for s in sources { s.cancel() }
    }
}
