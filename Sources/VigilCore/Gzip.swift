import CZlib

/// gzip compression through zlib. The only importer of CZlib.
public enum Gzip {
    /// Compresses `input` into a gzip member. Returns nil only if zlib itself fails.
    public static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        // windowBits 15 + 16 selects the gzip wrapper.
        let initResult = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                       ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard initResult == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        let result: Int32 = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(outBuf.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END else { return nil }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// Decompresses a gzip member (used by tests and by the app scraper).
    public static func decompress(_ input: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        return input.withUnsafeBufferPointer { inBuf -> [UInt8]? in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let (status, produced): (Int32, Int) = chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = UInt32(outBuf.count)
                    let s = inflate(&stream, Z_NO_FLUSH)
                    return (s, outBuf.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_STREAM_END { return output }
                if status != Z_OK { return nil }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Gzip {
    /// The outcome of reading a gzip file to its end.
    public enum Verification: Sendable, Hashable {
        /// Every member decompressed and its CRC-32 and length matched (what `gunzip -t` checks).
        case valid(compressedBytes: Int, uncompressedBytes: Int)
        /// Not gzip, truncated, or a checksum mismatch; the reason names zlib's complaint.
        case corrupt(String)
        /// The file could not be opened or read.
        case unreadable(String)
        /// The byte or time budget ran out before the end.
        case budgetExceeded(String)
    }

    /// Streams the gzip file at `path` through inflate in 64 KiB chunks without keeping the
    /// output, as `gunzip -t` does: concatenated members are accepted, trailing garbage or a
    /// truncated member is not. Stops when `maxCompressedBytes` are read or `deadline` passes.
    public static func verify(path: String, maxCompressedBytes: Int, deadline: ContinuousClock.Instant) -> Verification {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .unreadable("cannot open (\(String(cString: strerror(errno))))") }
        defer { _ = close(fd) }
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return .corrupt("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var input = [UInt8](repeating: 0, count: 64 << 10)
        var output = [UInt8](repeating: 0, count: 64 << 10)
        var readTotal = 0
        var uncompressed = 0
        var members = 0
        var inMember = false
        // Bounded by the file size (each round consumes input or ends) and by the budgets.
        while true {
            if ContinuousClock.now >= deadline { return .budgetExceeded("time budget ran out after \(readTotal) bytes") }
            let n = input.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .unreadable("read failed (\(String(cString: strerror(errno))))")
            }
            if n == 0 {
                if inMember { return .corrupt("truncated: the stream ends inside a member") }
                return members == 0 ? .corrupt("empty file") : .valid(compressedBytes: readTotal, uncompressedBytes: uncompressed)
            }
            readTotal += n
            if readTotal > maxCompressedBytes { return .budgetExceeded("larger than the \(maxCompressedBytes)-byte budget") }
            var offset = 0
            // Also go round while the output filled up: zlib may hold more of this input's output.
            var full = false
            while offset < n || full {
                if !inMember {
                    inMember = true
                    if members > 0 { inflateReset(&stream) }
                }
                let (status, consumed, produced): (Int32, Int, Int) = input.withUnsafeMutableBufferPointer { inBuf in
                    output.withUnsafeMutableBufferPointer { outBuf in
                        stream.next_in = inBuf.baseAddress! + offset
                        stream.avail_in = UInt32(n - offset)
                        stream.next_out = outBuf.baseAddress
                        stream.avail_out = UInt32(outBuf.count)
                        let s = inflate(&stream, Z_NO_FLUSH)
                        return (s, (n - offset) - Int(stream.avail_in), outBuf.count - Int(stream.avail_out))
                    }
                }
                offset += consumed
                uncompressed += produced
                full = produced == output.count
                switch status {
                case Z_STREAM_END:
                    members += 1
                    inMember = false
                    full = false
                case Z_OK:
                    continue
                case Z_BUF_ERROR where consumed == 0 && produced == 0:
                    // Needs more input than this chunk holds.
                    offset = n
                    full = false
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    return .corrupt(members > 0 ? "trailing data after member \(members) (\(reason))" : reason)
                }
            }
        }
    }
}

extension Gzip {
    /// A stretch of bytes compressed on its own into raw deflate blocks that end on a byte
    /// boundary (a sync flush, never a final block), with its CRC-32 and length: pieces
    /// concatenate into one deflate stream, so `member(_:)` joins them into a single, ordinary
    /// gzip member (RFC 1952) without compressing again — any gzip reader decodes it.
    public struct Piece: Sendable {
        public var deflated: [UInt8]
        public var crc: UInt
        public var length: Int

        public static let empty = Piece(deflated: [], crc: 0, length: 0)
    }

    /// Compresses `input` into a piece. `preceding` is what comes right before it in the member:
    /// its last 32 KiB serve as the preset dictionary, so back-references may reach into them
    /// and the member compresses about as well as one stream would. The piece is then valid only
    /// right after those very bytes. Returns nil only if zlib itself fails.
    public static func piece(_ input: [UInt8], preceding: [UInt8] = [], level: Int32 = 6) -> Piece? {
        guard !input.isEmpty else { return .empty }
        var stream = z_stream()
        // windowBits -15: raw deflate, no wrapper.
        guard deflateInit2_(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        if !preceding.isEmpty {
            let window = preceding.suffix(32 << 10)
            let set = window.withUnsafeBufferPointer { deflateSetDictionary(&stream, $0.baseAddress, UInt32($0.count)) }
            guard set == Z_OK else { return nil }
        }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        let ok: Bool = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(outBuf.count)
                // All input consumed and room left over: the flush is complete.
                return deflate(&stream, Z_SYNC_FLUSH) == Z_OK && stream.avail_in == 0 && stream.avail_out > 0
            }
        }
        guard ok else { return nil }
        output.removeSubrange(Int(stream.total_out)...)
        let crc = input.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) }
        return Piece(deflated: output, crc: crc, length: input.count)
    }

    /// One gzip member holding `pieces` in order: header, the pieces' deflate blocks, a final
    /// empty block, the combined CRC-32 and the length.
    public static func member(_ pieces: [Piece]) -> [UInt8] {
        var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]
        out.reserveCapacity(pieces.reduce(18) { $0 + $1.deflated.count })
        var crc: UInt = 0
        var length = 0
        for p in pieces where p.length > 0 {
            out.append(contentsOf: p.deflated)
            crc = crc32_combine(crc, p.crc, Int(p.length))
            length &+= p.length
        }
        // A final fixed-Huffman block holding only end-of-block: bits 1, 01, 0000000.
        out.append(contentsOf: [0x03, 0x00])
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: crc >> UInt(shift))) }
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: UInt(length) >> UInt(shift))) }
        return out
    }
}
