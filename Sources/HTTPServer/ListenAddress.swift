#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A parsed `web.listen_address`: `":9633"`, `"127.0.0.1:9633"`, `"0.0.0.0:9633"`,
/// `"[::1]:9633"`, `"[::]:9633"`, `"localhost:9633"`. Port 0 asks for an ephemeral port.
///
/// Parsing is pure: it validates the shape and the literals but resolves no names.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Host: Sendable, Equatable {
        /// No host (`":9633"`): every interface, IPv6 dual-stack when available, else IPv4.
        case any
        /// A literal IPv4 address (`0.0.0.0` means every IPv4 interface).
        case ipv4(String)
        /// A literal IPv6 address, written in brackets (`[::]` means every interface, dual-stack).
        case ipv6(String)
        /// A host name, resolved when the socket is bound.
        case name(String)
    }

    public let host: Host
    public let port: UInt16

    public init(host: Host, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// The address as a user would write it.
    public var description: String {
        switch host {
        case .any: ":\(port)"
        case .ipv4(let a): "\(a):\(port)"
        case .ipv6(let a): "[\(a)]:\(port)"
        case .name(let n): "\(n):\(port)"
        }
    }

    /// Parses `host:port`. Throws `HTTPServerError.invalidListenAddress` naming the input.
    public static func parse(_ text: String) throws(HTTPServerError) -> ListenAddress {
        func fail(_ why: String) -> HTTPServerError {
            .invalidListenAddress(address: text, reason: why)
        }
        let trimmed = text
        guard !trimmed.isEmpty else { throw fail("empty (expected host:port, e.g. :9633)") }
        guard !trimmed.contains(where: { $0.isWhitespace }) else { throw fail("contains whitespace") }

        let hostPart: Substring
        let portPart: Substring
        let bracketed: Bool
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else { throw fail("missing ']' after IPv6 address") }
            hostPart = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            let rest = trimmed[trimmed.index(after: close)...]
            guard rest.hasPrefix(":") else { throw fail("missing port after ']' (expected [address]:port)") }
            portPart = rest.dropFirst()
            bracketed = true
        } else {
            guard let colon = trimmed.lastIndex(of: ":") else {
                throw fail("missing port (expected host:port, e.g. :9633)")
            }
            hostPart = trimmed[..<colon]
            portPart = trimmed[trimmed.index(after: colon)...]
            bracketed = false
            if hostPart.contains(":") {
                throw fail("an IPv6 address must be written in brackets, e.g. [::1]:9633")
            }
        }

        guard !portPart.isEmpty else { throw fail("missing port (expected host:port, e.g. :9633)") }
        guard portPart.allSatisfy({ $0.isASCII && $0.isNumber }), portPart.count <= 5,
              let portNumber = Int(portPart), portNumber <= 65535
        else { throw fail("port must be a number from 0 to 65535") }
        let port = UInt16(portNumber)

        if bracketed {
            let literal = String(hostPart)
            guard !literal.isEmpty, isIPv6Literal(literal) else { throw fail("'\(literal)' is not an IPv6 address") }
            return ListenAddress(host: .ipv6(literal), port: port)
        }
        if hostPart.isEmpty {
            return ListenAddress(host: .any, port: port)
        }
        let host = String(hostPart)
        if host.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }) {
            guard isIPv4Literal(host) else { throw fail("'\(host)' is not an IPv4 address") }
            return ListenAddress(host: .ipv4(host), port: port)
        }
        guard isHostName(host) else { throw fail("'\(host)' is not a valid host name") }
        return ListenAddress(host: .name(host), port: port)
    }

    static func isIPv4Literal(_ s: String) -> Bool {
        var addr = in_addr()
        return inet_pton(AF_INET, s, &addr) == 1
    }

    static func isIPv6Literal(_ s: String) -> Bool {
        var addr = in6_addr()
        return inet_pton(AF_INET6, s, &addr) == 1
    }

    /// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
    static func isHostName(_ s: String) -> Bool {
        guard s.utf8.count <= 253 else { return false }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            guard !label.isEmpty, label.utf8.count <= 63,
                  label.first != "-", label.last != "-" else { return false }
            return label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
