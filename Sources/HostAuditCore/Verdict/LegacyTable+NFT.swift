/// Legacy x_tables in the nf_tables model.
///
/// A legacy table (read with `IPT_SO_GET_ENTRIES`) becomes a synthetic
/// nf_tables table of the same family and name whose base chains sit on the
/// hooks and at the priorities the kernel registers legacy tables with
/// (`NF_IP_PRI_*`: raw -300, mangle -150, nat -100 on prerouting/output and
/// 100 on input/postrouting, filter 0, security 50). Each rule becomes the
/// expressions that test what `ipt_do_table` tests: addresses under their
/// masks, interface names under their masks (byte-exact, as read), the
/// protocol, fragments, each xt match with its original struct, the
/// counter, and the verdict, jump or xt target. So the verdict evaluator and
/// the facts run legacy rules with the same code as nf_tables rules.
///
/// Rule handles are 1-based positions in the chain, as
/// `iptables -L --line-numbers` numbers them.
extension IptablesTable {
    /// `NF_IP_PRI_*` of each legacy table per hook.
    public static let legacyPriorities: [String: [Hook: Int32]] = [
        "raw": [.prerouting: -300, .output: -300],
        "mangle": [.prerouting: -150, .input: -150, .forward: -150, .output: -150, .postrouting: -150],
        "nat": [.prerouting: -100, .input: 100, .output: -100, .postrouting: 100],
        "filter": [.input: 0, .forward: 0, .output: 0],
        "security": [.input: 50, .forward: 50, .output: 50],
    ]

    static let chainHooks: [String: Hook] = [
        "PREROUTING": .prerouting, "INPUT": .input, "FORWARD": .forward, "OUTPUT": .output,
        "POSTROUTING": .postrouting,
    ]

    /// The table as nf_tables would hold it (see the type's comment).
    public func nftEquivalent(handle: UInt64) -> Table {
        var out: [Chain] = []
        for (ci, c) in chains.enumerated() {
            var base: BaseChain?
            if c.isBuiltin, let hook = Self.chainHooks[c.name], let prio = Self.legacyPriorities[name]?[hook] {
                let policy: ChainPolicy = c.policy == "DROP" ? .drop : c.policy == "ACCEPT" ? .accept : .other(3)
                base = BaseChain(hook: hook, priority: prio, policy: policy, type: name == "nat" ? "nat" : "filter")
            }
            var rules: [Rule] = []
            for (ri, r) in c.rules.enumerated() {
                rules.append(
                    Rule(
                        family: family, table: name, chain: c.name, handle: UInt64(ri + 1),
                        position: ri == 0 ? nil : UInt64(ri), expressions: r.nftExpressions(family: family)))
            }
            out.append(
                Chain(
                    family: family, table: name, name: c.name, handle: UInt64(ci + 1), base: base, rules: rules,
                    counters: c.isBuiltin ? Expression.Counter(packets: c.packets, bytes: c.bytes) : nil))
        }
        return Table(family: family, name: name, handle: handle, chains: out)
    }

    /// The rule's `iptables-legacy-save` line, by 1-based handle.
    public func ruleText(chain: String, handle: UInt64) -> String? {
        guard let c = chains.first(where: { $0.name == chain }), handle >= 1, Int(handle) <= c.rules.count else {
            return nil
        }
        return IptablesSaveFormat.rule(c.rules[Int(handle) - 1], chain: chain, family: family, strict: false)
    }
}

