import HTTPServer
import Synchronization
import VigilCore

/// The `/metrics` bodies as `SharedBody`s, one per (format, gzip) variant of the store's current
/// rendering: each is copied once, when a request first asks for it after a landing, and every
/// request until the next landing is sent from that copy without one of its own.
final class MetricsBodies: Sendable {
    private struct Current {
        var generation: UInt64 = .max
        var variants: [SharedBody?] = [nil, nil, nil, nil]
    }

    private let store: SnapshotStore
    private let current = Mutex(Current())

    init(store: SnapshotStore) { self.store = store }

    func body(_ format: ExpositionFormat, gzip: Bool) -> SharedBody {
        let (generation, bodies) = store.rendering(format)
        let slot = (format == .openMetrics ? 2 : 0) + (gzip ? 1 : 0)
        if let kept = current.withLock({ $0.generation == generation ? $0.variants[slot] : nil }) { return kept }
        // Copied outside the lock; a request racing this one may copy the same bytes too, and
        // the newest generation's copy is the one kept.
        let made = SharedBody(bodies.body(format, gzip: gzip))
        current.withLock {
            if $0.generation != generation {
                guard $0.generation == .max || generation > $0.generation else { return }
                $0 = Current(generation: generation)
            }
            $0.variants[slot] = made
        }
        return made
    }
}
