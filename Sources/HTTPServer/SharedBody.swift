#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMicroHTTPD
import Synchronization

/// Bytes a response hands to libmicrohttpd without copying them: copied once into memory of
/// their own, never changed after, and freed when the last response sending them is done. For a
/// body many requests serve unchanged, such as a rendered `/metrics`.
///
/// The first time the body is queued by a server, the complete libmicrohttpd response (status,
/// headers, the server's extra headers, these bytes) is made once and kept here; later requests
/// with the same status and headers on a server whose extra headers have not changed queue that
/// same response (libmicrohttpd counts its users), so a request makes no response and adds no
/// header of its own. Any other combination is made per request, as for a plain body.
public final class SharedBody: @unchecked Sendable {
    // Immutable after `init`: written once before the object is shared, only read afterwards.
    let storage: SharedBytes
    public let count: Int
    /// The response made for these bytes the first time they were queued, and what it was made of.
    let prepared = Mutex<PreparedResponse?>(nil)

    public init(_ bytes: [UInt8]) {
        count = bytes.count
        storage = SharedBytes(bytes)
    }

    var base: UnsafeMutableRawPointer? { storage.base }

    deinit {
        // Drops the hold this object had; connections still sending it keep theirs, and the
        // bytes live until the last of them is done (the response's free callback).
        prepared.withLock { kept in
            if let kept { MHD_destroy_response(kept.response) }
        }
    }

    /// A copy of the bytes.
    public var bytes: [UInt8] {
        guard let base else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// The kept response when it was made from exactly these status, headers and extra-header
    /// generation; nil otherwise.
    func preparedResponse(status: UInt32, headers: [(String, String)], generation: UInt64) -> OpaquePointer? {
        prepared.withLock { kept in
            guard let kept, kept.status == status, kept.generation == generation, sameHeaders(kept.headers, headers) else { return nil }
            return kept.response
        }
    }

    /// Keeps `response` (made from these inputs) when nothing is kept yet; returns whether it was
    /// kept (then this object holds it until its own end; otherwise the caller still owns it).
    func keep(_ response: OpaquePointer, status: UInt32, headers: [(String, String)], generation: UInt64) -> Bool {
        prepared.withLock { kept in
            guard kept == nil else { return false }
            kept = PreparedResponse(response: response, status: status, headers: headers, generation: generation)
            return true
        }
    }
}

/// The memory of a `SharedBody`'s bytes. Each libmicrohttpd response made from them holds a
/// retain, given back by its free callback, so the bytes outlive every response sending them.
final class SharedBytes: @unchecked Sendable {
    let base: UnsafeMutableRawPointer?

    init(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else {
            base = nil
            return
        }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 1)
        bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        base = memory
    }

    deinit { base?.deallocate() }
}

/// A libmicrohttpd response kept by a `SharedBody`, with what it was made of.
struct PreparedResponse: @unchecked Sendable {
    let response: OpaquePointer
    let status: UInt32
    let headers: [(String, String)]
    /// The server's extra-header generation (`ServerContext.extraHeaders`) it was made with.
    let generation: UInt64
}

private func sameHeaders(_ a: [(String, String)], _ b: [(String, String)]) -> Bool {
    guard a.count == b.count else { return false }
    for i in a.indices where a[i].0 != b[i].0 || a[i].1 != b[i].1 { return false }
    return true
}
