/// Turns a rule's nf_tables expressions back into nft statements, the way
/// `netlink_delinearize.c` does: registers are tracked in 32-bit slots,
/// loads become typed header fields, `cmp`/`range`/`lookup` become matches,
/// and protocol dependencies implied by later matches are dropped.
struct NFTDecompiler: Sendable {
    let table: Table
    let setIndex: [String: Int]

    init(table: Table) {
        self.table = table
        var idx: [String: Int] = [:]
        idx.reserveCapacity(table.sets.count)
        for (i, s) in table.sets.enumerated() { idx[s.name] = i }
        setIndex = idx
    }

    func set(named name: String) -> NFTSet? { setIndex[name].map { table.sets[$0] } }

    func decompile(_ rule: Rule) -> NFTRuleAST {
        var state = RuleState(family: table.family)
        var i = 0
        let exprs = rule.expressions
        while i < exprs.count {
            i = step(exprs, i, &state)
        }
        var out: [NFTStmt] = []
        out.reserveCapacity(state.stmts.count)
        for (k, s) in state.stmts.enumerated() where !state.killed[k] { out.append(s) }
        return NFTRuleAST(statements: out, comment: rule.comment)
    }

    /// Stateful expressions outside a rule (set-level and per-element
    /// `counter`, `limit`, `quota`, `connlimit`) as statements.
    static func statements(_ exprs: [Expression], family: Family) -> [NFTStmt] {
        guard !exprs.isEmpty else { return [] }
        let d = NFTDecompiler(table: Table(family: family, name: "", handle: 0))
        var st = RuleState(family: family)
        for e in exprs { _ = d.step([e], 0, &st) }
        return st.stmts
    }

    // MARK: - Register contents

    enum Source: Equatable {
        case payload(base: UInt32, offset: UInt32, length: UInt32)
        case meta(UInt32)
        case ct(UInt32, dir: UInt8?)
        case exthdr(Expression.Exthdr)
        case fib(Expression.Fib)
        case socket(UInt32)
        case numgen(mode: String, modulus: UInt32, offset: UInt32)
        case immediate([UInt8])
        /// Data loaded from a map lookup; `part` is the index of the 32-bit word.
        case mapResult(key: NFTExpr, set: String, id: Int, part: Int, dataType: NFTDatatype)
        case expr(NFTExpr, NFTDatatype)
    }

    struct Reg: Equatable {
        var source: Source
        var byteLength: Int
        var mask: [UInt8]?
        var xor: [UInt8]?
        /// Converted to network order by a `byteorder` expression.
        var swapped = false
    }

    struct RuleState {
        var family: Family
        var regs = [Reg?](repeating: nil, count: 24)
        var stmts: [NFTStmt] = []
        var killed: [Bool] = []
        /// Statement index that established the protocol of each base (LL, NH, TH).
        var deps: [Int?] = [nil, nil, nil, nil]
        var l3: Family?
        var l4: UInt8?
        var mapIDs = 0
        var ctL3Dep: Int?
        /// After `ether type 8021q`: link-layer loads from bit 112 on are the
        /// VLAN header's (`vlan id`), and that match is their dependency.
        var vlan = false
        var vlanDep: Int?
        /// A link-layer field resolved as Ethernet: later link-layer loads are too.
        var ether = false
        init(family: Family) {
            self.family = family
            l3 = family == .ip || family == .ip6 ? family : nil
        }
        mutating func append(_ s: NFTStmt) {
            stmts.append(s)
            killed.append(false)
            // nft resets its dependency context at every statement that is not a
            // match (`rule_maybe_reset_payload_deps`): a `meta l4proto tcp` before
            // an xt match, counter or log stays even when `tcp dport` follows.
            if case .match = s {} else {
                deps = [nil, nil, nil, nil]
                vlanDep = nil
            }
        }
        func reg(_ r: Register) -> Reg? {
            let s = r.slot
            return s < regs.count ? regs[s] : nil
        }
        mutating func setReg(_ r: Register, _ v: Reg) {
            let s = r.slot
            guard s < regs.count else { return }
            regs[s] = v
        }
    }

    // MARK: - Steps

