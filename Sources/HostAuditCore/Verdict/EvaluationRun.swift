/// The nf_tables register file: the verdict (slot 0–3) and 16 32-bit data
/// slots (`NFT_REG_1` = slot 4 = `NFT_REG32_00`), each byte possibly unknown.
struct RegisterFile {
    static let size = 4 * 24
    var bytes = [UInt8](repeating: 0, count: RegisterFile.size)
    var known = [Bool](repeating: true, count: RegisterFile.size)

    /// Stores `value`, zeroing the rest of its last 32-bit word as the kernel does.
    mutating func store(_ reg: Register, _ value: MaybeBytes) {
        let base = reg.slot * 4
        let padded = (value.value.count + 3) / 4 * 4
        guard base + padded <= RegisterFile.size else { return }
        for i in 0..<padded {
            if i < value.value.count {
                bytes[base + i] = value.value[i]
                known[base + i] = value.known[i]
            } else {
                bytes[base + i] = 0
                known[base + i] = true
            }
        }
    }

    func load(_ reg: Register, _ count: Int) -> MaybeBytes {
        let base = reg.slot * 4
        var out = MaybeBytes.unknown(count)
        for i in 0..<count where base + i < RegisterFile.size {
            out.value[i] = bytes[base + i]
            out.known[i] = known[base + i]
        }
        return out
    }

    mutating func taintAll() {
        for i in 16..<RegisterFile.size { known[i] = false }
    }
}

/// One pass over the hooks with a fixed sequence of choices at unknowable points.
final class EvaluationRun {
    let ev: VerdictEvaluator
    let local: LocalKnowledge
    let chooser: Chooser
    var packet: SyntheticPacket
    var regs = RegisterFile()
    var path: [BranchOutcome.Step] = []
    var hook: Hook = .output
    /// Whether the packet has a conntrack entry in the chain being run (nil: unknowable).
    var hasConntrack: Bool? = true
    var isNatChain = false
    /// Where the current rule is, for notes.
    var here: (table: Int, chain: Int, rule: Int) = (0, 0, 0)

    enum Step {
        case next
        case breakRule
        case verdict(Verdict)
        case terminal(VerdictKind, String?)
    }

    enum ChainResult {
        case accept(BranchOutcome.Decider?)
        case final(VerdictKind, BranchOutcome.Decider?, String?)
    }

    init(
        evaluator: VerdictEvaluator, flow: VerdictFlow, reply: ReplyKind? = nil, inbound: InboundInterface? = nil,
        local: LocalKnowledge, forced: [Int]
    ) {
        ev = evaluator
        self.local = local
        chooser = Chooser(forced: forced)
        if let inbound {
            packet = SyntheticPacket(inbound: flow, inputInterface: inbound.name, inputInterfaceIndex: inbound.index)
        } else if let reply {
            packet = SyntheticPacket(replyTo: flow, kind: reply, sourceNATed: evaluator.replyDestinationUnknown(ipv6: flow.isIPv6))
        } else {
            packet = SyntheticPacket(flow: flow)
        }
    }

    func execute() -> BranchOutcome {
        var lastAccept: BranchOutcome.Decider?
        for plan in ev.plan(ipv6: packet.isIPv6, reply: packet.onInputPath) {
            hook = plan.hook
            for entry in plan.entries {
                let result: ChainResult
                switch entry {
                case .chain(let t, let c, let priority):
                    isNatChain = false
                    hasConntrack = conntrack(at: priority)
                    result = runChain(t, c)
                case .natGroup(let chains, let priority):
                    isNatChain = true
                    hasConntrack = conntrack(at: priority)
                    result = runNatGroup(chains)
                case .legacy(let family, let name):
                    let d = BranchOutcome.Decider(table: family == .ip6 ? 1 : 0, chain: 0, rule: nil, legacy: name)
                    let pick = chooser.choose(2, "legacy \(family == .ip6 ? "ip6tables" : "iptables") table \(name) is loaded; its rules cannot be read over netlink")
                    path.append(.init(table: d.table, chain: 0, rule: nil, matched: true, hook: hook, legacy: name))
                    result = pick == 0 ? .accept(d) : .final(.drop, d, nil)
                }
                switch result {
                case .accept(let d):
                    lastAccept = d ?? lastAccept
                    if packet.isInbound && packet.dnatDone {
                        // The destination was rewritten: the connection goes to another address or port.
                        return BranchOutcome(
                            verdict: .unknown, decider: d ?? lastAccept, path: path, reasons: chooser.reasons,
                            unknownReason: "a \(hook.name) NAT rule rewrites the destination; the connection does not reach this socket unchanged")
                    }
                case .final(let v, let d, let reason):
                    return BranchOutcome(verdict: v, decider: d, path: path, reasons: chooser.reasons, unknownReason: reason)
                }
            }
        }
        return BranchOutcome(verdict: .accept, decider: lastAccept, path: path, reasons: chooser.reasons, unknownReason: nil)
    }

