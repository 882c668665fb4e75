/// An IPv4 or IPv6 address as its network-order bytes (4 or 16): the one
/// address type of the package. Every parser (policy files, resolv.conf,
/// hosts, egress targets, the CLI) and every renderer (nft and iptables-save
/// text, probe evidence, verdicts) goes through it; addresses are compared as
/// values, never as text.
///
/// Pure Swift, so Core needs no libc networking (`inet_pton`, `inet_ntop`).
///
/// Text forms (see docs/addresses.md):
/// - `description`: RFC 5952 §4 — lower-case hex, the first longest run of
///   two or more zero groups as `::`; an IPv4-mapped address stays hex
///   (`::ffff:a00:1`). Used by verdicts, exposure and egress target hosts.
/// - `inetNtopText`: exactly what glibc's `inet_ntop(AF_INET6)` prints, which
///   `nft`, `iptables-save` and the kernel-facing probe evidence show: the same,
///   except that an IPv4-mapped (`::ffff:1.2.3.4`) or IPv4-compatible
///   (`::1.2.3.4`, deprecated) address keeps its embedded dotted quad.
public struct IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// An IPv4 address from its host-order value.
    public init(ipv4 value: UInt32) {
        bytes = [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// An IPv6 address from its eight 16-bit groups; nil for another count.
    public init?(ipv6Groups g: [UInt16]) {
        guard g.count == 8 else { return nil }
        bytes = g.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    public var isIPv4: Bool { bytes.count == 4 }
    public var isIPv6: Bool { bytes.count == 16 }

    /// The eight 16-bit groups of an IPv6 address (empty for IPv4).
    public var groups: [UInt16] {
        guard isIPv6 else { return [] }
        return (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
    }

    /// The host-order value of an IPv4 address.
    public var ipv4Value: UInt32? {
        guard isIPv4 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    // MARK: - Parsing

    /// Parses text with `inet_pton`'s rules: dotted-quad IPv4 (four decimal
    /// octets, no leading zeros) or IPv6 (eight groups, one `::`, an optional
    /// dotted-quad tail). No zone (`%eth0`), no brackets, no prefix.
    public init?(_ text: String) {
        self.init(utf8: text.utf8)
    }

    /// `init(_:)` on raw bytes (a slice of a file read as bytes).
    public init?(utf8 s: some Collection<UInt8>) {
        if let v4 = Self.parseIPv4(s) {
            self.init(ipv4: v4)
        } else if let v6 = Self.parseIPv6(s), let a = Self(ipv6Groups: v6) {
            self = a
        } else {
            return nil
        }
    }

    /// `inet_pton(AF_INET, …)`: exactly four decimal octets without leading zeros.
    public static func parseIPv4(_ s: some Collection<UInt8>) -> UInt32? {
        var octets: [UInt32] = []
        var cur: UInt32 = 0
        var digits = 0
        for c in s {
            if c >= 48 && c <= 57 {
                if digits > 0 && cur == 0 { return nil }
                cur = cur * 10 + UInt32(c - 48)
                digits += 1
                if cur > 255 { return nil }
            } else if c == UInt8(ascii: ".") {
                guard digits > 0, octets.count < 3 else { return nil }
                octets.append(cur)
                cur = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard digits > 0, octets.count == 3 else { return nil }
        octets.append(cur)
        return octets.reduce(0) { $0 << 8 | $1 }
    }

    /// `inet_pton(AF_INET6, …)`: eight 16-bit groups of one to four hex
    /// digits, at most one `::`, an optional trailing dotted quad. Returns the groups.
    public static func parseIPv6(_ s: some Collection<UInt8>) -> [UInt16]? {
        let b = Array(s)
        guard !b.isEmpty else { return nil }
        var groups: [UInt16] = []
        var compressAt: Int? = nil
        var i = 0
        if b[0] == UInt8(ascii: ":") {
            guard b.count > 1, b[1] == UInt8(ascii: ":") else { return nil }
            compressAt = 0
            i = 2
            if i == b.count { return Array(repeating: 0, count: 8) }
        }
        while i < b.count {
            // One group (or a trailing IPv4 part).
            let start = i
            var value: UInt32 = 0
            var n = 0
            while i < b.count, let d = hexDigit(b[i]) {
                value = value << 4 | d
                n += 1
                i += 1
            }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                guard groups.count <= 6, let v4 = parseIPv4(b[start...]) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                break
            }
            guard n >= 1, n <= 4 else { return nil }
            groups.append(UInt16(value))
            if groups.count > 8 { return nil }
            if i == b.count { break }
            guard b[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            if i < b.count, b[i] == UInt8(ascii: ":") {
                guard compressAt == nil else { return nil }
                compressAt = groups.count
                i += 1
                if i == b.count { break }
            } else if i == b.count {
                return nil  // trailing single ':'
            }
        }
        if let at = compressAt {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: Array(repeating: 0, count: 8 - groups.count), at: at)
        }
        return groups.count == 8 ? groups : nil
    }

    /// `__inet_aton_exact` (what glibc's resolver reads in resolv.conf, and
    /// `getaddrinfo` accepts as a literal): 1 to 4 parts, each decimal, 0x-hex
    /// or 0-octal, the last part filling the remaining bytes; nothing may follow.
    public static func parseInetAton(_ s: some Collection<UInt8>) -> UInt32? {
        let b = Array(s)
        var i = 0
        var parts: [UInt32] = []
        var val: UInt64 = 0
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        func digit(_ c: UInt8, _ base: UInt64) -> UInt64? {
            guard let d = hexDigit(c) else { return nil }
            return UInt64(d) < base ? UInt64(d) : nil
        }
        while true {
            guard i < b.count, isDigit(b[i]) else { return nil }
            var base: UInt64 = 10
            if b[i] == 48 {
                if i + 2 < b.count, b[i + 1] == UInt8(ascii: "x") || b[i + 1] == UInt8(ascii: "X"),
                    digit(b[i + 2], 16) != nil
                {
                    base = 16
                    i += 2
                } else {
                    base = 8
                }
            }
            val = 0
            var overflow = false
            while i < b.count, let d = digit(b[i], base) {
                if !overflow {
                    val = val * base + d
                    if val > 0xFFFF_FFFF { overflow = true }
                }
                i += 1
            }
            if overflow { return nil }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                if parts.count > 2 || val > 0xFF { return nil }
                parts.append(UInt32(val))
                i += 1
            } else {
                break
            }
        }
        guard i == b.count else { return nil }
        let maxLast: [UInt64] = [0xFFFF_FFFF, 0xFF_FFFF, 0xFFFF, 0xFF]
        guard val <= maxLast[parts.count] else { return nil }
        var result = UInt32(val)
        for (k, p) in parts.enumerated() { result |= p << (24 - 8 * k) }
        return result
    }

    private static func hexDigit(_ c: UInt8) -> UInt32? {
        switch c {
        case 48...57: return UInt32(c - 48)
        case 97...102: return UInt32(c - 87)
        case 65...70: return UInt32(c - 55)
        default: return nil
        }
    }

    // MARK: - Text

    /// How an IPv6 address is written (IPv4 is always a dotted quad).
    public enum TextForm: Sendable {
        /// RFC 5952 §4: hex groups only, the first longest zero run (≥ 2) as `::`.
        case rfc5952
        /// glibc's `inet_ntop`: `rfc5952`, but `::ffff:a.b.c.d` and `::a.b.c.d`.
        case inetNtop
    }

    public var description: String { text(.rfc5952) }

    /// What glibc's `inet_ntop` prints (nft, iptables-save, socket addresses).
    public var inetNtopText: String { text(.inetNtop) }

    public func text(_ form: TextForm) -> String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        return Self.ipv6Text(groups, form: form)
    }

    /// The IPv6 text of eight groups (see `TextForm`).
    public static func ipv6Text(_ words: [UInt16], form: TextForm) -> String {
        precondition(words.count == 8)
        // The first longest run (length ≥ 2) of zero groups becomes "::".
        var bestStart = -1
        var bestLen = 0
        var i = 0
        while i < 8 {
            if words[i] == 0 {
                var j = i
                while j < 8 && words[j] == 0 { j += 1 }
                if j - i > bestLen && j - i >= 2 {
                    bestStart = i
                    bestLen = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ range: Swift.Range<Int>) -> String {
            range.map { String(words[$0], radix: 16) }.joined(separator: ":")
        }
        if form == .inetNtop, bestStart == 0, bestLen == 6 || (bestLen == 5 && words[5] == 0xFFFF) {
            // glibc's embedded IPv4 forms: ::a.b.c.d (compatible) and ::ffff:a.b.c.d (mapped).
            let dotted = "\(words[6] >> 8).\(words[6] & 0xFF).\(words[7] >> 8).\(words[7] & 0xFF)"
            return bestLen == 6 ? "::" + dotted : "::ffff:" + dotted
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLen)..<8)
    }

    // MARK: - Order, prefixes and ranges

    /// IPv4 before IPv6, then by bytes (numeric order within a family).
    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.bytes.count != b.bytes.count { return a.bytes.count < b.bytes.count }
        return a.bytes.lexicographicallyPrecedes(b.bytes)
    }

    /// True when the address is inside `prefix/length`.
    public func isIn(_ prefix: IPAddress, length: Int) -> Bool {
        Prefix(prefix, length: length)?.contains(self) ?? false
    }

    /// A network: an address and a prefix length (`10.0.0.0/8`, `fd00::/8`).
    public struct Prefix: Sendable, Hashable, CustomStringConvertible {
        public let address: IPAddress
        public let length: Int

        /// Nil when the length does not fit the family.
        public init?(_ address: IPAddress, length: Int) {
            guard length >= 0, length <= address.bytes.count * 8 else { return nil }
            self.address = address
            self.length = length
        }

        /// `ADDRESS/LENGTH`, or a bare address (a host prefix).
        public init?(_ text: String) {
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let a = IPAddress(String(parts[0])) else { return nil }
            if parts.count == 1 {
                self.init(a, length: a.bytes.count * 8)
                return
            }
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                let n = Int(digits)
            else { return nil }
            self.init(a, length: n)
        }

        public func contains(_ a: IPAddress) -> Bool {
            guard a.bytes.count == address.bytes.count else { return false }
            var bits = length
            for i in 0..<a.bytes.count where bits > 0 {
                let take = min(8, bits)
                let mask = UInt8(truncatingIfNeeded: 0xff << (8 - take))
                if a.bytes[i] & mask != address.bytes[i] & mask { return false }
                bits -= take
            }
            return true
        }

        /// The first and last address of the network.
        public var range: ClosedRange<IPAddress> {
            var lo = address.bytes
            var hi = address.bytes
            for i in 0..<lo.count {
                let keep = max(0, min(8, length - 8 * i))
                let mask = UInt8(truncatingIfNeeded: 0xff << (8 - keep))
                lo[i] &= keep == 0 ? 0 : mask
                hi[i] = keep == 0 ? 0xff : (hi[i] & mask) | ~mask
            }
            return IPAddress(bytes: lo)!...IPAddress(bytes: hi)!
        }

        public var description: String { "\(address)/\(length)" }
    }

    public var isLoopback: Bool {
        if isIPv4 { return bytes[0] == 127 }
        return bytes == [UInt8](repeating: 0, count: 15) + [1]
    }

    public var isMulticast: Bool { isIPv4 ? bytes[0] & 0xf0 == 0xe0 : bytes[0] == 0xff }

    /// An IPv6 link-local address (fe80::/10).
    public var isLinkLocal: Bool { isIPv6 && bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 }
}