    private func step(_ exprs: [Expression], _ i: Int, _ st: inout RuleState) -> Int {
        switch exprs[i] {
        case .payload(let p):
            if let d = p.dreg {
                st.setReg(d, Reg(source: .payload(base: p.base, offset: p.offset, length: p.length), byteLength: Int(p.length)))
            } else if let s = p.sreg {
                payloadWrite(p, sreg: s, &st)
            }
        case .meta(let m):
            if let d = m.dreg {
                st.setReg(d, Reg(source: .meta(m.key), byteLength: Self.metaLength(m.key)))
            } else if let s = m.sreg {
                let k = NFTProtocols.meta(m.key)
                let v = valueExpr(st.reg(s), type: k.type, bigEndian: k.bigEndian, &st)
                if m.key == 12, !k.qualified {
                    st.append(.metaSet(key: k.name, qualified: false, v))
                } else {
                    st.append(.metaSet(key: k.name, qualified: k.qualified, v))
                }
            }
        case .ct(let c):
            if let d = c.dreg {
                st.setReg(d, Reg(source: .ct(c.key, dir: c.direction), byteLength: Self.ctLength(c.key)))
            } else if let s = c.sreg {
                let k = NFTProtocols.ct(c.key, family: st.l3 ?? .ip)
                let v = valueExpr(st.reg(s), type: k.type, bigEndian: k.bigEndian, &st)
                st.append(.ctSet(key: k.name, direction: c.direction.map(dirName), v))
            }
        case .exthdr(let e):
            // IPv6 extension headers and IPv4 options imply the L3 family
            // (`meta nfproto` in inet tables), SCTP chunks the L4 protocol.
            if e.op == 0 || e.op == 2 { killDependency(base: 1, &st) }
            if e.op == 3 { killDependency(base: 2, &st) }
            if let d = e.dreg {
                st.setReg(d, Reg(source: .exthdr(e), byteLength: Int(e.length)))
            } else if let s = e.sreg {
                let left = exthdrExpr(e)
                st.append(.exthdrSet(left.0, valueExpr(st.reg(s), type: left.1, bigEndian: true, &st)))
            }
        case .fib(let f):
            st.setReg(f.dreg, Reg(source: .fib(f), byteLength: f.result == 2 ? 16 : 4))
        case .socket(let s):
            st.setReg(s.dreg, Reg(source: .socket(s.key), byteLength: 4))
        case .immediate(let imm):
            if let v = imm.verdict {
                st.append(.verdict(v))
            } else if let data = imm.data {
                st.setReg(imm.dreg, Reg(source: .immediate(data), byteLength: data.count))
            }
        case .bitwise(let b):
            guard var r = st.reg(b.sreg) else { break }
            if b.op == 0 {
                if r.mask == nil {
                    r.mask = b.mask
                    r.xor = b.xor
                } else {
                    // Combine successive masks (rare).
                    r.mask = zip(r.mask ?? [], b.mask ?? []).map { $0 & $1 }
                }
                if r.mask.map({ $0.allSatisfy { $0 == 0xff } }) == true, r.xor.map({ $0.allSatisfy { $0 == 0 } }) ?? true {
                    r.mask = nil
                    r.xor = nil
                }
                st.setReg(b.dreg, r)
            } else {
                let shift = NFTFormat.uint(b.data ?? [], bigEndian: false)
                let op: NFTBinOp = b.op == 1 ? .lshift : .rshift
                // A masked header bit field shifted down is the field itself (`ip dscp`).
                if op == .rshift, case .payload(let base, let off, let len) = r.source, let m = r.mask,
                    (r.xor ?? []).allSatisfy({ $0 == 0 })
                {
                    let res = resolvePayload(base: base, offset: Int(off), length: Int(len), mask: m, &st)
                    if res.maskConsumed, UInt64(res.shift) == shift {
                        st.setReg(b.dreg, Reg(source: .expr(res.expr, res.type), byteLength: r.byteLength))
                        break
                    }
                }
                let (_, type, _) = leftExpr(r, &st)
                let left = maskedExpr(r, &st)
                let e = NFTExpr.binop(op, left, .value(NFTValue(type: .integer, bytes: [UInt8(truncatingIfNeeded: shift)], bigEndian: true)))
                st.setReg(b.dreg, Reg(source: .expr(e, type), byteLength: r.byteLength))
            }
        case .cmp(let c):
            return cmp(exprs, i, c, &st)
        case .range(let r):
            guard let reg = st.reg(r.sreg) else { break }
            let (left, type, be) = leftExpr(reg, &st)
            let from = NFTExpr.value(NFTValue(type: type, bytes: r.from, bigEndian: be || reg.swapped))
            let to = NFTExpr.value(NFTValue(type: type, bytes: r.to, bigEndian: be || reg.swapped))
            st.append(.match(left, r.isNegated ? .neq : .implicit, .range(from, to)))
        case .lookup(let l):
            lookup(l, &st)
        case .counter(let c):
            st.append(.counter(packets: c.packets, bytes: c.bytes))
        case .log(let l):
            st.append(
                .log(NFTLog(prefix: l.prefix, group: l.group, snaplen: l.snaplen, queueThreshold: l.queueThreshold,
                            level: l.level, flags: l.flags ?? 0)))
        case .limit(let l):
            st.append(.limit(NFTLimit(rate: l.rate, unit: l.unit, burst: l.burst, bytes: l.type == 1, over: l.isInverted)))
        case .quota(let q):
            st.append(.quota(bytes: q.bytes, used: q.consumed, over: q.flags & 1 != 0))
        case .reject(let r):
            reject(r, &st)
        case .nat(let n):
            nat(n, &st)
        case .masq(let m):
            let port = portRange(m.protoMin, m.protoMax, &st)
            st.append(.nat(NFTNat(kind: .masquerade, family: nil, address: nil, port: port, flags: m.flags ?? 0, mapsBoth: false)))
        case .redir(let m):
            let port = portRange(m.protoMin, m.protoMax, &st)
            st.append(.nat(NFTNat(kind: .redirect, family: nil, address: nil, port: port, flags: m.flags ?? 0, mapsBoth: false)))
        case .queue(let q):
            let e = q.sregQueueNumber.flatMap { st.reg($0) }.map { leftExpr($0, &st).0 }
            st.append(.queue(number: q.number, total: q.total, flags: q.flags, numberExpr: e))
        case .dynset(let d):
            dynset(d, &st)
        case .objref(let o):
            if let name = o.name {
                st.append(.objref(type: o.type ?? 0, .string(name)))
            } else if let s = o.sreg, let reg = st.reg(s), let set = o.set {
                let key = keyExpr(reg, s, length: self.set(named: set)?.keyLength.map(Int.init), &st)
                let type = self.set(named: set)?.objectType ?? 0
                st.append(.objref(type: type, .map(key, setExpr(set, keyHint: key))))
            }
        case .match(let x):
            st.append(.xt(kind: "match", name: x.name))
        case .target(let x):
            st.append(.xt(kind: "target", name: x.name))
        case .byteorder(let e): step(e, &st)
        case .notrack: stepNotrack(&st)
        case .connlimit(let e): step(e, &st)
        case .numgen(let e): step(e, &st)
        case .hash(let e): step(e, &st)
        case .osf(let e): step(e, &st)
        case .rt(let e): step(e, &st)
        case .xfrm(let e): step(e, &st)
        case .synproxy(let e): step(e, &st)
        case .dup(let e): step(e, &st)
        case .fwd(let e): step(e, &st)
        case .tproxy(let e): step(e, &st)
        case .flowOffload(let e): step(e, &st)
        case .opaque(let name, _):
            st.append(.unknown(name))
        }
        return i + 1
    }

    private func dirName(_ d: UInt8) -> String { d == 0 ? "original" : "reply" }