    /// Conntrack attaches its entry on the output and prerouting hooks at
    /// priority -200 (`NF_IP_PRI_CONNTRACK`); later hooks find it there.
    func conntrack(at priority: Int32) -> Bool? {
        if hook != .output && hook != .prerouting { return true }
        if priority < -200 { return false }
        if priority == -200 { return nil }
        return true
    }

    func runNatGroup(_ chains: [(table: Int, chain: Int)]) -> ChainResult {
        // NAT chains see only the first packet of a connection, never its answers.
        if packet.untracked || hasConntrack == false || packet.isReply { return .accept(nil) }
        var last: BranchOutcome.Decider?
        for (t, c) in chains {
            let result = runChain(t, c)
            switch result {
            case .accept(let d):
                last = d ?? last
                if hook == .output || hook == .prerouting ? packet.dnatDone : packet.snatDone { return .accept(last) }
            case .final:
                return result
            }
        }
        return .accept(last)
    }

    /// `nft_do_chain`: rules in order, jump/goto/return with a stack, the base chain's policy at the end.
    func runChain(_ t: Int, _ c0: Int) -> ChainResult {
        let tableIndex = ev.tables[t]
        var stack: [(chain: Int, rule: Int)] = []
        var c = c0
        var r = 0
        while true {
            let rules = tableIndex.table.chains[c].rules
            var jumped = false
            ruleLoop: while r < rules.count {
                here = (t, c, r)
                let step = evalRule(rules[r], tableIndex)
                let decider = BranchOutcome.Decider(table: t, chain: c, rule: r)
                switch step {
                case .breakRule:
                    path.append(.init(table: t, chain: c, rule: r, matched: false, hook: hook))
                    r += 1
                case .next:
                    path.append(.init(table: t, chain: c, rule: r, matched: true, hook: hook))
                    r += 1
                case .terminal(let v, let reason):
                    path.append(.init(table: t, chain: c, rule: r, matched: true, hook: hook))
                    return .final(v, decider, reason)
                case .verdict(let v):
                    path.append(.init(table: t, chain: c, rule: r, matched: true, hook: hook))
                    switch v {
                    case .accept: return .accept(decider)
                    case .drop: return .final(.drop, decider, nil)
                    case .continue: r += 1
                    case .break: r += 1
                    case .return: break ruleLoop
                    case .jump(let target), .goto(let target):
                        guard let next = tableIndex.chainIndex[target] else {
                            return .final(.unknown, decider, "jump to chain \(target), which is not in the snapshot")
                        }
                        if case .jump = v {
                            guard stack.count < 16 else {
                                return .final(.unknown, decider, "jump stack deeper than the kernel allows")
                            }
                            stack.append((c, r + 1))
                        }
                        c = next
                        r = 0
                        jumped = true
                        break ruleLoop
                    case .queue:
                        return .final(.unknown, decider, "the packet is queued to user space (\(ruleText(decider))), which decides")
                    case .other(let code):
                        return .final(.unknown, decider, "verdict code \(code) is not modelled")
                    }
                }
            }
            if jumped { continue }
            // End of chain or return: back to the caller, or the base chain's policy.
            if let top = stack.popLast() {
                c = top.chain
                r = top.rule
                continue
            }
            let chain = tableIndex.table.chains[c0]
            path.append(.init(table: t, chain: c0, rule: nil, matched: true, hook: hook))
            let d = BranchOutcome.Decider(table: t, chain: c0, rule: nil)
            switch chain.base?.policy ?? .accept {
            case .accept: return .accept(d)
            case .drop: return .final(.drop, d, nil)
            case .other(let v): return .final(.unknown, d, "chain policy \(v) is not modelled")
            }
        }
    }

