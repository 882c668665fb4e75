/// x_tables matches and targets that iptables-nft puts into nf_tables rules,
/// decoded from the kernel's `xt_*` structs (layouts from
/// `<linux/netfilter/xt_*.h>`, x86-64, host byte order unless noted).
/// To be replaced by the iptables model's decoders once they are merged.
enum XTResult: Equatable {
    case match, noMatch
    case unknowable(String)

    init(_ b: Bool) { self = b ? .match : .noMatch }
}

/// What the xt code needs to know about the packet and its conntrack entry.
struct XTContext {
    var packet: SyntheticPacket
    /// nil: whether the packet has a conntrack entry here is unknowable.
    var hasConntrack: Bool?
    var local: LocalKnowledge
}

enum XTExtensions {
    static func u16(_ b: [UInt8], _ o: Int) -> UInt16 {
        guard o + 2 <= b.count else { return 0 }
        return b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt16.self) }
    }
    static func u32(_ b: [UInt8], _ o: Int) -> UInt32 {
        guard o + 4 <= b.count else { return 0 }
        return b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt32.self) }
    }

    // MARK: matches

    static func match(_ xt: Expression.XT, _ ctx: XTContext) -> XTResult {
        let info = xt.info
        switch (xt.name, xt.revision) {
        case ("comment", _):
            return .match
        case ("conntrack", 1), ("conntrack", 2), ("conntrack", 3):
            return conntrack(info, revision: xt.revision, ctx)
        case ("state", _):
            guard info.count >= 4 else { break }
            let mask = u32(info, 0)
            guard let ct = ctx.hasConntrack else { return .unknowable("conntrack state at this priority") }
            let bit: UInt32 = ctx.packet.untracked ? 1 << 6 : (ct ? ctx.packet.ctStateBit : 1 << 0)
            return XTResult(mask & bit != 0)
        case ("multiport", 0), ("multiport", 1):
            return multiport(info, revision: xt.revision, ctx.packet)
        case ("tcp", 0):
            guard info.count >= 12, ctx.packet.l4proto == 6 else { return ctx.packet.l4proto == 6 ? .unknowable("xt tcp") : .noMatch }
            let inv = info[11]
            let r = ports(info, inv & 1 != 0, inv & 2 != 0, ctx.packet)
            guard case .match = r else { return r }
            let mask = info[9], cmp = info[10]
            if (ctx.packet.tcpFlags & mask == cmp) == (inv & 4 != 0) { return .noMatch }
            if info[8] != 0 { return .unknowable("xt tcp --tcp-option (SYN options depend on sysctls)") }
            return .match
        case ("udp", 0):
            guard info.count >= 9 else { break }
            guard ctx.packet.l4proto == 17 else { return .noMatch }
            let inv = info[8]
            return ports(info, inv & 1 != 0, inv & 2 != 0, ctx.packet)
        case ("mark", 1):
            guard info.count >= 9 else { break }
            guard let m = ctx.packet.mark else { return .unknowable("the socket mark (give --mark)") }
            return XTResult(((m & u32(info, 4)) == u32(info, 0)) != (info[8] != 0))
        case ("owner", 1):
            return owner(info, ctx.packet)
        case ("addrtype", 1):
            return addrtype(info, ctx)
        default:
            break
        }
        return .unknowable("xt match \(xt.name) rev \(xt.revision) is not modelled")
    }

    static func ports(_ info: [UInt8], _ invS: Bool, _ invD: Bool, _ p: SyntheticPacket) -> XTResult {
        func inRange(_ port: MaybeBytes, _ o: Int, _ inv: Bool) -> XTResult {
            let lo = u16(info, o), hi = u16(info, o + 2)
            if lo == 0 && hi == 0xffff && !inv { return .match }
            guard let v = SyntheticPacket.port(port) else { return .unknowable("the source port (give --sport)") }
            return XTResult((v >= lo && v <= hi) != inv)
        }
        let s = inRange(p.sport, 0, invS)
        if s == .noMatch { return .noMatch }
        let d = inRange(p.dport, 4, invD)
        if d == .noMatch { return .noMatch }
        if case .unknowable = s { return s }
        return d
    }

    static func multiport(_ info: [UInt8], revision: UInt32, _ p: SyntheticPacket) -> XTResult {
        guard info.count >= 32 else { return .unknowable("xt multiport: short info") }
        let flags = info[0], count = min(Int(info[1]), 15)
        let sport = SyntheticPacket.port(p.sport), dport = SyntheticPacket.port(p.dport)
        let pflags: [UInt8] = revision == 1 && info.count >= 48 ? Array(info[32..<47]) : [UInt8](repeating: 0, count: 15)
        let invert = revision == 1 && info.count >= 48 ? info[47] != 0 : false
        func test(_ lo: UInt16, _ hi: UInt16) -> Bool? {
            func has(_ v: UInt16?) -> Bool? { v.map { $0 >= lo && $0 <= hi } }
            switch flags {
            case 0: return has(sport)
            case 1: return has(dport)
            default:
                if has(dport) == true || has(sport) == true { return true }
                if has(dport) == false && has(sport) == false { return false }
                return nil
            }
        }
        var i = 0
        var unknown = false
        while i < count {
            let s = u16(info, 2 + 2 * i)
            var e = s
            if pflags[i] != 0, i + 1 < count {
                i += 1
                e = u16(info, 2 + 2 * i)
            }
            switch test(s, e) {
            case true?: return XTResult(!invert)
            case nil: unknown = true
            default: break
            }
            i += 1
        }
        return unknown ? .unknowable("the source port (give --sport)") : XTResult(invert)
    }

    static func owner(_ info: [UInt8], _ p: SyntheticPacket) -> XTResult {
        guard info.count >= 18 else { return .unknowable("xt owner: short info") }
        let match = info[16], invert = info[17]
        if match & invert & 4 != 0 { return .noMatch }  // ! --socket-exists: locally generated packets have one
        if match & 1 != 0 {
            guard let uid = p.uid else { return .unknowable("the socket's uid (give --uid)") }
            let ok = uid >= u32(info, 0) && uid <= u32(info, 4)
            if ok == (invert & 1 != 0) { return .noMatch }
        }
        if match & 2 != 0 {
            if match & 8 != 0 { return .unknowable("supplementary groups of the socket's owner") }
            guard let gid = p.gid else { return .unknowable("the socket's gid") }
            let ok = gid >= u32(info, 8) && gid <= u32(info, 12)
            if ok == (invert & 2 != 0) { return .noMatch }
        }
        return .match
    }

    /// `RTN_*` address type bit of an address, from what the host knows.
    static func addressType(_ a: MaybeBytes, _ ctx: XTContext) -> UInt16? {
        guard a.isKnown, let ip = IPAddress(bytes: a.value) else { return nil }
        if ip.isLoopback || ctx.local.localAddresses.contains(ip) { return 1 << 2 }  // LOCAL
        if ip.isMulticast { return 1 << 5 }
        if ip.isIPv4 && (ip.bytes == [255, 255, 255, 255] || ctx.local.broadcastAddresses.contains(ip)) { return 1 << 3 }
        guard ctx.local.isComplete else { return nil }
        return 1 << 1  // UNICAST
    }

    static func addrtype(_ info: [UInt8], _ ctx: XTContext) -> XTResult {
        guard info.count >= 8 else { return .unknowable("xt addrtype: short info") }
        let source = u16(info, 0), dest = u16(info, 2), flags = u32(info, 4)
        var unknown = false
        for (mask, addr, inv) in [(source, ctx.packet.saddr, flags & 1 != 0), (dest, ctx.packet.daddr, flags & 2 != 0)]
        where mask != 0 {
            guard let t = addressType(addr, ctx) else {
                unknown = true
                continue
            }
            if (t & mask != 0) == inv { return .noMatch }
        }
        return unknown ? .unknowable("the address type (local addresses unknown)") : .match
    }

    static func conntrack(_ info: [UInt8], revision: UInt32, _ ctx: XTContext) -> XTResult {
        // Offsets of xt_conntrack_mtinfo1/2/3: 8 nf_inet_addr (128), expires (8), l4proto @136,
        // ports @138..145, match_flags @146, invert_flags @148, state_mask @150 (u8 in rev 1, u16 after).
        guard info.count >= 152 else { return .unknowable("xt conntrack: short info") }
        let flags = u16(info, 146), inv = u16(info, 148)
        let stateMask: UInt16 = revision == 1 ? UInt16(info[150]) : u16(info, 150)
        let statusMask: UInt32 = revision == 1 ? UInt32(info[151]) : UInt32(u16(info, 152))
        guard let ct = ctx.hasConntrack else { return .unknowable("conntrack state at this priority") }
        let p = ctx.packet
        if flags & 1 != 0 {
            var bit: UInt16 = p.untracked ? 1 << 8 : (ct ? UInt16(truncatingIfNeeded: p.ctStateBit) : 1 << 0)
            if ct && p.snatDone { bit |= 1 << 6 }
            if ct && p.dnatDone { bit |= 1 << 7 }
            if (stateMask & bit != 0) == (inv & 1 != 0) { return .noMatch }
        }
        if !ct || p.untracked { return XTResult(flags & 1 != 0) }
        if flags & 0x1000 != 0 { return .unknowable("conntrack --ctdir") }
        if flags & 0x80 != 0 { return .unknowable("conntrack --ctexpire") }
        if flags & 2 != 0, (u16(info, 136) == UInt16(p.l4proto)) == (inv & 2 != 0) { return .noMatch }
        let natted = p.snatDone || p.dnatDone
        let addrLen = p.isIPv6 ? 16 : 4
        let oSrc = p.originalNetwork.slice(p.isIPv6 ? 8 : 12, addrLen), oDst = p.originalNetwork.slice(p.isIPv6 ? 24 : 16, addrLen)
        let checks: [(UInt16, Int, MaybeBytes, Bool)] = [
            (4, 0, oSrc, false), (8, 32, oDst, false), (0x10, 64, oDst, true), (0x20, 96, oSrc, true),
        ]
        for (flag, off, value, reply) in checks where flags & flag != 0 {
            if reply && natted { return .unknowable("conntrack reply tuple after NAT") }
            guard value.isKnown else { return .unknowable("conntrack address (give --src)") }
            var same = true
            for i in 0..<addrLen where value.value[i] & info[off + 16 + i] != info[off + i] & info[off + 16 + i] {
                same = false
            }
            if same == (inv & flag != 0) { return .noMatch }
        }
        let oSport = p.originalTransport.slice(0, 2), oDport = p.originalTransport.slice(2, 2)
        let portChecks: [(UInt16, Int, Int, MaybeBytes, Bool)] = [
            (0x100, 138, 154, oSport, false), (0x200, 140, 156, oDport, false),
            (0x400, 142, 158, oDport, true), (0x800, 144, 160, oSport, true),
        ]
        for (flag, off, highOff, value, reply) in portChecks where flags & flag != 0 {
            if reply && natted { return .unknowable("conntrack reply tuple after NAT") }
            guard let v = SyntheticPacket.port(value) else { return .unknowable("the source port (give --sport)") }
            let lo = UInt16(bigEndian: u16(info, off))
            let hi = revision == 3 && info.count >= highOff + 2 ? UInt16(bigEndian: u16(info, highOff)) : lo
            let inside = v >= lo && v <= max(lo, hi)
            if inside == (inv & flag != 0) { return .noMatch }
        }
        if flags & 0x40 != 0 {
            if natted || p.isReply { return .unknowable(natted ? "conntrack status after NAT" : "conntrack status of an answer") }
            // A new, un-NATed entry has no status bits set.
            let ok = statusMask & 0 != 0
            if ok == (inv & 0x40 != 0) { return .noMatch }
        }
        return .match
    }
}