    static func metaLength(_ key: UInt32) -> Int {
        switch key {
        case 6, 7, 17, 18, 26, 27, 34: 16
        case 15, 16, 19, 31: 1
        case 8, 9: 2
        case 30: 8
        default: 4
        }
    }

    static func ctLength(_ key: UInt32) -> Int {
        switch key {
        case 6, 13, 21, 22: 16
        case 14, 15, 16: 8
        case 1, 7, 10: 1
        case 11, 12, 17: 2
        default: 4
        }
    }

    // MARK: - Left-hand expressions

    /// The expression a register holds, with its datatype and byte order.
    /// Payload loads are resolved against the protocol context; dependencies
    /// the field implies are dropped.
    func leftExpr(_ r: Reg, _ st: inout RuleState) -> (NFTExpr, NFTDatatype, Bool) {
        switch r.source {
        case .payload(let base, let offset, let length):
            let res = resolvePayload(base: base, offset: Int(offset), length: Int(length), mask: nil, &st)
            return (res.expr, res.type, true)
        case .meta(let key):
            let k = NFTProtocols.meta(key)
            return (.meta(key: k.name, type: k.type, qualified: k.qualified), k.type, k.bigEndian)
        case .ct(let key, let dir):
            let k = NFTProtocols.ct(key, family: st.l3 ?? (st.family == .ip6 ? .ip6 : .ip))
            return (.ct(key: k.name, direction: dir.map(dirName), type: k.type), k.type, k.bigEndian)
        case .exthdr(let e):
            let (x, t) = exthdrExpr(e)
            return (x, t, true)
        case .fib(let f):
            var flags: [String] = []
            for (bit, n) in [(UInt32(1), "saddr"), (2, "daddr"), (4, "mark"), (8, "iif"), (16, "oif")] where f.flags & bit != 0 {
                flags.append(n)
            }
            let (result, type): (String, NFTDatatype) =
                switch f.result {
                case 1: ("oif", .ifindex)
                case 2: ("oifname", .ifname)
                default: ("type", .fibAddr)
                }
            if f.flags & 32 != 0 {
                return (.fib(flags: flags, result: result, type: .boolean), .boolean, false)
            }
            return (.fib(flags: flags, result: result, type: type), type, false)
        case .socket(let key):
            let (name, type): (String, NFTDatatype) =
                switch key {
                case 0: ("transparent", .integer)
                case 1: ("mark", .mark)
                case 2: ("wildcard", .integer)
                default: ("cgroupv2", .integer)
                }
            return (.socket(key: name, type: type), type, false)
        case .numgen(let mode, let mod, let off):
            return (.numgen(mode: mode, modulus: mod, offset: off), .integer, false)
        case .immediate(let b):
            return (.value(NFTValue(type: .integer, bytes: b, bigEndian: false)), .integer, false)
        case .mapResult(let key, let set, _, _, let dt):
            return (.map(key, setExpr(set, keyHint: key)), dt, dt.isBigEndian)
        case .expr(let e, let t):
            return (e, t, t.isBigEndian)
        }
    }

    struct PayloadResolution {
        var expr: NFTExpr
        var type: NFTDatatype
        var field: NFTProtoField?
        /// Bits the field is shifted left within the loaded bytes (masked loads).
        var shift: Int
        /// The load covers only the first `prefixBits` of the field.
        var prefixBits: Int?
        /// The mask selected exactly the field.
        var maskConsumed: Bool
    }

    private func desc(base: UInt32, _ st: RuleState) -> NFTProtoDesc? {
        switch base {
        case 0:
            // Link-layer fields need a link-layer context: bridge/netdev, or `meta iiftype ether`.
            return st.family == .bridge || st.family == .netdev || st.deps[0] != nil || st.ether ? NFTProtocols.ether : nil
        case 1:
            if st.family == .arp { return NFTProtocols.arp }
            switch st.l3 {
            case .ip: return NFTProtocols.ip
            case .ip6: return NFTProtocols.ip6
            case .arp: return NFTProtocols.arp
            default: return nil
            }
        case 2: return NFTProtocols.transport(st.l4)
        default: return nil
        }
    }

    func resolvePayload(base: UInt32, offset: Int, length: Int, mask: [UInt8]?, _ st: inout RuleState) -> PayloadResolution {
        if base == 0, st.vlan, offset >= 14 {
            // The VLAN header follows the Ethernet header (`proto_vlan` stacked on `proto_eth`).
            let bitOff = (offset - 14) * 8
            let bitLen = length * 8
            let d = NFTProtocols.vlan
            var found: PayloadResolution?
            if let f = d.field(offset: bitOff, length: bitLen) {
                found = PayloadResolution(expr: field(d, f), type: f.type, field: f, shift: 0, prefixBits: nil, maskConsumed: false)
            } else if let m = mask, length <= 8, let (lo, hi) = contiguous(m), let f = d.field(offset: bitOff + (bitLen - 1 - hi), length: hi - lo + 1) {
                found = PayloadResolution(expr: field(d, f), type: f.type, field: f, shift: lo, prefixBits: nil, maskConsumed: true)
            }
            if let found {
                // `vlan type` is itself a dependency (of `ip saddr`): nft keeps
                // `ether type 8021q` for it; any other VLAN field drops that match.
                if found.field?.name != "type", let idx = st.vlanDep {
                    st.killed[idx] = true
                    st.vlanDep = nil
                }
                return found
            }
        }
        let bitOff = offset * 8
        let bitLen = length * 8
        if let d = desc(base: base, st) {
            var found: PayloadResolution?
            if let f = d.field(offset: bitOff, length: bitLen) {
                found = PayloadResolution(expr: field(d, f), type: f.type, field: f, shift: 0, prefixBits: nil, maskConsumed: false)
            } else if let m = mask, length <= 8, let (lo, hi) = contiguous(m), let f = d.field(offset: bitOff + (bitLen - 1 - hi), length: hi - lo + 1) {
                found = PayloadResolution(expr: field(d, f), type: f.type, field: f, shift: lo, prefixBits: nil, maskConsumed: true)
            } else if let f = d.field(startingAt: bitOff, longerThan: bitLen), f.length % 8 == 0 {
                found = PayloadResolution(expr: field(d, f), type: f.type, field: f, shift: 0, prefixBits: bitLen, maskConsumed: false)
            }
            if let found {
                killDependency(base: base, &st)
                if base == 0 { st.ether = true }
                return found
            }
        }
        return PayloadResolution(
            expr: .rawPayload(base: base, offsetBits: bitOff, lengthBits: bitLen), type: .xinteger, field: nil, shift: 0,
            prefixBits: nil, maskConsumed: false)
    }