    func ruleText(_ d: BranchOutcome.Decider) -> String {
        let l = ev.location(d.table, d.chain, d.rule)
        return "\(l.tableName) \(l.chain)" + (l.handle.map { " handle \($0)" } ?? "")
    }

    var hereText: String {
        let table = ev.tables[here.table].table
        let chain = table.chains[here.chain]
        let legacy = ev.tables[here.table].legacy != nil ? " (legacy)" : ""
        return "\(table.family.name) \(table.name)\(legacy) \(chain.name) handle \(chain.rules[here.rule].handle)"
    }

    /// An unknowable condition: the rule either goes on (1) or stops matching (0).
    func unknowable(_ what: @autoclosure () -> String) -> Step {
        chooser.choose(2, "\(hereText): \(what())") == 1 ? .next : .breakRule
    }

    func evalRule(_ rule: Rule, _ tableIndex: VerdictEvaluator.TableIndex) -> Step {
        for e in rule.expressions {
            let s = eval(e, tableIndex)
            if case .next = s { continue }
            return s
        }
        return .next
    }

    // MARK: expressions

    func eval(_ e: Expression, _ ti: VerdictEvaluator.TableIndex) -> Step {
        switch e {
        case .meta(let m):
            if let dreg = m.dreg {
                guard let v = metaValue(m.key) else { return .breakRule }
                regs.store(dreg, v)
            } else if let sreg = m.sreg {
                setMeta(m.key, regs.load(sreg, 4))
            }
            return .next
        case .payload(let p):
            if let dreg = p.dreg {
                let off = Int(p.offset), len = Int(p.length)
                switch p.base {
                case 1: regs.store(dreg, packet.network.slice(off, len))
                case 2: regs.store(dreg, packet.transport.slice(off, len))
                case 0 where packet.onInputPath: regs.store(dreg, .unknown(len))  // the link-layer header of the received frame
                case 0, 3: return .breakRule  // no link-layer header on the output path; no inner header
                default: regs.store(dreg, .unknown(len))
                }
            } else if let sreg = p.sreg {
                let v = regs.load(sreg, Int(p.length))
                switch p.base {
                case 1: packet.network.replace(at: Int(p.offset), with: v)
                case 2: packet.transport.replace(at: Int(p.offset), with: v)
                default: break
                }
            }
            return .next
        case .cmp(let c):
            let v = regs.load(c.sreg, c.data.count)
            guard v.isKnown else { return unknowable("compares a value that is not known (\(unknownWhat(c.sreg)))") }
            let ok: Bool
            switch c.op {
            case .eq: ok = v.value == c.data
            case .neq: ok = v.value != c.data
            case .lt: ok = v.value.lexicographicallyPrecedes(c.data)
            case .lte: ok = !c.data.lexicographicallyPrecedes(v.value)
            case .gt: ok = c.data.lexicographicallyPrecedes(v.value)
            case .gte: ok = !v.value.lexicographicallyPrecedes(c.data)
            case .other(let op): return unknowable("cmp operator \(op)")
            }
            return ok ? .next : .breakRule
        case .bitwise(let b):
            let len = Int(b.length)
            let src = regs.load(b.sreg, len)
            var out = MaybeBytes.unknown(len)
            if b.op == 0, let mask = b.mask, let xor = b.xor, mask.count >= len, xor.count >= len {
                for i in 0..<len {
                    out.value[i] = (src.value[i] & mask[i]) ^ xor[i]
                    out.known[i] = src.known[i] || mask[i] == 0
                }
            } else if (b.op == 1 || b.op == 2), src.isKnown, let data = b.data, data.count >= 4 {
                let shift = UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24
                out = shifted(src, by: shift, left: b.op == 1)
            }
            regs.store(b.dreg, out)
            return .next
        case .range(let r):
            let v = regs.load(r.sreg, r.from.count)
            guard v.isKnown else { return unknowable("a range over a value that is not known (\(unknownWhat(r.sreg)))") }
            let inside = !v.value.lexicographicallyPrecedes(r.from) && !r.to.lexicographicallyPrecedes(v.value)
            return inside != r.isNegated ? .next : .breakRule
        case .lookup(let l):
            return lookup(l, ti)
        case .immediate(let i):
            if i.dreg.isVerdict { return .verdict(i.verdict ?? .continue) }
            regs.store(i.dreg, MaybeBytes(i.data ?? []))
            return .next
        case .counter, .log:
            return .next
        case .ct(let c):
            if let dreg = c.dreg {
                guard let v = ctValue(c) else { return .breakRule }
                regs.store(dreg, v)
            } else if let sreg = c.sreg, c.key == 3 {
                let v = regs.load(sreg, 4)
                packet.ctMark = v.isKnown ? v.value.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } : packet.ctMark
            }
            return .next
        case .reject:
            return .terminal(.reject, nil)
        case .limit(let l):
            return unknowable("limit rate \(l.rate)/\(l.unit)s depends on traffic so far")
        case .quota:
            return unknowable("a quota depends on traffic so far")
        case .nat(let n):
            return nat(n)
        case .masq:
            guard isNatChain else { return .next }
            packet.setSaddr(.unknown(packet.isIPv6 ? 16 : 4))
            packet.snatDone = true
            return .verdict(.accept)
        case .redir(let r):
            guard isNatChain else { return .next }
            packet.setDaddr(MaybeBytes(packet.isIPv6 ? [UInt8](repeating: 0, count: 15) + [1] : [127, 0, 0, 1]))
            if let pr = r.protoMin { packet.setDport(regs.load(pr, 2)) }
            packet.dnatDone = true
            packet.oifIndex = nil
            packet.oifName = nil
            return .verdict(.accept)
        case .queue:
            return .terminal(.unknown, "\(hereText): the packet is queued to user space, which decides")
        case .dynset(let d):
            if d.expressions.contains(where: { if case .limit = $0 { return true }; if case .quota = $0 { return true }; return false }) {
                return unknowable("a per-element limit or quota in set @\(d.set)")
            }
            return .next
        case .objref(let o):
            if let type = o.type, type == 2 || type == 4 { return unknowable("named \(type == 2 ? "quota" : "limit") \(o.name ?? "")") }
            if o.set != nil { return unknowable("an object map @\(o.set ?? "")") }
            return .next
        case .fib(let f):
            regs.store(f.dreg, fib(f) ?? .unknown(f.result == 2 ? 16 : 4))
            return .next
        case .socket(let s):
            regs.store(s.dreg, .unknown(4))
            return .next
        case .exthdr(let x):
            if let dreg = x.dreg { regs.store(dreg, .unknown(x.flags & 1 != 0 ? 1 : Int(x.length))) }
            return .next
        case .match(let xt):
            let ctx = XTContext(packet: packet, hasConntrack: hasConntrack, local: local)
            switch XTExtensions.match(xt, ctx) {
            case .match: return .next
            case .noMatch: return .breakRule
            case .unknowable(let why): return unknowable(why)
            }
        case .target(let xt):
            return target(xt)
        case .notrack:
            packet.untracked = true
            return .next
        case .byteorder, .connlimit, .numgen, .hash, .osf, .rt, .xfrm, .synproxy, .dup, .fwd, .tproxy, .flowOffload,
            .opaque:
            regs.taintAll()
            return unknowable("expression \(e.name) is not modelled")
        }
    }

    /// nft_fib on the answer's way in (prerouting, input), where the lookup
    /// is known: `fib saddr [. iif] [. mark] oif|oifname [missing]` from the
    /// route back to the peer (`LocalKnowledge.peerRoute`; the answer arrives
    /// on the flow's output interface), and `fib daddr [. iif] type` for an
    /// answer addressed to one of the host's own addresses (local). Anything
    /// else, or a lookup with a mark other than 0, stays unknown (nil).
    func fib(_ f: Expression.Fib) -> MaybeBytes? {
        let saddrF: UInt32 = 1, daddrF: UInt32 = 2, markF: UInt32 = 4, iifF: UInt32 = 8, oifF: UInt32 = 16, presentF: UInt32 = 32
        guard packet.isReply, hook == .prerouting || hook == .input, f.flags & oifF == 0 else { return nil }
        let present = f.flags & presentF != 0
        func store(index: UInt32, name: String) -> MaybeBytes {
            switch f.result {
            case 1: return present ? MaybeBytes([index != 0 ? 1 : 0, 0, 0, 0]) : MaybeBytes(Self.hostBytes(index))
            default:
                if present { return MaybeBytes([index != 0 ? 1 : 0, 0, 0, 0]) }
                let n = Array(name.utf8.prefix(15))
                return MaybeBytes(n + [UInt8](repeating: 0, count: 16 - n.count))
            }
        }
        if f.result == 3 {
            // Address type of the answer's destination: one of this host's addresses is local.
            guard f.flags & daddrF != 0, f.flags & saddrF == 0, local.isComplete else { return nil }
            if f.flags & iifF != 0 && packet.isIPv6 { return nil }  // IPv6 checks the address on that device
            let d = packet.daddr
            guard d.isKnown, local.localAddresses.contains(where: { $0.bytes == d.value }) else { return nil }
            return MaybeBytes(Self.hostBytes(2))  // RTN_LOCAL
        }
        guard f.result == 1 || f.result == 2, f.flags & saddrF != 0, f.flags & daddrF == 0 else { return nil }
        if f.flags & markF != 0 && packet.mark != 0 { return nil }
        let iif = packet.iifIndex, iifName = packet.iifName
        // An answer that came in over loopback is taken as arriving right (nft_fib_is_loopback).
        if hook == .prerouting, f.flags & iifF != 0, let iif, let iifName, iifName == "lo" {
            return store(index: iif, name: iifName)
        }
        let s = packet.saddr
        guard let route = local.peerRoute, s.isKnown, route.peer.bytes == s.value else { return nil }
        guard route.type == "unicast" || route.type == "local" else { return store(index: 0, name: "") }
        if f.flags & iifF != 0 {
            guard let iif else { return nil }
            // The lookup names one next hop; another of a multipath route may use the answer's interface.
            guard route.outputInterfaceIndex == iif else { return nil }
            return store(index: iif, name: iifName ?? route.outputInterface)
        }
        return store(index: route.outputInterfaceIndex, name: route.outputInterface)
    }

    func unknownWhat(_ reg: Register) -> String { "e.g. the source port, uid or mark" }

    func shifted(_ src: MaybeBytes, by shift: UInt32, left: Bool) -> MaybeBytes {
        // Host-order 32-bit words, carrying between words as nft_bitwise does.
        let words = (src.value.count + 3) / 4
        var w = [UInt32](repeating: 0, count: words)
        let padded = src.value + [UInt8](repeating: 0, count: words * 4 - src.value.count)
        for i in 0..<words { w[i] = padded.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self) } }
        guard shift < 32 else { return .unknown(src.value.count) }
        var out = [UInt32](repeating: 0, count: words)
        var carry: UInt32 = 0
        if left {
            for i in stride(from: words - 1, through: 0, by: -1) {
                out[i] = (w[i] << shift) | carry
                carry = shift == 0 ? 0 : w[i] >> (32 - shift)
            }
        } else {
            for i in 0..<words {
                out[i] = carry | (w[i] >> shift)
                carry = shift == 0 ? 0 : w[i] << (32 - shift)
            }
        }
        var bytes: [UInt8] = []
        for v in out { withUnsafeBytes(of: v) { bytes += $0 } }
        return MaybeBytes(Array(bytes.prefix(src.value.count)))
    }

    static func hostBytes(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }
    static func hostBytes16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }

    /// `nft_meta_get_eval` for a locally generated packet on the output path; nil = NFT_BREAK.
    func metaValue(_ key: UInt32) -> MaybeBytes? {
        func u32(_ v: UInt32?) -> MaybeBytes { v.map { MaybeBytes(Self.hostBytes($0)) } ?? .unknown(4) }
        switch key {
        case 1: return MaybeBytes(packet.isIPv6 ? [0x86, 0xdd] : [0x08, 0x00])  // skb->protocol, big endian
        case 3: return u32(packet.mark)
        case 4: return u32(packet.iifIndex)  // none (0) on the output path
        case 5: return u32(packet.oifIndex)
        case 6:
            guard let name = packet.iifName else { return .unknown(16) }
            return MaybeBytes(CompiledSet.pad(Array(name.utf8.prefix(15)), 16))
        case 7:
            guard let name = packet.oifName else { return .unknown(16) }
            return MaybeBytes(CompiledSet.pad(Array(name.utf8.prefix(15)), 16))
        case 10: return u32(packet.uid)
        case 11: return u32(packet.gid)
        case 15: return MaybeBytes([packet.nfproto])
        case 16: return MaybeBytes([packet.l4proto])
        default: return .unknown(16)
        }
    }

    func setMeta(_ key: UInt32, _ v: MaybeBytes) {
        switch key {
        case 3:
            packet.mark = v.isKnown ? v.value.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } : nil
        default:
            break
        }
    }

    /// `nft_ct_get_eval` for the first packet of a new connection; nil = NFT_BREAK.
    func ctValue(_ c: Expression.Ct) -> MaybeBytes? {
        guard let present = hasConntrack else { return .unknown(16) }
        if c.key == 0 {
            if packet.untracked { return MaybeBytes(Self.hostBytes(1 << 6)) }
            return MaybeBytes(Self.hostBytes(present ? packet.ctStateBit : 1 << 0))  // new, established, related / invalid
        }
        guard present, !packet.untracked else { return nil }
        let reply = c.direction == 1
        let natted = packet.snatDone || packet.dnatDone
        let v6 = packet.isIPv6
        let oSrc = packet.originalNetwork.slice(v6 ? 8 : 12, v6 ? 16 : 4)
        let oDst = packet.originalNetwork.slice(v6 ? 24 : 16, v6 ? 16 : 4)
        let oSport = packet.originalTransport.slice(0, 2), oDport = packet.originalTransport.slice(2, 2)
        func tuple(_ orig: MaybeBytes, _ repl: MaybeBytes) -> MaybeBytes {
            if !reply { return orig }
            return natted ? .unknown(orig.value.count) : repl
        }
        switch c.key {
        case 1: return MaybeBytes([packet.isReply ? 1 : 0])  // direction
        case 2: return natted || packet.isReply ? .unknown(4) : MaybeBytes(Self.hostBytes(0))  // status
        case 3: return packet.isReply ? .unknown(4) : MaybeBytes(Self.hostBytes(packet.ctMark))
        case 7: return MaybeBytes([packet.nfproto])
        case 8, 19, 21:
            if (c.key == 19 && v6) || (c.key == 21 && !v6) { return nil }
            return tuple(oSrc, oDst)
        case 9, 20, 22:
            if (c.key == 20 && v6) || (c.key == 22 && !v6) { return nil }
            return tuple(oDst, oSrc)
        case 10: return MaybeBytes([packet.l4proto])
        case 11: return tuple(oSport, oDport)
        case 12: return tuple(oDport, oSport)
        default: return .unknown(16)
        }
    }

    func lookup(_ l: Expression.Lookup, _ ti: VerdictEvaluator.TableIndex) -> Step {
        guard let set = ti.sets[l.set] else {
            regs.taintAll()
            return unknowable("set @\(l.set) is not in the snapshot")
        }
        let key = regs.load(l.sreg, set.keyLength)
        let isMap = l.dreg != nil
        if !key.isKnown {
            if !isMap { return unknowable("a lookup in @\(l.set) of a value that is not known") }
            if let d = l.dreg, d.isVerdict {
                var verdicts: [Verdict] = []
                for e in set.set.elements where !e.isIntervalEnd {
                    if let v = e.verdict, !verdicts.contains(v) { verdicts.append(v) }
                }
                let pick = chooser.choose(verdicts.count + 1, "\(hereText): a verdict map lookup in @\(l.set) of a value that is not known")
                return pick == 0 ? .breakRule : .verdict(verdicts[pick - 1])
            }
            if unknowable("a map lookup in @\(l.set) of a value that is not known").isBreak { return .breakRule }
            if let d = l.dreg { regs.store(d, .unknown(Int(set.set.dataLength ?? 16))) }
            return .next
        }
        let found: Int?
        switch set.lookup(key.value) {
        case .success(let i): found = i
        case .failure: return unknowable("the key layout of @\(l.set) is not understood")
        }
        if !isMap { return (found != nil) != l.isInverted ? .next : .breakRule }
        guard let i = found else { return .breakRule }
        let element = set.set.elements[i]
        if let d = l.dreg {
            if d.isVerdict { return .verdict(element.verdict ?? .continue) }
            regs.store(d, MaybeBytes(element.data ?? []))
        }
        return .next
    }

    func nat(_ n: Expression.Nat) -> Step {
        guard isNatChain else { return .next }
        let len = packet.isIPv6 ? 16 : 4
        let addr = n.addressMin.map { regs.load($0, len) }
        let port = n.protoMin.map { regs.load($0, 2) }
        let sameRange = n.addressMax == nil || n.addressMax == n.addressMin
        if n.isSNAT {
            if let addr { packet.setSaddr(sameRange ? addr : .unknown(len)) }
            if let port { packet.setSport(n.protoMax == nil || n.protoMax == n.protoMin ? port : .unknown(2)) }
            packet.snatDone = true
        } else {
            if let addr { packet.setDaddr(sameRange ? addr : .unknown(len)) }
            if let port { packet.setDport(n.protoMax == nil || n.protoMax == n.protoMin ? port : .unknown(2)) }
            packet.dnatDone = true
            // The kernel routes the packet again: the output interface may change.
            packet.oifIndex = nil
            packet.oifName = nil
        }
        return .verdict(.accept)
    }

    func target(_ xt: Expression.XT) -> Step {
        switch xt.name {
        case "REJECT": return .terminal(.reject, nil)
        case "LOG", "NFLOG", "TRACE", "AUDIT": return .next
        case "MARK" where xt.revision == 2 && xt.info.count >= 8:
            let m = XTExtensions.u32(xt.info, 0), mask = XTExtensions.u32(xt.info, 4)
            packet.mark = packet.mark.map { ($0 & ~mask) ^ m }
            return .next
        case "MASQUERADE" where isNatChain:
            packet.setSaddr(.unknown(packet.isIPv6 ? 16 : 4))
            packet.snatDone = true
            return .verdict(.accept)
        case "SNAT" where isNatChain:
            packet.setSaddr(.unknown(packet.isIPv6 ? 16 : 4))
            packet.snatDone = true
            return .verdict(.accept)
        case "DNAT" where isNatChain, "REDIRECT" where isNatChain:
            packet.setDaddr(.unknown(packet.isIPv6 ? 16 : 4))
            packet.setDport(.unknown(2))
            packet.dnatDone = true
            packet.oifIndex = nil
            packet.oifName = nil
            return .verdict(.accept)
        default:
            return .terminal(.unknown, "\(hereText): xt target \(xt.name) rev \(xt.revision) is not modelled")
        }
    }
}

extension EvaluationRun.Step {
    var isBreak: Bool { if case .breakRule = self { return true }; return false }
}
