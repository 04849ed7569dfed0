public import Foundation
import Synchronization

/// The silences, kept in memory and persisted to `<state>/silences.json` (crash-safe write)
/// on every change. Expired silences are kept for `retention` seconds, then dropped.
public final class SilenceStore: Sendable {
    public let path: String
    public let retention: Double
    private let silences: Mutex<[String: Silence]>

    public init(stateDirectory: String, retention: Double = 5 * 86400) throws(StateFileError) {
        path = (stateDirectory as NSString).appendingPathComponent("silences.json")
        self.retention = retention
        var loaded: [String: Silence] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .millisecondsSince1970
            guard let list = try? decoder.decode([Silence].self, from: data) else {
                throw StateFileError(path: path, message: "cannot decode the silences file")
            }
            for s in list { loaded[s.id] = s }
        }
        silences = Mutex(loaded)
    }

    /// Every silence, newest first.
    public var all: [Silence] { silences.withLock { Array($0.values) }.sorted { ($0.updatedAt, $0.id) > ($1.updatedAt, $1.id) } }

    public func silence(id: String) -> Silence? { silences.withLock { $0[id] } }

    /// Whether an active silence mutes `labels` at `now`.
    public func isSilenced(_ labels: [String: String], at now: Date) -> Bool {
        silences.withLock { $0.values.contains { $0.mutes(labels, at: now) } }
    }

    /// Adds a silence or replaces the one with the same id; persists before returning.
    public func put(_ silence: Silence, at now: Date) throws(StateFileError) {
        try update(at: now) { $0[silence.id] = silence }
    }

    /// Expires a silence now (its end moves to `now`; a pending one ends before it started).
    /// Returns false when there is no such silence or it already expired.
    public func expire(id: String, at now: Date) throws(StateFileError) -> Bool {
        var found = false
        try update(at: now) { all in
            guard var s = all[id], s.state(at: now) != .expired else { return }
            found = true
            if s.startsAt > now { s.startsAt = now }
            s.endsAt = now
            s.updatedAt = now
            all[id] = s
        }
        return found
    }

    private func update(at now: Date, _ change: (inout [String: Silence]) -> Void) throws(StateFileError) {
        let result: Result<Void, StateFileError> = silences.withLock { all in
            var copy = all
            change(&copy)
            copy = copy.filter { $0.value.endsAt.addingTimeInterval(retention) > now }
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .millisecondsSince1970
            encoder.outputFormatting = [.sortedKeys]
            guard let data = try? encoder.encode(copy.values.sorted { $0.id < $1.id }) else {
                return .failure(StateFileError(path: path, message: "cannot encode silences"))
            }
            do throws(StateFileError) {
                try DurableFile.write(data, to: path)
            } catch {
                return .failure(error)
            }
            all = copy
            return .success(())
        }
        try result.get()
    }
}