    private func field(_ d: NFTProtoDesc, _ f: NFTProtoField) -> NFTExpr {
        .payload(
            NFTPayloadField(proto: d.name, field: f.name, type: f.type, bigEndian: f.bigEndian, offsetBits: f.offset,
                            lengthBits: f.length, base: d.base))
    }

    /// The lowest and highest set bit of a big-endian mask when its ones are contiguous.
    private func contiguous(_ m: [UInt8]) -> (Int, Int)? {
        let v = NFTFormat.uint(m, bigEndian: true)
        guard v != 0 else { return nil }
        let lo = v.trailingZeroBitCount
        let hi = 63 - v.leadingZeroBitCount
        let width = hi - lo + 1
        let run: UInt64 = width >= 64 ? ~0 : ((1 << UInt64(width)) - 1) << UInt64(lo)
        return run == v ? (lo, hi) : nil
    }

    private func killDependency(base: UInt32, _ st: inout RuleState) {
        guard base < 3, let idx = st.deps[Int(base)] else { return }
        // In inet/bridge/netdev a network-header protocol match (`ip protocol`,
        // `ip6 nexthdr`) also restricts the L3 family: nft keeps it.
        if base == 2, st.family == .inet || st.family == .bridge || st.family == .netdev,
            case .match(.payload(let p), _, _) = st.stmts[idx], p.base == 1
        {
            st.deps[Int(base)] = nil
            return
        }
        st.killed[idx] = true
        st.deps[Int(base)] = nil
    }

    // MARK: - exthdr

    func exthdrExpr(_ e: Expression.Exthdr) -> (NFTExpr, NFTDatatype) {
        let present = e.flags & 1 != 0
        switch e.op {
        case 1:
            let (name, fields) = NFTProtocols.tcpOption(kind: e.type)
            if present { return (.exthdr(desc: "tcp option \(name)", field: nil, type: .boolean, exists: true), .boolean) }
            let f = fields.first { $0.0 == Int(e.offset) * 8 && $0.1 == Int(e.length) * 8 }
            return (.exthdr(desc: "tcp option \(name)", field: f?.2 ?? "@\(e.offset * 8),\(e.length * 8)", type: .integer, exists: false), .integer)
        case 3:
            let (name, fields) = NFTProtocols.sctpChunk(type: e.type)
            if present { return (.exthdr(desc: "sctp chunk \(name)", field: nil, type: .boolean, exists: true), .boolean) }
            let f = fields.first { $0.0 == Int(e.offset) * 8 && $0.1 == Int(e.length) * 8 }
            return (.exthdr(desc: "sctp chunk \(name)", field: f?.2 ?? "@\(e.offset * 8),\(e.length * 8)", type: .integer,
                            exists: false), .integer)
        case 2:
            let name = NFTProtocols.ipOption(type: e.type)
            if present { return (.exthdr(desc: "ip option \(name)", field: nil, type: .boolean, exists: true), .boolean) }
            let f: String =
                switch (e.offset, e.length) {
                case (0, 1): "type"
                case (1, 1): "length"
                case (2, 1): "ptr"
                case (2, 2): "value"
                case (3, 4): "addr"
                default: "@\(e.offset * 8),\(e.length * 8)"
                }
            return (.exthdr(desc: "ip option \(name)", field: f, type: f == "addr" ? .ipv4Addr : .integer, exists: false), .integer)
        default:
            let (name, fields) = NFTProtocols.ipv6Exthdr(type: e.type)
            if present {
                return (.exthdr(desc: name == "hbh" || name == "rt" || name == "frag" || name == "dst" || name == "mh" ? "exthdr \(name)" : "exthdr \(name)", field: nil, type: .boolean, exists: true), .boolean)
            }
            if let f = fields.first(where: { $0.0 == Int(e.offset) * 8 && $0.1 == Int(e.length) * 8 }) {
                return (.exthdr(desc: name, field: f.2, type: f.3, exists: false), f.3)
            }
            if e.type == 43 {
                let srh: [(Int, Int, String)] = [(32, 8, "last-entry"), (40, 8, "flags"), (48, 16, "tag")]
                if let f = srh.first(where: { $0.0 == Int(e.offset) * 8 && $0.1 == Int(e.length) * 8 }) {
                    return (.exthdr(desc: "srh", field: f.2, type: .integer, exists: false), .integer)
                }
            }
            return (.exthdr(desc: name, field: "@\(e.offset * 8),\(e.length * 8)", type: .integer, exists: false), .integer)
        }
    }

    // MARK: - cmp

    private func cmp(_ exprs: [Expression], _ i: Int, _ c: Expression.Cmp, _ st: inout RuleState) -> Int {
        guard let reg = st.reg(c.sreg) else {
            st.append(.unknown("cmp"))
            return i + 1
        }
        // `a >= x` followed by `a <= y` on the same register is a range.
        if c.op == .gte, i + 1 < exprs.count, case .cmp(let n) = exprs[i + 1], n.op == .lte, n.sreg == c.sreg {
            let (left, type, be) = leftExpr(reg, &st)
            let b = be || reg.swapped
            st.append(
                .match(left, .implicit, .range(.value(NFTValue(type: type, bytes: c.data, bigEndian: b)),
                                              .value(NFTValue(type: type, bytes: n.data, bigEndian: b)))))
            return i + 2
        }
        // `==` prints as nothing (`tcp dport 22`), as does an operator nft does not know.
        let op: NFTRelOp = c.op == .eq ? .implicit : NFTRelOp(c.op) ?? .implicit
        match(reg, op: op, data: c.data, &st)
        return i + 1
    }

