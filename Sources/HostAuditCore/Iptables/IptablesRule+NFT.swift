/// iptables-nft → iptables model: the native expressions iptables-nft 1.8.9
/// emits (`iptables/nft.c`: `add_iniface`, `add_addr`, `add_proto`,
/// `add_nft_tcpudp`, `add_nft_limit`, `add_nft_mark`, counters, verdicts) plus
/// xt `match`/`target`, read back the way `nft-shared.c` parses them.
extension IptablesTable {
    /// Nil when the table is not shaped like an iptables table: not `ip`/`ip6`,
    /// an unknown table name, a base chain iptables would not have created, or
    /// a rule iptables cannot express.
    ///
    /// With `inPlace`, a rule iptables cannot express does not make the table
    /// nil: it becomes a rule carrying `inPlace`'s text in `nftText` (for
    /// printing only; such a table is never evaluated).
    package init?(nft table: Table, inPlace: ((Rule) -> String)? = nil) {
        guard table.family == .ip || table.family == .ip6, let builtins = Self.builtins[table.name] else { return nil }
        var base: [IptablesChain] = []
        var user: [IptablesChain] = []
        for chain in table.chains {
            var rules: [IptablesRule] = []
            for r in chain.rules {
                if let rule = IptablesRule(nft: r, family: table.family) {
                    rules.append(rule)
                } else if let inPlace {
                    var rule = IptablesRule()
                    rule.nftText = inPlace(r)
                    rules.append(rule)
                } else {
                    return nil
                }
            }
            if let b = chain.base {
                guard let spec = builtins.first(where: { $0.name == chain.name }), spec.hook == b.hook,
                    b.type == nil || b.type == spec.type, b.priority == spec.priority
                else { return nil }
                let policy: String
                switch b.policy ?? .accept {
                case .accept: policy = "ACCEPT"
                case .drop: policy = "DROP"
                case .other: return nil
                }
                base.append(
                    IptablesChain(
                        name: chain.name, policy: policy, packets: chain.counters?.packets ?? 0,
                        bytes: chain.counters?.bytes ?? 0, rules: rules))
            } else {
                user.append(IptablesChain(name: chain.name, rules: rules))
            }
        }
        // iptables-nft creates a built-in chain only when a rule needs it, but
        // iptables-save (nf_tables) lists every built-in chain of the table,
        // showing an absent one as `ACCEPT [0:0]`; so do we.
        for spec in builtins where !base.contains(where: { $0.name == spec.name }) {
            base.append(IptablesChain(name: spec.name, policy: "ACCEPT"))
        }
        base.sort { a, b in
            (Self.hookOrder.firstIndex { h in builtins.first { $0.name == a.name }?.hook == h } ?? 9)
                < (Self.hookOrder.firstIndex { h in builtins.first { $0.name == b.name }?.hook == h } ?? 9)
        }
        user.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        self.init(family: table.family, name: table.name, chains: base + user)
    }
}

extension IptablesRule {
    /// Nil when the rule holds anything iptables-nft would not have produced.
    public init?(nft rule: Rule, family: Family) {
        var reader = NFTRuleReader(family: family)
        for e in rule.expressions {
            guard reader.read(e) else { return nil }
        }
        self = reader.rule
    }

    /// The first expression of `rule` iptables-nft would not have written, by
    /// its nf_tables name (`expression meta`), for warnings.
    public static func unexpressible(_ rule: Rule, family: Family) -> String {
        var reader = NFTRuleReader(family: family)
        for e in rule.expressions where !reader.read(e) { return "expression " + e.name }
        return "expressions"
    }
}

/// Walks one rule's expressions, tracking what each register holds.
private struct NFTRuleReader {
    enum Loaded {
        case meta(UInt32)
        case payload(base: UInt32, offset: UInt32, length: UInt32)
        indirect case masked(Loaded, mask: [UInt8])
        /// A constant (`immediate` into a data register).
        case constant([UInt8])
    }

    let family: Family
    var rule = IptablesRule()
    var regs: [Int: Loaded] = [:]
    /// The one tcp/udp match the native port/flag expressions fill.
    var transportIndex: Int?
    var l4: UInt8?
    var sawVerdict = false
    /// The lower end of a port range (`>=`) waiting for its upper end, per offset.
    var pendingLow: [UInt32: UInt16] = [:]

    init(family: Family) { self.family = family }

    var addrLen: Int { family == .ip6 ? 16 : 4 }

    mutating func transport() -> Int? {
        if let transportIndex { return transportIndex }
        switch l4 {
        case 6: rule.matches.append(.tcp(XTMatch.TCP()))
        case 17: rule.matches.append(.udp(XTMatch.UDP()))
        default: return nil
        }
        transportIndex = rule.matches.count - 1
        return transportIndex
    }

