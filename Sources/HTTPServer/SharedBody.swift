/// Bytes a response hands to libmicrohttpd without copying them: copied once into memory of
/// their own, never changed after, and freed when the last response sending them is done
/// (each queued response holds a retain that libmicrohttpd's free callback gives back). For a
/// body many requests serve unchanged, such as a rendered `/metrics`.
public final class SharedBody: @unchecked Sendable {
    // Immutable after `init`: written once before the object is shared, only read afterwards.
    let base: UnsafeMutableRawPointer?
    public let count: Int

    public init(_ bytes: [UInt8]) {
        count = bytes.count
        guard !bytes.isEmpty else {
            base = nil
            return
        }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 1)
        bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        base = memory
    }

    deinit { base?.deallocate() }

    /// A copy of the bytes.
    public var bytes: [UInt8] {
        guard let base else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }
}