    private func isFlagType(_ t: NFTDatatype) -> Bool {
        switch t {
        case .ctState, .ctStatus, .tcpFlag, .ctEvent, .ctLabel: true
        default: false
        }
    }

    private func match(_ reg: Reg, op: NFTRelOp, data: [UInt8], _ st: inout RuleState) {
        var left: NFTExpr
        var type: NFTDatatype
        var be: Bool
        var shift = 0
        var mask = reg.mask
        var prefixBits: Int?
        if case .payload(let base, let off, let len) = reg.source, reg.mask == nil, op == .implicit,
            let d = desc(base: base, st), d.field(offset: Int(off) * 8, length: Int(len) * 8) == nil,
            let fields = consecutiveFields(d, offset: Int(off) * 8, length: Int(len) * 8)
        {
            // nft merges adjacent matches into one load; split it again.
            killDependency(base: base, &st)
            var bitPos = 0
            for f in fields {
                let v = sliceBits(data, from: bitPos, count: f.length)
                let idx = st.stmts.count
                let e = field(d, f)
                st.append(.match(e, .implicit, .value(NFTValue(type: f.type, bytes: v, bigEndian: true))))
                protocolContext(e, v, idx, &st)
                bitPos += f.length
            }
            return
        }
        if case .exthdr(let x) = reg.source, let m = mask, x.flags & 1 == 0, let (lo, hi) = contiguous(m) {
            let (name, fields) = NFTProtocols.ipv6Exthdr(type: x.type)
            let bitOff = Int(x.offset) * 8 + (Int(x.length) * 8 - 1 - hi)
            if x.op == 0, let f = fields.first(where: { $0.0 == bitOff && $0.1 == hi - lo + 1 }) {
                let v = NFTFormat.uint(data, bigEndian: true) >> UInt64(lo)
                st.append(.match(.exthdr(desc: name, field: f.2, type: f.3, exists: false), op,
                                 .value(NFTValue(type: f.3, bytes: bytes(v, count: (f.1 + 7) / 8), bigEndian: true))))
                return
            }
        }
        if case .payload(let base, let off, let len) = reg.source {
            let res = resolvePayload(base: base, offset: Int(off), length: Int(len), mask: mask, &st)
            left = res.expr
            icmpv6Mtu(&left, &st)
            type = res.type
            be = true
            if res.maskConsumed {
                shift = res.shift
                mask = nil
            }
            prefixBits = res.prefixBits
        } else {
            (left, type, be) = leftExpr(reg, &st)
        }
        be = be || reg.swapped
        var value = data
        if shift > 0 || (mask == nil && reg.mask != nil) {
            // Masked bit field: take the field's bits out of the loaded bytes.
            let n = NFTFormat.uint(data, bigEndian: true) >> UInt64(shift)
            let bits = (leftFieldBits(left) ?? 8)
            value = bytes(n, count: (bits + 7) / 8)
        }
        var right: NFTExpr = .value(NFTValue(type: type, bytes: value, bigEndian: be))
        var finalOp = op
        if let m = mask {
            if isFlagType(type) {
                if op == .neq, data.allSatisfy({ $0 == 0 }) {
                    right = .value(NFTValue(type: type, bytes: m, bigEndian: be))
                    finalOp = .implicit
                } else if op == .implicit || op == .neq {
                    // `tcp flags syn / syn,rst`, `tcp flags != syn / syn,rst`.
                    right = .flagsMask(.value(NFTValue(type: type, bytes: data, bigEndian: be)), .value(NFTValue(type: type, bytes: m, bigEndian: be)))
                } else {
                    left = .binop(.and, left, .value(NFTValue(type: type, bytes: m, bigEndian: be)))
                }
            } else if be, let bits = prefixLength(m) {
                right = .prefix(.value(NFTValue(type: type, bytes: padded(data, to: fieldBytes(left, m.count)), bigEndian: be)), length: bits)
            } else {
                left = .binop(.and, left, .value(NFTValue(type: type, bytes: m, bigEndian: be)))
                if op == .implicit { finalOp = .eq }
            }
        } else if let pb = prefixBits {
            right = .prefix(.value(NFTValue(type: type, bytes: padded(data, to: fieldBytes(left, data.count)), bigEndian: be)), length: pb)
        } else if type == .ifname || type == .string, data.count < reg.byteLength, data.last != 0 {
            // Interface wildcard: `"eth*"`.
            right = .prefix(.value(NFTValue(type: type, bytes: data, bigEndian: be)), length: data.count * 8)
        } else if op == .implicit, isFlagType(type) {
            finalOp = .eq
        }
        let idx = st.stmts.count
        st.append(.match(left, finalOp, right))
        if finalOp == .implicit || finalOp == .eq, mask == nil, prefixBits == nil {
            protocolContext(left, value, idx, &st)
        }
    }

    /// `icmpv6 mtu` shares its bytes with `parameter-problem`; nft tells them
    /// apart by the `icmpv6 type packet-too-big` dependency, which it drops.
    private func icmpv6Mtu(_ left: inout NFTExpr, _ st: inout RuleState) {
        guard case .payload(var f) = left, f.proto == "icmpv6", f.offsetBits == 32, f.lengthBits == 32,
            let i = st.stmts.indices.last(where: { !st.killed[$0] }),
            case .match(.payload(let t), .implicit, .value(let v)) = st.stmts[i], t.proto == "icmpv6",
            t.field == "type", v.bytes == [2]
        else { return }
        st.killed[i] = true
        f.field = "mtu"
        left = .payload(f)
    }

