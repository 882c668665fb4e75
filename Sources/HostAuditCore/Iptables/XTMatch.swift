/// An x_tables match decoded from its `xt_*` info struct.
///
/// One case per extension hostaudit understands; anything else (or a struct
/// whose length does not fit its name and revision) stays `opaque`.
public enum XTMatch: Sendable, Equatable {
    case conntrack(Conntrack)
    /// `xt_state_info` (state rev 0): the state bit mask.
    case state(StateMask)
    case multiport(Multiport)
    case comment(String)
    case tcp(TCP)
    case udp(UDP)
    case icmp(ICMP)
    case icmp6(ICMP)
    case mark(Mark)
    case owner(Owner)
    case addrtype(Addrtype)
    case limit(Limit)
    case statistic(Statistic)
    case opaque(name: String, revision: UInt32, info: [UInt8])

    /// The name iptables prints after `-m` (`state` for a conntrack match
    /// written as `-m state`).
    public var name: String {
        switch self {
        case .conntrack(let c): c.isStateAlias ? "state" : "conntrack"
        case .state: "state"
        case .multiport: "multiport"
        case .comment: "comment"
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmp: "icmp"
        case .icmp6: "icmp6"
        case .mark: "mark"
        case .owner: "owner"
        case .addrtype: "addrtype"
        case .limit: "limit"
        case .statistic: "statistic"
        case .opaque(let name, _, _): name
        }
    }

    public var isOpaque: Bool { if case .opaque = self { return true }; return false }

    /// Decodes `info` for (name, revision); `family` gives the address size
    /// of family-dependent structs (conntrack).
    public static func decode(name: String, revision: UInt32, info: [UInt8], family: Family) -> XTMatch {
        let b = XTBytes(info)
        let decoded: XTMatch?
        switch (name, revision) {
        case ("conntrack", 1): decoded = Conntrack(b, revision: 1, family: family).map(XTMatch.conntrack)
        case ("conntrack", 2): decoded = Conntrack(b, revision: 2, family: family).map(XTMatch.conntrack)
        case ("conntrack", 3): decoded = Conntrack(b, revision: 3, family: family).map(XTMatch.conntrack)
        case ("state", 0): decoded = b.count >= 4 ? .state(StateMask(rawValue: b.u32(0))) : nil
        case ("multiport", 0): decoded = Multiport(b, revision: 0).map(XTMatch.multiport)
        case ("multiport", 1): decoded = Multiport(b, revision: 1).map(XTMatch.multiport)
        case ("comment", 0): decoded = b.count >= 256 ? .comment(b.cString(0, max: 256)) : nil
        case ("tcp", 0): decoded = TCP(b).map(XTMatch.tcp)
        case ("udp", 0): decoded = UDP(b).map(XTMatch.udp)
        case ("icmp", 0): decoded = ICMP(b).map(XTMatch.icmp)
        case ("icmp6", 0): decoded = ICMP(b).map(XTMatch.icmp6)
        case ("mark", 1): decoded = Mark(b).map(XTMatch.mark)
        case ("owner", 1): decoded = Owner(b).map(XTMatch.owner)
        case ("addrtype", 1): decoded = Addrtype(b).map(XTMatch.addrtype)
        case ("limit", 0): decoded = Limit(b).map(XTMatch.limit)
        case ("statistic", 0): decoded = Statistic(b).map(XTMatch.statistic)
        default: decoded = nil
        }
        return decoded ?? .opaque(name: name, revision: revision, info: info)
    }
}

