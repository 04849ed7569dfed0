import CRE2

/// Compiles a pattern with RE2 through CRE2, for `AnchoredRegex` (full match) and
/// `SearchRegex` (unanchored search): one place that passes the bytes and turns RE2's reason
/// into a `RegexError`.
enum RE2Compile {
    static func compile(_ pattern: String, anchored: Bool) throws(RegexError) -> OpaquePointer {
        var message: UnsafeMutablePointer<CChar>?
        var utf8 = Array(pattern.utf8)
        utf8.append(0)
        let re = utf8.withUnsafeBufferPointer { buf in
            buf.baseAddress.flatMap { base in
                base.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                    anchored ? vigil_re2_compile($0, buf.count - 1, &message) : vigil_re2_compile_unanchored($0, buf.count - 1, &message)
                }
            }
        }
        guard let re else {
            var reason = "cannot compile"
            if let message {
                reason = String(cString: message)
                vigil_re2_free_error(message)
            }
            throw RegexError(pattern: pattern, reason: reason)
        }
        return re
    }
}