    /// Whole fields that exactly tile `[offset, offset+length)`.
    private func consecutiveFields(_ d: NFTProtoDesc, offset: Int, length: Int) -> [NFTProtoField]? {
        var out: [NFTProtoField] = []
        var pos = offset
        while pos < offset + length {
            guard let f = d.fields.first(where: { $0.offset == pos && $0.length % 8 == 0 && pos + $0.length <= offset + length })
            else { return nil }
            out.append(f)
            pos += f.length
        }
        return out.count > 1 ? out : nil
    }

    private func sliceBits(_ data: [UInt8], from: Int, count: Int) -> [UInt8] {
        let start = from / 8
        let n = count / 8
        guard start + n <= data.count else { return [] }
        return Array(data[start..<start + n])
    }

    private func leftFieldBits(_ e: NFTExpr) -> Int? {
        if case .payload(let f) = e { return f.lengthBits }
        return nil
    }

    private func fieldBytes(_ e: NFTExpr, _ fallback: Int) -> Int {
        if case .payload(let f) = e { return f.lengthBits / 8 }
        return fallback
    }

    private func padded(_ b: [UInt8], to n: Int) -> [UInt8] {
        b.count >= n ? b : b + [UInt8](repeating: 0, count: n - b.count)
    }

    private func bytes(_ v: UInt64, count: Int) -> [UInt8] {
        (0..<max(count, 1)).map { UInt8(truncatingIfNeeded: v >> UInt64(8 * (max(count, 1) - 1 - $0))) }
    }

    /// The number of leading one bits when the mask is a network-order prefix.
    private func prefixLength(_ m: [UInt8]) -> Int? {
        var bits = 0
        var ended = false
        for byte in m {
            if ended {
                if byte != 0 { return nil }
                continue
            }
            if byte == 0xff {
                bits += 8
                continue
            }
            let ones = (~byte).leadingZeroBitCount
            if byte << UInt8(ones) != 0 { return nil }
            bits += ones
            ended = true
        }
        return bits
    }

    /// Record protocol context (`meta l4proto tcp`, `ip protocol tcp`,
    /// `meta nfproto ipv4`, `ether type ip`, `meta iiftype ether`) and the
    /// statement as the dependency a later header match may make redundant.
    private func protocolContext(_ left: NFTExpr, _ value: [UInt8], _ idx: Int, _ st: inout RuleState) {
        switch left {
        case .meta(let key, _, _):
            switch key {
            case "l4proto":
                st.l4 = value.first
                // `icmp`/`icmpv6` imply the L3 family: the nfproto match goes.
                if let d = st.deps[1], case .match(.meta(let k, _, _), _, .value(let v)) = st.stmts[d],
                    k == "nfproto" || k == "protocol"
                {
                    let fam = NFTFormat.uint(v.bytes, bigEndian: true)
                    if (fam == 2 || fam == 0x0800) && value.first == 1 || (fam == 10 || fam == 0x86dd) && value.first == 58 {
                        st.killed[d] = true
                        st.deps[1] = nil
                    }
                }
                st.deps[2] = idx
            case "nfproto":
                st.l3 = value.first == 2 ? .ip : value.first == 10 ? .ip6 : st.l3
                st.deps[1] = idx
            case "protocol":
                let v = NFTFormat.uint(value, bigEndian: true)
                st.l3 = v == 0x0800 ? .ip : v == 0x86dd ? .ip6 : v == 0x0806 ? .arp : st.l3
                st.deps[1] = idx
            case "iiftype":
                st.deps[0] = idx
            default: break
            }
        case .ct(let key, _, _):
            if key == "l3proto" {
                st.ctL3Dep = idx
            } else if key == "protocol", let d = st.ctL3Dep {
                st.killed[d] = true
                st.ctL3Dep = nil
            }
        case .payload(let f):
            if f.proto == "ip" && f.field == "protocol" || f.proto == "ip6" && f.field == "nexthdr" {
                st.l4 = value.first
                st.deps[2] = idx
            } else if f.proto == "ether" && f.field == "type" || f.proto == "vlan" && f.field == "type" {
                let v = NFTFormat.uint(value, bigEndian: true)
                if f.proto == "ether", v == 0x8100 || v == 0x88a8 {
                    st.vlan = true
                    st.vlanDep = idx
                    return
                }
                st.l3 = v == 0x0800 ? .ip : v == 0x86dd ? .ip6 : v == 0x0806 ? .arp : st.l3
                st.deps[1] = idx
            }
        default: break
        }
    }

    // MARK: - Values for set statements

    /// A register used as a value source (`meta mark set …`, NAT addresses).
    func valueExpr(_ reg: Reg?, type: NFTDatatype, bigEndian: Bool, _ st: inout RuleState) -> NFTExpr {
        guard let reg else { return .string("?") }
        if case .immediate(let b) = reg.source {
            return .value(NFTValue(type: type, bytes: b, bigEndian: bigEndian))
        }
        return maskedExpr(reg, &st)
    }

    /// The expression a register holds with its mask and xor applied, as
    /// `netlink_parse_bitwise_bool` writes them: `(a & m) ^ x` becomes
    /// `a & (m | o) ^ (x & m) | o` with `o = x & ~m`, each part left out when
    /// it does nothing.
    func maskedExpr(_ reg: Reg, _ st: inout RuleState) -> NFTExpr {
        let (left, ltype, lbe) = leftExpr(reg, &st)
        guard let m = reg.mask else { return left }
        let x = reg.xor ?? [UInt8](repeating: 0, count: m.count)
        let n = min(m.count, x.count)
        let o = (0..<n).map { x[$0] & ~m[$0] }
        let xm = (0..<n).map { x[$0] & m[$0] }
        let mo = (0..<n).map { m[$0] | o[$0] }
        func constant(_ b: [UInt8]) -> NFTExpr {
            NFTSetElements.value(b, NFTSetElements.KeyPart(type: ltype, bytes: b.count, bigEndian: lbe), forceBigEndian: false)
        }
        var e = left
        if !mo.allSatisfy({ $0 == 0xff }) { e = .binop(.and, e, constant(mo)) }
        if !xm.allSatisfy({ $0 == 0 }) { e = .binop(.xor, e, constant(xm)) }
        if !o.allSatisfy({ $0 == 0 }) { e = .binop(.or, e, constant(o)) }
        return e
    }