    mutating func setPorts(_ src: ClosedRange<UInt16>?, _ dst: ClosedRange<UInt16>?, _ invert: Bool) -> Bool {
        guard let i = transport() else { return false }
        switch rule.matches[i] {
        case .tcp(var t):
            if let src { t.sourcePorts = src; if invert { t.invertFlags |= 1 } }
            if let dst { t.destinationPorts = dst; if invert { t.invertFlags |= 2 } }
            rule.matches[i] = .tcp(t)
        case .udp(var u):
            if let src { u.sourcePorts = src; if invert { u.invertFlags |= 1 } }
            if let dst { u.destinationPorts = dst; if invert { u.invertFlags |= 2 } }
            rule.matches[i] = .udp(u)
        default: return false
        }
        return true
    }

    mutating func read(_ e: Expression) -> Bool {
        guard !sawVerdict else { return false }
        switch e {
        case .meta(let m):
            if let sreg = m.sreg, m.dreg == nil {
                // `-j TRACE`: iptables-nft 1.8.9 writes `meta nftrace set 1`.
                guard m.key == 12, case .constant(let v)? = regs[sreg.slot], v.first == 1, v.dropFirst().allSatisfy({ $0 == 0 }),
                    case .none = rule.target
                else { return false }
                rule.target = .extension(.opaque(name: "TRACE", revision: 0, info: []))
                sawVerdict = true
                return true
            }
            guard let d = m.dreg, m.sreg == nil else { return false }
            regs[d.slot] = .meta(m.key)
        case .payload(let p):
            guard let d = p.dreg, p.sreg == nil else { return false }
            regs[d.slot] = .payload(base: p.base, offset: p.offset, length: p.length)
        case .bitwise(let b):
            guard b.op == 0, let src = regs[b.sreg.slot], let mask = b.mask,
                b.xor.map({ $0.allSatisfy { $0 == 0 } }) ?? true
            else { return false }
            regs[b.dreg.slot] = .masked(src, mask: mask)
        case .cmp(let c):
            guard let loaded = regs[c.sreg.slot] else { return false }
            switch c.op {
            case .eq: return apply(cmp: c.data, invert: false, loaded: loaded)
            case .neq: return apply(cmp: c.data, invert: true, loaded: loaded)
            case .lt, .lte, .gt, .gte:
                // Port ranges open at one end (`--sport :4` is `tcp sport <= 4`,
                // `! --sport :4` is `> 4`); a closed one is `>=` then `<=`.
                guard case .payload(2, let off, 2) = loaded, off == 0 || off == 2, c.data.count == 2 else { return false }
                let v = UInt16(c.data[0]) << 8 | UInt16(c.data[1])
                let range: ClosedRange<UInt16>
                var invert = false
                switch c.op {
                case .lte: range = (pendingLow[off] ?? 0)...v
                case .gte: range = v...UInt16.max; pendingLow[off] = v
                case .gt: range = 0...v; invert = true
                default:  // lt
                    guard v > 0 else { return false }
                    range = v...UInt16.max; invert = true
                }
                return setPorts(off == 0 ? range : nil, off == 2 ? range : nil, invert)
            default: return false
            }
        case .range(let r):
            guard case .payload(2, let off, 2)? = regs[r.sreg.slot], off == 0 || off == 2, r.from.count == 2,
                r.to.count == 2
            else { return false }
            let lo = UInt16(r.from[0]) << 8 | UInt16(r.from[1])
            let hi = UInt16(r.to[0]) << 8 | UInt16(r.to[1])
            guard lo <= hi else { return false }
            return setPorts(off == 0 ? lo...hi : nil, off == 2 ? lo...hi : nil, r.op == 1)
        case .limit(let l):
            guard l.type == 0, !l.isInverted, l.rate > 0, l.unit > 0 else { return false }
            let avg = 10000 * l.unit / l.rate
            guard avg <= UInt64(UInt32.max) else { return false }
            rule.matches.append(.limit(XTMatch.Limit(average: UInt32(avg), burst: l.burst)))
        case .counter(let c):
            rule.packets = c.packets
            rule.bytes = c.bytes
        case .immediate(let i) where !i.dreg.isVerdict:
            guard let data = i.data else { return false }
            regs[i.dreg.slot] = .constant(data)
        case .log(let l):
            // `-j NFLOG`: iptables-nft 1.8.9 writes a native `log group …`; read
            // back (as `nft_parse_log` does) into NFLOG's struct with the longer
            // prefix nft allows: len u32, group u16, threshold u16, flags u16, pad, prefix[128].
            guard let group = l.group, l.level == nil, l.flags == nil, case .none = rule.target else { return false }
            var info = [UInt8](repeating: 0, count: 12 + 128)
            func put<T: FixedWidthInteger>(_ v: T, _ at: Int) {
                withUnsafeBytes(of: v.littleEndian) { for (k, b) in $0.enumerated() { info[at + k] = b } }
            }
            if let snap = l.snaplen { put(snap, 0); put(UInt16(1), 8) }
            put(group, 4)
            put(l.queueThreshold ?? 0, 6)
            for (k, b) in Array((l.prefix ?? "").utf8.prefix(127)).enumerated() { info[12 + k] = b }
            rule.target = .extension(.opaque(name: "NFLOG", revision: 0, info: info))
            sawVerdict = true
        case .immediate(let i):
            guard i.dreg.isVerdict, let v = i.verdict, case .none = rule.target else { return false }
            switch v {
            case .accept: rule.target = .accept
            case .drop: rule.target = .drop
            case .return: rule.target = .return
            case .jump(let c): rule.target = .jump(c)
            case .goto(let c): rule.target = .goto(c)
            default: return false
            }
            sawVerdict = true
        case .match(let x):
            // An extension hostaudit does not decode stays in place, opaque:
            // the rule is still iptables syntax (printed with the part named).
            rule.matches.append(XTMatch.decode(name: x.name, revision: x.revision, info: x.info, family: family))
        case .target(let x):
            guard case .none = rule.target else { return false }
            rule.target = .extension(XTTarget.decode(name: x.name, revision: x.revision, info: x.info, family: family))
        default:
            return false
        }
        return true
    }

