/// The bounded in-memory queue of one remote: at most `capacity` samples; appending to a full
/// queue drops the oldest (the receiver is behind, the freshest data matters most, and what is
/// left stays in time order). Pure; the writer holds it under its lock.
public struct SampleQueue: Sendable {
    public let capacity: Int
    private var items: [WriteRequest.Pending] = []
    private var head = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    public var count: Int { items.count - head }
    public var isEmpty: Bool { count == 0 }

    /// Appends `samples`; returns how many (old or, past the capacity, new) were dropped.
    public mutating func append(_ samples: [WriteRequest.Pending]) -> Int {
        var dropped = 0
        var incoming = samples[...]
        if incoming.count > capacity {
            dropped += incoming.count - capacity
            incoming = incoming.suffix(capacity)
        }
        let over = count + incoming.count - capacity
        if over > 0 {
            head += over
            dropped += over
        }
        compact()
        items.append(contentsOf: incoming)
        return dropped
    }

    /// Removes and returns up to `limit` of the oldest samples.
    public mutating func take(_ limit: Int) -> [WriteRequest.Pending] {
        let n = min(max(0, limit), count)
        let out = Array(items[head..<head + n])
        head += n
        compact()
        return out
    }

    /// Empties the queue; returns how many samples were in it.
    public mutating func removeAll() -> Int {
        let n = count
        items = []
        head = 0
        return n
    }

    private mutating func compact() {
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4096, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}