    private func payloadWrite(_ p: Expression.Payload, sreg: Register, _ st: inout RuleState) {
        guard let reg = st.reg(sreg) else { return }
        // Bit fields are written as load, mask out the field, or in the value.
        if case .payload(let b, let o, let l) = reg.source, b == p.base, o == p.offset, l == p.length, let m = reg.mask {
            let inverted = m.map { ~$0 }
            let res = resolvePayload(base: p.base, offset: Int(p.offset), length: Int(p.length), mask: inverted, &st)
            let x = NFTFormat.uint(reg.xor ?? [], bigEndian: true) >> UInt64(res.shift)
            let bits = leftFieldBits(res.expr) ?? 8
            st.append(.payloadSet(res.expr, .value(NFTValue(type: res.type, bytes: bytes(x, count: (bits + 7) / 8), bigEndian: true))))
            return
        }
        let res = resolvePayload(base: p.base, offset: Int(p.offset), length: Int(p.length), mask: nil, &st)
        st.append(.payloadSet(res.expr, valueExpr(reg, type: res.type, bigEndian: true, &st)))
    }

    // MARK: - Sets, maps, concatenations

    /// The key a lookup reads from `sreg`: one expression or a concatenation
    /// of consecutive registers up to `length` bytes.
    func keyExpr(_ first: Reg, _ sreg: Register, length: Int?, set: NFTSet? = nil, _ st: inout RuleState) -> NFTExpr {
        let total = length ?? first.byteLength
        let firstPad = (first.byteLength + 3) / 4 * 4
        if total <= firstPad {
            return keyPart(first, &st)
        }
        var parts: [NFTExpr] = []
        var slot = sreg.slot
        var consumed = 0
        // A constant in a concatenation (`ip saddr . 22`) takes the type and byte
        // order of its component of the set's key.
        let keyParts: [NFTSetElements.KeyPart] = set.map { s in
            NFTSetElements.typeof(of: s).key.map(NFTSetElements.parts)
                ?? NFTSetElements.parts(NFTDatatype(id: s.keyType ?? 0))
        } ?? []
        while consumed < total, slot < st.regs.count, let r = st.regs[slot] {
            if case .immediate = r.source, parts.count < keyParts.count {
                let part = keyParts[parts.count]
                parts.append(valueExpr(r, type: part.type, bigEndian: part.bigEndian, &st))
            } else {
                parts.append(keyPart(r, &st))
            }
            let pad = (r.byteLength + 3) / 4 * 4
            consumed += pad
            slot += max(pad / 4, 1)
        }
        return parts.count == 1 ? parts[0] : .concat(parts)
    }

    private func shiftElement(_ e: NFTExpr, by shift: Int, type: NFTDatatype) -> NFTExpr {
        switch e {
        case .value(let v):
            let n = NFTFormat.uint(v.bytes, bigEndian: v.bigEndian) >> UInt64(shift)
            return .value(NFTValue(type: type, bytes: NFTSetElements.bitBytes(n, count: v.bytes.count, bigEndian: true), bigEndian: true))
        case .mapping(let k, let d): return .mapping(shiftElement(k, by: shift, type: type), d)
        case .element(let k, let t, let x, let c): return .element(shiftElement(k, by: shift, type: type), timeout: t, expires: x, comment: c)
        case .elementStatements(let k, let st): return .elementStatements(shiftElement(k, by: shift, type: type), st)
        case .range(let a, let b): return .range(shiftElement(a, by: shift, type: type), shiftElement(b, by: shift, type: type))
        default: return e
        }
    }

    /// One register of a lookup key: a masked header bit field is the field
    /// (`vlan id`), any other mask stays an operation (`tcp flags & (ack | urg)`).
    func keyPart(_ r: Reg, _ st: inout RuleState) -> NFTExpr {
        guard let m = r.mask else { return leftExpr(r, &st).0 }
        if case .payload(let base, let off, let len) = r.source, (r.xor ?? []).allSatisfy({ $0 == 0 }) {
            let res = resolvePayload(base: base, offset: Int(off), length: Int(len), mask: m, &st)
            if res.maskConsumed, res.shift == 0 { return res.expr }
        }
        return maskedExpr(r, &st)
    }

    func setExpr(_ name: String, keyHint: NFTExpr?) -> NFTExpr {
        if let s = set(named: name), s.isAnonymous {
            return .set(NFTSetElements.elements(of: s, decompiler: self, keyHint: keyHint))
        }
        return .setRef(name)
    }

    private func lookup(_ l: Expression.Lookup, _ st: inout RuleState) {
        guard let reg = st.reg(l.sreg) else { return }
        let s = set(named: l.set)
        var key = keyExpr(reg, l.sreg, length: s?.keyLength.map(Int.init), &st)
        var right = setExpr(l.set, keyHint: key)
        // A masked bit field looked up in an anonymous set (`ip version vmap { 4 : … }`):
        // the elements hold the field's bits in place; nft shifts them down.
        if let s, s.isAnonymous, case .set(let elems) = right, case .payload(let base, let off, let len) = reg.source,
            let m = reg.mask, (reg.xor ?? []).allSatisfy({ $0 == 0 }), (s.keyLength.map(Int.init) ?? 0) <= 4
        {
            let res = resolvePayload(base: base, offset: Int(off), length: Int(len), mask: m, &st)
            if res.maskConsumed, res.shift > 0, let f = res.field {
                key = res.expr
                right = .set(elems.map { shiftElement($0, by: res.shift, type: f.type) })
            }
        }
        if let d = l.dreg {
            if d.isVerdict {
                st.append(.vmap(key, right))
            } else {
                st.mapIDs += 1
                let dt = s?.dataType.map(NFTDatatype.init(id:)) ?? .integer
                let len = Int(s?.dataLength ?? 4)
                var slot = d.slot
                var part = 0
                repeat {
                    if slot < st.regs.count {
                        st.regs[slot] = Reg(source: .mapResult(key: key, set: l.set, id: st.mapIDs, part: part, dataType: dt), byteLength: len)
                    }
                    slot += 1
                    part += 1
                } while part * 4 < len
            }
        } else {
            var op: NFTRelOp = l.isInverted ? .neq : .implicit
            // `must_print_eq_op`: a binary operation on the left prints `==`.
            if op == .implicit, case .binop = key { op = .eq }
            st.append(.match(key, op, right))
        }
    }