    mutating func apply(cmp data: [UInt8], invert: Bool, loaded: Loaded) -> Bool {
        var mask: [UInt8]?
        var inner = loaded
        if case .masked(let l, let m) = loaded {
            inner = l
            mask = m
        }
        switch inner {
        case .meta(let key):
            switch key {
            case 6, 7:  // iifname, oifname: "eth0\0" exact, "eth" (no NUL) = eth+
                guard mask == nil, !data.isEmpty else { return false }
                var name: String
                if data.last == 0 {
                    let end = data.firstIndex(of: 0) ?? data.count
                    name = String(decoding: data[..<end], as: UTF8.self)
                } else {
                    name = String(decoding: data, as: UTF8.self) + "+"
                }
                if name.isEmpty { name = "+" }
                var invert = invert
                // `! -i +` (no interface at all) is written as the impossible name "INVAL/D".
                if name == "INVAL/D" && !invert {
                    name = "+"
                    invert = true
                }
                if key == 6 {
                    guard rule.inInterface == nil else { return false }
                    rule.inInterface = name
                    rule.invertIn = invert
                } else {
                    guard rule.outInterface == nil else { return false }
                    rule.outInterface = name
                    rule.invertOut = invert
                }
            case 16:  // l4proto
                guard mask == nil, data.count == 1, rule.proto == nil else { return false }
                rule.proto = UInt16(data[0])
                rule.invertProto = invert
                if !invert { l4 = data[0] }
            case 3:  // mark (host order)
                guard data.count == 4 else { return false }
                let value = XTBytes(data).u32(0)
                let m = mask.map { XTBytes($0).u32(0) } ?? 0xffff_ffff
                rule.matches.append(.mark(XTMatch.Mark(mark: value, mask: m, invert: invert)))
            default:
                return false
            }
        case .payload(let base, let offset, let length):
            if base == 1 {
                let srcOff: UInt32 = family == .ip6 ? 8 : 12
                let dstOff: UInt32 = family == .ip6 ? 24 : 16
                if offset == srcOff || offset == dstOff {
                    guard length >= 1, Int(length) <= addrLen, data.count == Int(length) else { return false }
                    var addr = data + [UInt8](repeating: 0, count: addrLen - data.count)
                    var m: [UInt8]
                    if let mask {
                        guard mask.count == Int(length) else { return false }
                        m = mask + [UInt8](repeating: 0, count: addrLen - mask.count)
                    } else {
                        m = [UInt8](repeating: 0xff, count: Int(length))
                            + [UInt8](repeating: 0, count: addrLen - Int(length))
                    }
                    for i in 0..<addrLen { addr[i] &= m[i] }
                    let am = XTMatch.AddressMask(address: addr, mask: m)
                    if offset == srcOff {
                        guard rule.source == nil else { return false }
                        rule.source = am
                        rule.invertSource = invert
                    } else {
                        guard rule.destination == nil else { return false }
                        rule.destination = am
                        rule.invertDestination = invert
                    }
                    return true
                }
                // `-f`: fragment offset (nh+6, 2 bytes) & 0x1fff != 0.
                if family == .ip, offset == 6, length == 2, mask == [0x1f, 0xff], data == [0, 0],
                    rule.fragment == nil
                {
                    rule.fragment = invert
                    return true
                }
                return false
            }
            guard base == 2 else { return false }
            if offset == 13, length == 1, let mask, mask.count == 1, data.count == 1, l4 == 6 {
                guard let i = transport(), case .tcp(var t) = rule.matches[i], t.flagMask == 0 else { return false }
                t.flagMask = mask[0]
                t.flagCompare = data[0]
                if invert { t.invertFlags |= 4 }
                rule.matches[i] = .tcp(t)
                return true
            }
            guard mask == nil else { return false }
            let b = XTBytes(data)
            switch (offset, length, data.count) {
            case (0, 2, 2): return setPorts(b.be16(0)...b.be16(0), nil, invert)
            case (2, 2, 2): return setPorts(nil, b.be16(0)...b.be16(0), invert)
            case (0, 4, 4):
                let s = b.be16(0), d = b.be16(2)
                return setPorts(s...s, d...d, invert)
            default: return false
            }
        case .masked, .constant:
            return false
        }
        return true
    }
}
