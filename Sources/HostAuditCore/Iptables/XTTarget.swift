/// An x_tables target decoded from its info struct.
public enum XTTarget: Sendable, Equatable {
    /// `ipt_reject_info` / `ip6t_reject_info`: the `with` value, read per family.
    case reject(Reject)
    case log(Log)
    case masquerade(NATRange)
    /// One or more ranges (rev 0 `nf_nat_ipv4_multi_range_compat` may carry several).
    case snat([NATRange])
    case dnat([NATRange])
    case redirect(NATRange)
    /// `xt_mark_tginfo2` (MARK rev 2): `mark = (mark & ~mask) ^ value`.
    case mark(value: UInt32, mask: UInt32)
    /// The standard target of x_tables blobs: a verdict or a jump offset.
    case standard(verdict: Int32)
    case opaque(name: String, revision: UInt32, info: [UInt8])

    public var isOpaque: Bool { if case .opaque = self { return true }; return false }

    public var name: String {
        switch self {
        case .reject: "REJECT"
        case .log: "LOG"
        case .masquerade: "MASQUERADE"
        case .snat: "SNAT"
        case .dnat: "DNAT"
        case .redirect: "REDIRECT"
        case .mark: "MARK"
        case .standard: ""
        case .opaque(let name, _, _): name
        }
    }

    public static func decode(name: String, revision: UInt32, info: [UInt8], family: Family) -> XTTarget {
        let b = XTBytes(info)
        let v6 = family == .ip6
        let decoded: XTTarget?
        switch (name, revision) {
        case ("REJECT", 0):
            decoded = b.count >= 4 ? .reject(Reject(family: family, with: b.u32(0))) : nil
        case ("LOG", 0):
            decoded = b.count >= 32 ? .log(Log(level: b.u8(0), flags: b.u8(1), prefix: b.cString(2, max: 30))) : nil
        case ("MASQUERADE", 0):
            decoded = (v6 ? NATRange.range(b, revision: 1, family: family) : NATRange.compat(b)?.first)
                .map(XTTarget.masquerade)
        case ("REDIRECT", 0):
            decoded = (v6 ? NATRange.range(b, revision: 1, family: family) : NATRange.compat(b)?.first)
                .map(XTTarget.redirect)
        case ("SNAT", 0) where !v6, ("DNAT", 0) where !v6:
            decoded = NATRange.compat(b).map { name == "SNAT" ? .snat($0) : .dnat($0) }
        case ("SNAT", 1), ("DNAT", 1), ("SNAT", 2), ("DNAT", 2):
            decoded = NATRange.range(b, revision: revision, family: family).map {
                name == "SNAT" ? .snat([$0]) : .dnat([$0])
            }
        case ("MARK", 2):
            decoded = b.count >= 8 ? .mark(value: b.u32(0), mask: b.u32(4)) : nil
        case ("", 0), ("standard", 0):
            decoded = b.count >= 4 ? .standard(verdict: b.i32(0)) : nil
        default:
            decoded = nil
        }
        return decoded ?? .opaque(name: name, revision: revision, info: info)
    }
}

extension XTTarget {
    public struct Reject: Sendable, Equatable {
        public var family: Family
        /// `ipt_reject_with` / `ip6t_reject_with`.
        public var with: UInt32
        public init(family: Family, with: UInt32) {
            self.family = family
            self.with = with
        }
    }

    /// `xt_log_info`.
    public struct Log: Sendable, Equatable {
        public var level: UInt8
        /// `XT_LOG_TCPSEQ` 1, `_TCPOPT` 2, `_IPOPT` 4, `_UID` 8, `_MACDECODE` 0x20.
        public var flags: UInt8
        public var prefix: String
    }

    /// One NAT range: addresses (network order) and ports (host order).
    public struct NATRange: Sendable, Equatable {
        public var family: Family
        /// `NF_NAT_RANGE_*`: map IPs 1, proto specified 2, random 4, persistent 8,
        /// random fully 0x10, proto offset 0x20.
        public var flags: UInt32
        public var minAddress: [UInt8]
        public var maxAddress: [UInt8]
        public var minPort: UInt16
        public var maxPort: UInt16
        /// Revision 2 only (`--to-destination a:p-q/base`).
        public var basePort: UInt16

        /// `nf_nat_ipv4_multi_range_compat`: rangesize u32 then `nf_nat_ipv4_range`s of 16 bytes.
        static func compat(_ b: XTBytes) -> [NATRange]? {
            guard b.count >= 20 else { return nil }
            let n = Int(b.u32(0))
            guard n >= 1, n <= 64, b.has(4, 16 * n) else { return nil }
            return (0..<n).map { i in
                let o = 4 + 16 * i
                return NATRange(
                    family: .ip, flags: b.u32(o), minAddress: b.slice(o + 4, 4), maxAddress: b.slice(o + 8, 4),
                    minPort: b.be16(o + 12), maxPort: b.be16(o + 14), basePort: 0)
            }
        }

        /// `nf_nat_range` (rev 1, 40 bytes) / `nf_nat_range2` (rev 2, 44 bytes).
        static func range(_ b: XTBytes, revision: UInt32, family: Family) -> NATRange? {
            guard b.count >= (revision == 2 ? 42 : 40) else { return nil }
            let len = family == .ip6 ? 16 : 4
            return NATRange(
                family: family, flags: b.u32(0), minAddress: b.slice(4, len), maxAddress: b.slice(20, len),
                minPort: b.be16(36), maxPort: b.be16(38), basePort: revision == 2 ? b.be16(40) : 0)
        }
    }
}
