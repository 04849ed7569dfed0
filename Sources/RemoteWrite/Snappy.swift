import CSnappy

/// Snappy block compression (not the framed format), as remote write 1.0 sends its bodies.
/// The only importer of CSnappy; no C pointer leaves this file.
public enum Snappy {
    /// Why a block could not be decompressed.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Compresses `input` into one snappy block.
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var length = snappy_max_compressed_length(input.count)
        var output = [UInt8](repeating: 0, count: length)
        let status = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                inBuf.baseAddress.map { base in
                    base.withMemoryRebound(to: CChar.self, capacity: max(inBuf.count, 1)) { inChars in
                        outBuf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: outBuf.count) { outChars in
                            snappy_compress(inChars, inBuf.count, outChars, &length)
                        }
                    }
                } ?? emptyCompress(outBuf, &length)
            }
        }
        // snappy_compress fails only when the buffer is too small, which max_compressed_length rules out.
        precondition(status == SNAPPY_OK, "snappy_compress failed with a buffer of max_compressed_length")
        output.removeSubrange(length...)
        return output
    }

    private static func emptyCompress(_ out: UnsafeMutableBufferPointer<UInt8>, _ length: inout Int) -> snappy_status {
        var nothing: CChar = 0
        return out.baseAddress!.withMemoryRebound(to: CChar.self, capacity: out.count) { snappy_compress(&nothing, 0, $0, &length) }
    }

    /// Decompresses one snappy block whose decoded length is at most `limit` bytes.
    public static func decompress(_ input: [UInt8], limit: Int = 64 << 20) throws(Failure) -> [UInt8] {
        guard !input.isEmpty else { throw Failure(message: "empty snappy block") }
        var length = 0
        let lengthStatus = input.withUnsafeBufferPointer { inBuf in
            inBuf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: inBuf.count) {
                snappy_uncompressed_length($0, inBuf.count, &length)
            }
        }
        guard lengthStatus == SNAPPY_OK else { throw Failure(message: "not a snappy block (bad length header)") }
        guard length <= limit else { throw Failure(message: "snappy block decodes to \(length) bytes, over the limit of \(limit)") }
        var output = [UInt8](repeating: 0, count: max(length, 1))
        var produced = output.count
        let status = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                inBuf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: inBuf.count) { inChars in
                    outBuf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: outBuf.count) { outChars in
                        snappy_uncompress(inChars, inBuf.count, outChars, &produced)
                    }
                }
            }
        }
        guard status == SNAPPY_OK else { throw Failure(message: "corrupt snappy block") }
        output.removeSubrange(produced...)
        return output
    }
}