extension XTMatch {
    /// Conntrack state bits (`XT_CONNTRACK_STATE_*` / `XT_STATE_*`).
    public struct StateMask: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let invalid = StateMask(rawValue: 1 << 0)
        public static let established = StateMask(rawValue: 1 << 1)
        public static let related = StateMask(rawValue: 1 << 2)
        public static let new = StateMask(rawValue: 1 << 3)
        // 1 << (IP_CT_NUMBER + 1…3), IP_CT_NUMBER = 5.
        public static let snat = StateMask(rawValue: 1 << 6)
        public static let dnat = StateMask(rawValue: 1 << 7)
        public static let untracked = StateMask(rawValue: 1 << 8)
    }

    /// `xt_conntrack_mtinfo1/2/3`, normalised to the rev-3 shape.
    public struct Conntrack: Sendable, Equatable {
        public var revision: UInt32
        public var family: Family
        public var origSrc: AddressMask
        public var origDst: AddressMask
        public var replSrc: AddressMask
        public var replDst: AddressMask
        public var expiresMin: UInt32
        public var expiresMax: UInt32
        public var l4proto: UInt16
        /// Ports in host order (revisions 1 and 2 store network order; converted here).
        public var origSrcPort: ClosedRange<UInt16>
        public var origDstPort: ClosedRange<UInt16>
        public var replSrcPort: ClosedRange<UInt16>
        public var replDstPort: ClosedRange<UInt16>
        public var matchFlags: Flags
        public var invertFlags: Flags
        public var stateMask: StateMask
        /// `IPS_*` bits: expected 1, seen-reply 2, assured 4, confirmed 8.
        public var statusMask: UInt16

        public struct Flags: OptionSet, Sendable, Hashable {
            public let rawValue: UInt16
            public init(rawValue: UInt16) { self.rawValue = rawValue }
            public static let state = Flags(rawValue: 1 << 0)
            public static let proto = Flags(rawValue: 1 << 1)
            public static let origSrc = Flags(rawValue: 1 << 2)
            public static let origDst = Flags(rawValue: 1 << 3)
            public static let replSrc = Flags(rawValue: 1 << 4)
            public static let replDst = Flags(rawValue: 1 << 5)
            public static let status = Flags(rawValue: 1 << 6)
            public static let expires = Flags(rawValue: 1 << 7)
            public static let origSrcPort = Flags(rawValue: 1 << 8)
            public static let origDstPort = Flags(rawValue: 1 << 9)
            public static let replSrcPort = Flags(rawValue: 1 << 10)
            public static let replDstPort = Flags(rawValue: 1 << 11)
            public static let direction = Flags(rawValue: 1 << 12)
            public static let stateAlias = Flags(rawValue: 1 << 13)
        }

        public var isStateAlias: Bool { matchFlags.contains(.stateAlias) }

        static func size(revision: UInt32) -> Int {
            switch revision {
            case 1: 152
            case 2: 156
            default: 164
            }
        }

        init?(_ b: XTBytes, revision: UInt32, family: Family) {
            guard b.count >= Self.size(revision: revision) else { return nil }
            let addrLen = family == .ip6 ? 16 : 4
            func am(_ off: Int) -> AddressMask {
                AddressMask(address: b.slice(off, addrLen), mask: b.slice(off + 16, addrLen))
            }
            self.revision = revision
            self.family = family
            origSrc = am(0)
            origDst = am(32)
            replSrc = am(64)
            replDst = am(96)
            expiresMin = b.u32(128)
            expiresMax = b.u32(132)
            l4proto = b.u16(136)
            matchFlags = Flags(rawValue: b.u16(146))
            invertFlags = Flags(rawValue: b.u16(148))
            if revision == 1 {
                stateMask = StateMask(rawValue: UInt32(b.u8(150)))
                statusMask = UInt16(b.u8(151))
            } else {
                stateMask = StateMask(rawValue: UInt32(b.u16(150)))
                statusMask = b.u16(152)
            }
            if revision == 3 {
                origSrcPort = Self.range(b.u16(138), b.u16(154))
                origDstPort = Self.range(b.u16(140), b.u16(156))
                replSrcPort = Self.range(b.u16(142), b.u16(158))
                replDstPort = Self.range(b.u16(144), b.u16(160))
            } else {
                origSrcPort = Self.range(b.be16(138), b.be16(138))
                origDstPort = Self.range(b.be16(140), b.be16(140))
                replSrcPort = Self.range(b.be16(142), b.be16(142))
                replDstPort = Self.range(b.be16(144), b.be16(144))
            }
        }

        static func range(_ low: UInt16, _ high: UInt16) -> ClosedRange<UInt16> {
            // A rev-3 high of 0 means "just low"; a hostile low > high is kept as low...low.
            high >= low ? low...high : low...low
        }
    }

    /// An address and its mask, network order (4 bytes for IPv4, 16 for IPv6).
    public struct AddressMask: Sendable, Equatable {
        public var address: [UInt8]
        public var mask: [UInt8]
        public init(address: [UInt8], mask: [UInt8]) {
            self.address = address
            self.mask = mask
        }
    }

    /// `xt_multiport` (rev 0) / `xt_multiport_v1` (rev 1); ports in host order.
    public struct Multiport: Sendable, Equatable {
        public enum Direction: UInt8, Sendable { case source = 0, destination = 1, either = 2 }
        public var direction: Direction
        /// Single ports and ranges, in the order given.
        public var ports: [ClosedRange<UInt16>]
        public var invert: Bool

        init?(_ b: XTBytes, revision: UInt32) {
            guard b.count >= (revision == 0 ? 32 : 48), let dir = Direction(rawValue: b.u8(0)) else { return nil }
            let count = Int(b.u8(1))
            guard count <= 15 else { return nil }
            direction = dir
            var ports: [ClosedRange<UInt16>] = []
            var i = 0
            while i < count {
                let p = b.u16(2 + 2 * i)
                // pflags[i] set: ports[i] and ports[i+1] form a range.
                if revision == 1, b.u8(32 + i) != 0, i + 1 < count {
                    let q = b.u16(2 + 2 * (i + 1))
                    ports.append(p <= q ? p...q : p...p)
                    i += 2
                } else {
                    ports.append(p...p)
                    i += 1
                }
            }
            self.ports = ports
            invert = revision == 1 && b.u8(47) != 0
        }
    }

    /// `xt_tcp`; ports in host order.
    public struct TCP: Sendable, Equatable {
        public var sourcePorts: ClosedRange<UInt16>
        public var destinationPorts: ClosedRange<UInt16>
        public var option: UInt8
        public var flagMask: UInt8
        public var flagCompare: UInt8
        /// `XT_TCP_INV_SRCPT` 1, `_DSTPT` 2, `_FLAGS` 4, `_OPTION` 8.
        public var invertFlags: UInt8

        public init(
            sourcePorts: ClosedRange<UInt16> = 0...0xffff, destinationPorts: ClosedRange<UInt16> = 0...0xffff,
            option: UInt8 = 0, flagMask: UInt8 = 0, flagCompare: UInt8 = 0, invertFlags: UInt8 = 0
        ) {
            self.sourcePorts = sourcePorts
            self.destinationPorts = destinationPorts
            self.option = option
            self.flagMask = flagMask
            self.flagCompare = flagCompare
            self.invertFlags = invertFlags
        }

        init?(_ b: XTBytes) {
            guard b.count >= 12 else { return nil }
            self.init(
                sourcePorts: Conntrack.range(b.u16(0), b.u16(2)), destinationPorts: Conntrack.range(b.u16(4), b.u16(6)),
                option: b.u8(8), flagMask: b.u8(9), flagCompare: b.u8(10), invertFlags: b.u8(11))
        }
    }

    /// `xt_udp`; ports in host order.
    public struct UDP: Sendable, Equatable {
        public var sourcePorts: ClosedRange<UInt16>
        public var destinationPorts: ClosedRange<UInt16>
        /// `XT_UDP_INV_SRCPT` 1, `_DSTPT` 2.
        public var invertFlags: UInt8

        public init(
            sourcePorts: ClosedRange<UInt16> = 0...0xffff, destinationPorts: ClosedRange<UInt16> = 0...0xffff,
            invertFlags: UInt8 = 0
        ) {
            self.sourcePorts = sourcePorts
            self.destinationPorts = destinationPorts
            self.invertFlags = invertFlags
        }

        init?(_ b: XTBytes) {
            guard b.count >= 9 else { return nil }
            self.init(
                sourcePorts: Conntrack.range(b.u16(0), b.u16(2)), destinationPorts: Conntrack.range(b.u16(4), b.u16(6)),
                invertFlags: b.u8(8))
        }
    }

    /// `ipt_icmp` / `ip6t_icmp`: type, code range, invert.
    public struct ICMP: Sendable, Equatable {
        /// 0xff means "any".
        public var type: UInt8
        public var codes: ClosedRange<UInt8>
        public var invert: Bool

        init?(_ b: XTBytes) {
            guard b.count >= 4 else { return nil }
            type = b.u8(0)
            let lo = b.u8(1)
            let hi = b.u8(2)
            codes = hi >= lo ? lo...hi : lo...lo
            invert = b.u8(3) & 1 != 0
        }
    }

    /// `xt_mark_mtinfo1`.
    public struct Mark: Sendable, Equatable {
        public var mark: UInt32
        public var mask: UInt32
        public var invert: Bool
        public init(mark: UInt32, mask: UInt32 = 0xffff_ffff, invert: Bool = false) {
            self.mark = mark
            self.mask = mask
            self.invert = invert
        }
        init?(_ b: XTBytes) {
            guard b.count >= 9 else { return nil }
            self.init(mark: b.u32(0), mask: b.u32(4), invert: b.u8(8) != 0)
        }
    }

    /// `xt_owner_match_info` (rev 1).
    public struct Owner: Sendable, Equatable {
        public var uid: ClosedRange<UInt32>
        public var gid: ClosedRange<UInt32>
        /// `XT_OWNER_UID` 1, `_GID` 2, `_SOCKET` 4, `_SUPPL_GROUPS` 8.
        public var match: UInt8
        public var invert: UInt8

        init?(_ b: XTBytes) {
            guard b.count >= 18 else { return nil }
            let u0 = b.u32(0), u1 = b.u32(4), g0 = b.u32(8), g1 = b.u32(12)
            uid = u1 >= u0 ? u0...u1 : u0...u0
            gid = g1 >= g0 ? g0...g1 : g0...g0
            match = b.u8(16)
            invert = b.u8(17)
        }
    }

    /// `xt_addrtype_info_v1`.
    public struct Addrtype: Sendable, Equatable {
        /// Bit `1 << RTN_*` per accepted type.
        public var source: UInt16
        public var destination: UInt16
        /// `XT_ADDRTYPE_INVERT_SOURCE` 1, `_INVERT_DEST` 2, `_LIMIT_IFACE_IN` 4, `_LIMIT_IFACE_OUT` 8.
        public var flags: UInt32

        init?(_ b: XTBytes) {
            guard b.count >= 8 else { return nil }
            source = b.u16(0)
            destination = b.u16(2)
            flags = b.u32(4)
        }
    }

    /// `xt_rateinfo`: average period in 1/10000 s units and burst.
    public struct Limit: Sendable, Equatable {
        public var average: UInt32
        public var burst: UInt32
        public init(average: UInt32, burst: UInt32) {
            self.average = average
            self.burst = burst
        }
        init?(_ b: XTBytes) {
            guard b.count >= 8 else { return nil }
            self.init(average: b.u32(0), burst: b.u32(4))
        }
    }

    /// `xt_statistic_info`.
    public struct Statistic: Sendable, Equatable {
        /// `XT_STATISTIC_MODE_RANDOM` 0, `_NTH` 1.
        public var mode: UInt16
        public var invert: Bool
        /// Random mode: probability scaled by 2^31.
        public var probability: UInt32
        /// Nth mode: every (minus one) and packet.
        public var every: UInt32
        public var packet: UInt32

        init?(_ b: XTBytes) {
            guard b.count >= 16, b.u16(0) <= 1 else { return nil }
            mode = b.u16(0)
            invert = b.u16(2) & 1 != 0
            probability = b.u32(4)
            every = b.u32(4)
            packet = b.u32(8)
        }
    }
}