extension IptablesRule {
    /// `ipt_do_table`'s tests as nf_tables expressions (register 1 holds each value).
    public func nftExpressions(family: Family) -> [Expression] {
        let r1 = Register(1)
        let v6 = family == .ip6
        var out: [Expression] = []
        func masked(_ load: Expression, _ value: [UInt8], _ mask: [UInt8], invert: Bool) {
            let n = min(value.count, mask.count)
            out.append(load)
            out.append(
                .bitwise(
                    Expression.Bitwise(
                        sreg: r1, dreg: r1, length: UInt32(n), mask: Array(mask.prefix(n)),
                        xor: [UInt8](repeating: 0, count: n))))
            let want = (0..<n).map { value[$0] & mask[$0] }
            out.append(.cmp(Expression.Cmp(sreg: r1, op: invert ? .neq : .eq, data: want)))
        }
        let addrLen = v6 ? 16 : 4
        if let s = source ?? (invertSource ? XTMatch.AddressMask(address: [UInt8](repeating: 0, count: addrLen), mask: [UInt8](repeating: 0, count: addrLen)) : nil) {
            masked(
                .payload(Expression.Payload(base: 1, offset: v6 ? 8 : 12, length: UInt32(addrLen), dreg: r1)),
                s.address, s.mask, invert: invertSource)
        }
        if let d = destination ?? (invertDestination ? XTMatch.AddressMask(address: [UInt8](repeating: 0, count: addrLen), mask: [UInt8](repeating: 0, count: addrLen)) : nil) {
            masked(
                .payload(Expression.Payload(base: 1, offset: v6 ? 24 : 16, length: UInt32(addrLen), dreg: r1)),
                d.address, d.mask, invert: invertDestination)
        }
        // Interfaces: compared under the mask as read (legacy rules), else from the printed name.
        func iface(_ key: UInt32, _ name: String?, _ rawName: [UInt8], _ rawMask: [UInt8], invert: Bool) {
            var n = rawName, m = rawMask
            if n.count != 16 || m.count != 16 {
                guard let name else { return }
                let bytes = Array(name.utf8)
                let prefix = bytes.last == UInt8(ascii: "+") ? Array(bytes.dropLast()) : bytes + [0]
                n = Array((prefix + [UInt8](repeating: 0, count: 16)).prefix(16))
                m = [UInt8](repeating: 0xff, count: min(16, prefix.count)) + [UInt8](repeating: 0, count: 16 - min(16, prefix.count))
            }
            guard m.contains(where: { $0 != 0 }) || invert else { return }
            masked(.meta(Expression.Meta(key: key, dreg: r1)), n, m, invert: invert)
        }
        iface(6, inInterface, raw.inName, raw.inMask, invert: invertIn)
        iface(7, outInterface, raw.outName, raw.outMask, invert: invertOut)
        if let p = proto, p != 0 {
            out.append(.meta(Expression.Meta(key: 16, dreg: r1)))
            out.append(.cmp(Expression.Cmp(sreg: r1, op: invertProto ? .neq : .eq, data: [UInt8(truncatingIfNeeded: p)])))
        }
        if fragment == true {
            // `-f` matches second and later fragments only; the first packet of a
            // flow and its answers are never such: a comparison that cannot hold.
            out.append(.meta(Expression.Meta(key: 15, dreg: r1)))
            out.append(.cmp(Expression.Cmp(sreg: r1, op: .eq, data: [0xff])))
        }
        if raw.matches.count == matches.count {
            for m in raw.matches { out.append(.match(m)) }
        } else {
            for m in matches {
                if case .comment = m { continue }
                out.append(.opaque(name: "xt match \(m.name)", attributes: []))
            }
        }
        out.append(.counter(Expression.Counter(packets: packets, bytes: bytes)))
        func verdict(_ v: Verdict) { out.append(.immediate(Expression.Immediate(dreg: .verdict, verdict: v))) }
        switch target {
        case .none: break
        case .accept: verdict(.accept)
        case .drop: verdict(.drop)
        case .return: verdict(.return)
        case .queue: verdict(.queue)
        case .jump(let c): verdict(.jump(c))
        case .goto(let c): verdict(.goto(c))
        case .extension(let t):
            if let rt = raw.target {
                out.append(.target(rt))
            } else {
                out.append(.opaque(name: "xt target \(t.name)", attributes: []))
            }
        }
        return out
    }
}