    private func dynset(_ d: Expression.Dynset, _ st: inout RuleState) {
        guard let reg = st.reg(d.sregKey) else { return }
        let s = set(named: d.set)
        var key = keyExpr(reg, d.sregKey, length: s?.keyLength.map(Int.init), set: s, &st)
        if case .immediate(let b) = reg.source, Int(s?.keyLength ?? 0) <= (reg.byteLength + 3) / 4 * 4 {
            // nft 1.0.6 gives a constant key of a set statement no datatype and
            // prints it as `datatype_print`'s fallback: `0xa020304 [invalid type]`.
            let digits = b.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined().drop { $0 == "0" }
            key = .string("0x" + (digits.isEmpty ? "0" : String(digits)) + " [invalid type]")
        }
        var data: NFTExpr?
        if let dr = d.sregData, let r = st.reg(dr) {
            let dt = s?.dataType.map(NFTDatatype.init(id:)) ?? .integer
            if let dl = s?.dataLength, dl > 4, case .immediate = r.source {
                data = valueExpr(r, type: dt, bigEndian: dt.isBigEndian, &st)
            } else if let dl = s?.dataLength, dl > 4 {
                // Concatenated data (`: ip daddr . tcp dport`) spans several registers.
                data = keyExpr(r, dr, length: Int(dl), &st)
            } else {
                data = valueExpr(r, type: dt, bigEndian: dt.isBigEndian, &st)
            }
        }
        var nested = RuleState(family: st.family)
        for e in d.expressions { _ = step([e], 0, &nested) }
        let op = d.op == 0 ? "add" : d.op == 1 ? "update" : "delete"
        let meter: UInt32? = (s?.isAnonymous ?? false) ? (s?.size ?? 0) : nil
        var timeout = d.timeout
        if timeout == 0 { timeout = nil }
        st.append(
            .dynset(NFTDynset(op: op, set: d.set, key: key, data: data, timeout: timeout, statements: nested.stmts, meter: meter)))
    }

    // MARK: - reject and NAT

    private func reject(_ r: Expression.Reject, _ st: inout RuleState) {
        var family: Family? = table.family == .ip || table.family == .ip6 ? table.family : nil
        var verbose = false
        if r.type == 0, family == nil {
            family = st.l3
            if let idx = st.deps[1] {
                st.killed[idx] = true
                st.deps[1] = nil
            }
        }
        if r.type == 0, st.deps[2] != nil { verbose = true }
        // `stmt_reject_postprocess`: in inet, bridge and netdev tables an ICMP
        // reject always names its code, plain `reject` being ambiguous there.
        if r.type == 0, table.family == .inet || table.family == .bridge || table.family == .netdev { verbose = true }
        st.append(.reject(NFTReject(type: r.type, code: r.code, family: family, verbose: verbose)))
    }

    private func portRange(_ minR: Register?, _ maxR: Register?, _ st: inout RuleState) -> NFTExpr? {
        guard let minR, let lo = st.reg(minR) else { return nil }
        let a = valueExpr(lo, type: .inetService, bigEndian: true, &st)
        if let maxR, maxR != minR, let hi = st.reg(maxR), hi != lo {
            return .range(a, valueExpr(hi, type: .inetService, bigEndian: true, &st))
        }
        return a
    }

    private func nat(_ n: Expression.Nat, _ st: inout RuleState) {
        let fam = n.family ?? (table.family == .ip6 ? .ip6 : .ip)
        let addrType: NFTDatatype = fam == .ip6 ? .ipv6Addr : .ipv4Addr
        var address: NFTExpr?
        var mapsBoth = false
        var intervalMap = false
        if let a = n.addressMin, let lo = st.reg(a) {
            let lv = valueExpr(lo, type: addrType, bigEndian: true, &st)
            if let b = n.addressMax, b != a, let hi = st.reg(b), case .mapResult(_, _, let id, _, _) = lo.source,
                case .mapResult(_, _, let hid, _, _) = hi.source, id == hid
            {
                // Both ends of the address range come from one map lookup (a map
                // whose data are intervals): nft prints the map once, with the family.
                address = lv
                intervalMap = true
            } else if let b = n.addressMax, b != a, let hi = st.reg(b), hi != lo {
                let hv = valueExpr(hi, type: addrType, bigEndian: true, &st)
                if case .value(let l) = lv, case .value(let h) = hv,
                    let bits = prefixLength(zip(l.bytes, h.bytes).map { ~($0 ^ $1) })
                {
                    address = .prefix(lv, length: bits)
                } else {
                    address = .range(lv, hv)
                }
            } else {
                address = lv
            }
            if case .mapResult(_, _, let id, _, _) = lo.source, let p = n.protoMin, let pr = st.reg(p),
                case .mapResult(_, _, let pid, let part, _) = pr.source, pid == id, part > 0
            {
                mapsBoth = true
            }
        }
        let port = mapsBoth ? nil : portRange(n.protoMin, n.protoMax, &st)
        // nft names the family in inet tables, and wherever the map yields more
        // than one address (an interval, or address and port).
        let family = table.family == .inet || intervalMap || mapsBoth ? (fam == .ip6 ? "ip6" : "ip") : nil
        st.append(
            .nat(NFTNat(kind: n.isSNAT ? .snat : .dnat, family: address == nil ? nil : family, address: address, port: port,
                        flags: n.flags ?? 0, mapsBoth: mapsBoth)))
    }
}
