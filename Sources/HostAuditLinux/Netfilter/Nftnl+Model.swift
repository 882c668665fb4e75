import CNetfilter
import HostAuditCore

// Conversion of parsed libnftnl objects into the Core model. Every value is
// copied at once; nothing borrowed outlives the libnftnl object.

extension Table {
    init(_ t: NftnlTable) {
        let flags = Table.Flags(rawValue: t[TableAttr.flags] ?? 0)
        self.init(
            family: Family(nfproto: t[TableAttr.family] ?? 0), name: t[TableAttr.name] ?? "",
            handle: t[TableAttr.handle] ?? 0, flags: flags,
            owner: flags.contains(.owner) ? t[TableAttr.owner] : nil, use: t[TableAttr.use])
        comment = t[TableAttr.userdata].flatMap(RuleUserData.comment(in:))
    }
}

extension Chain {
    init(_ c: NftnlChain) {
        let family = Family(nfproto: c[ChainAttr.family] ?? 0)
        var base: BaseChain?
        if let hook = c[ChainAttr.hooknum] {
            var devices = c.devices
            if devices.isEmpty, let dev = c[ChainAttr.device] { devices = [dev] }
            // nft sorts a hook's devices by name (strcmp) when it reads them back.
            devices.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            base = BaseChain(
                hook: Hook(number: hook, family: family), priority: c[ChainAttr.priority] ?? 0,
                policy: c[ChainAttr.policy].map(ChainPolicy.init(raw:)), type: c[ChainAttr.type], devices: devices)
        }
        self.init(
            family: family, table: c[ChainAttr.table] ?? "", name: c[ChainAttr.name] ?? "",
            handle: c[ChainAttr.handle] ?? 0, flags: Chain.Flags(rawValue: c[ChainAttr.flags] ?? 0),
            use: c[ChainAttr.use], base: base,
            counters: c[ChainAttr.packets].map { Expression.Counter(packets: $0, bytes: c[ChainAttr.bytes] ?? 0) })
        comment = c[ChainAttr.userdata].flatMap(RuleUserData.comment(in:))
    }
}

extension Rule {
    init(_ r: NftnlRule) {
        self.init(
            family: Family(nfproto: r[RuleAttr.family] ?? 0), table: r[RuleAttr.table] ?? "",
            chain: r[RuleAttr.chain] ?? "", handle: r[RuleAttr.handle] ?? 0, position: r[RuleAttr.position],
            comment: r[RuleAttr.userdata].flatMap(RuleUserData.comment(in:)),
            expressions: r.expressions.map(Expression.init))
    }
}

extension NFTSet {
    init(_ s: NftnlSet) {
        self.init(
            family: Family(nfproto: s[SetAttr.family] ?? 0), table: s[SetAttr.table] ?? "",
            name: s[SetAttr.name] ?? "", handle: s[SetAttr.handle] ?? 0,
            flags: NFTSet.Flags(rawValue: s[SetAttr.flags] ?? 0), keyType: s[SetAttr.keyType],
            keyLength: s[SetAttr.keyLength], dataType: s[SetAttr.dataType], dataLength: s[SetAttr.dataLength],
            objectType: s[SetAttr.objectType], timeout: s[SetAttr.timeout], gcInterval: s[SetAttr.gcInterval],
            policy: s[SetAttr.policy], size: s[SetAttr.descSize],
            elements: s.elements.map(SetElement.init))
        userdata = s[SetAttr.userdata]
        expressions = s.expressions.map(Expression.init)
    }
}

extension SetElement {
    init(_ e: NftnlSetElement) {
        self.init(
            key: e[SetElemAttr.key] ?? [], keyEnd: e[SetElemAttr.keyEnd], flags: e[SetElemAttr.flags] ?? 0,
            verdict: e[SetElemAttr.verdict].map { Verdict(code: $0, chain: e[SetElemAttr.chain]) },
            data: e[SetElemAttr.data], timeout: e[SetElemAttr.timeout], expiration: e[SetElemAttr.expiration],
            objectReference: e[SetElemAttr.objref])
        userdata = e[SetElemAttr.userdata]
        expressions = e.expressions.map(Expression.init)
    }
}

extension NamedObject {
    init(_ o: NftnlObj) {
        let type = o[ObjAttr.type] ?? 0
        let kind: Kind
        switch type {
        case ObjAttr.Counter.type:
            kind = .counter(packets: o[ObjAttr.Counter.packets] ?? 0, bytes: o[ObjAttr.Counter.bytes] ?? 0)
        case ObjAttr.Quota.type:
            kind = .quota(
                bytes: o[ObjAttr.Quota.bytes] ?? 0, consumed: o[ObjAttr.Quota.consumed] ?? 0,
                flags: o[ObjAttr.Quota.flags] ?? 0)
        case ObjAttr.Limit.type:
            kind = .limit(
                rate: o[ObjAttr.Limit.rate] ?? 0, unit: o[ObjAttr.Limit.unit] ?? 0,
                burst: o[ObjAttr.Limit.burst] ?? 0, type: o[ObjAttr.Limit.limitType] ?? 0,
                flags: o[ObjAttr.Limit.flags] ?? 0)
        case ObjAttr.CtHelper.type:
            kind = .ctHelper(
                name: o[ObjAttr.CtHelper.name] ?? "", l3proto: o[ObjAttr.CtHelper.l3proto] ?? 0,
                l4proto: o[ObjAttr.CtHelper.l4proto] ?? 0)
        default:
            kind = .other(type: type)
        }
        self.init(
            family: Family(nfproto: o[ObjAttr.family] ?? 0), table: o[ObjAttr.table] ?? "",
            name: o[ObjAttr.name] ?? "", handle: o[ObjAttr.handle] ?? 0, use: o[ObjAttr.use], kind: kind,
            comment: o[ObjAttr.userdata].flatMap(NFTUserdata.objectComment))
        switch type {
        case ObjAttr.CtExpect.type:
            ctExpectation = CtExpectation(
                l3proto: o[ObjAttr.CtExpect.l3proto] ?? 0, l4proto: o[ObjAttr.CtExpect.l4proto] ?? 0,
                dport: o[ObjAttr.CtExpect.dport] ?? 0, timeout: o[ObjAttr.CtExpect.timeout] ?? 0,
                size: o[ObjAttr.CtExpect.size] ?? 0)
        case ObjAttr.Synproxy.type:
            synproxy = Synproxy(
                mss: o[ObjAttr.Synproxy.mss] ?? 0, wscale: o[ObjAttr.Synproxy.wscale] ?? 0,
                flags: o[ObjAttr.Synproxy.flags] ?? 0)
        default: break
        }
    }
}

extension Flowtable {
    init(_ f: NftnlFlowtable) {
        self.init(
            family: Family(nfproto: f[FlowtableAttr.family] ?? 0), table: f[FlowtableAttr.table] ?? "",
            name: f[FlowtableAttr.name] ?? "", handle: f[FlowtableAttr.handle] ?? 0,
            // Flowtables hook into the netdev ingress path whatever their table's family.
            hook: f[FlowtableAttr.hooknum].map { Hook(number: $0, family: .netdev) },
            priority: f[FlowtableAttr.priority], devices: f.devices.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }, flags: f[FlowtableAttr.flags] ?? 0)
    }
}

private func reg(_ v: UInt32?) -> Register? { v.map(Register.init) }

extension Expression {
    // swiftlint:disable:next cyclomatic_complexity function_body_length
    init(_ e: NftnlExpr) {
        typealias A = ExprAttr
        switch e.name {
        case "meta":
            self = .meta(Meta(key: e[A.Meta.key] ?? 0, dreg: reg(e[A.Meta.dreg]), sreg: reg(e[A.Meta.sreg])))
        case "payload":
            self = .payload(
                Payload(
                    base: e[A.Payload.base] ?? 0, offset: e[A.Payload.offset] ?? 0, length: e[A.Payload.length] ?? 0,
                    dreg: reg(e[A.Payload.dreg]), sreg: reg(e[A.Payload.sreg]),
                    checksumType: e[A.Payload.csumType], checksumOffset: e[A.Payload.csumOffset],
                    flags: e[A.Payload.flags]))
        case "cmp":
            self = .cmp(
                Cmp(
                    sreg: Register(e[A.Cmp.sreg] ?? 0), op: CmpOp(raw: e[A.Cmp.op] ?? 0),
                    data: e[A.Cmp.data] ?? []))
        case "bitwise":
            self = .bitwise(
                Bitwise(
                    sreg: Register(e[A.Bitwise.sreg] ?? 0), dreg: Register(e[A.Bitwise.dreg] ?? 0),
                    length: e[A.Bitwise.length] ?? 0, op: e[A.Bitwise.op] ?? 0, mask: e[A.Bitwise.mask],
                    xor: e[A.Bitwise.xor], data: e[A.Bitwise.data]))
        case "range":
            self = .range(
                Range(
                    sreg: Register(e[A.Range.sreg] ?? 0), op: e[A.Range.op] ?? 0, from: e[A.Range.from] ?? [],
                    to: e[A.Range.to] ?? []))
        case "lookup":
            self = .lookup(
                Lookup(
                    set: e[A.Lookup.set] ?? "", setID: e[A.Lookup.setID], sreg: Register(e[A.Lookup.sreg] ?? 0),
                    dreg: reg(e[A.Lookup.dreg]), flags: e[A.Lookup.flags] ?? 0))
        case "immediate":
            let dreg = Register(e[A.Immediate.dreg] ?? 0)
            let verdict = e[A.Immediate.verdict].map { Verdict(code: $0, chain: e[A.Immediate.chain]) }
            self = .immediate(Immediate(dreg: dreg, verdict: verdict, data: verdict == nil ? e[A.Immediate.data] : nil))
        case "counter":
            self = .counter(Counter(packets: e[A.Counter.packets] ?? 0, bytes: e[A.Counter.bytes] ?? 0))
        case "ct":
            self = .ct(
                Ct(
                    key: e[A.Ct.key] ?? 0, dreg: reg(e[A.Ct.dreg]), sreg: reg(e[A.Ct.sreg]),
                    direction: e[A.Ct.direction]))
        case "reject":
            self = .reject(Reject(type: e[A.Reject.type] ?? 0, code: e[A.Reject.code] ?? 0))
        case "log":
            self = .log(
                Log(
                    prefix: e[A.Log.prefix], group: e[A.Log.group], snaplen: e[A.Log.snaplen],
                    queueThreshold: e[A.Log.queueThreshold], level: e[A.Log.level], flags: e[A.Log.flags]))
        case "limit":
            self = .limit(
                Limit(
                    rate: e[A.Limit.rate] ?? 0, unit: e[A.Limit.unit] ?? 0, burst: e[A.Limit.burst] ?? 0,
                    type: e[A.Limit.type] ?? 0, flags: e[A.Limit.flags] ?? 0))
        case "quota":
            self = .quota(
                Quota(bytes: e[A.Quota.bytes] ?? 0, consumed: e[A.Quota.consumed] ?? 0, flags: e[A.Quota.flags] ?? 0))
        case "nat":
            self = .nat(
                Nat(
                    type: e[A.Nat.type] ?? 0, family: e[A.Nat.family].map(Family.init(nfproto:)),
                    addressMin: reg(e[A.Nat.regAddrMin]), addressMax: reg(e[A.Nat.regAddrMax]),
                    protoMin: reg(e[A.Nat.regProtoMin]), protoMax: reg(e[A.Nat.regProtoMax]), flags: e[A.Nat.flags]))
        case "masq":
            self = .masq(
                Masq(
                    flags: e[A.Masq.flags], protoMin: reg(e[A.Masq.regProtoMin]),
                    protoMax: reg(e[A.Masq.regProtoMax])))
        case "redir":
            self = .redir(
                Redir(
                    flags: e[A.Redir.flags], protoMin: reg(e[A.Redir.regProtoMin]),
                    protoMax: reg(e[A.Redir.regProtoMax])))
        case "queue":
            self = .queue(
                Queue(
                    number: e[A.Queue.number] ?? 0, total: e[A.Queue.total] ?? 0, flags: e[A.Queue.flags] ?? 0,
                    sregQueueNumber: reg(e[A.Queue.sregQueueNumber])))
        case "dynset":
            let nested = e.nestedExpressions.map { Expression($0) }
            self = .dynset(
                Dynset(
                    set: e[A.Dynset.set] ?? "", setID: e[A.Dynset.setID], op: e[A.Dynset.op] ?? 0,
                    sregKey: Register(e[A.Dynset.sregKey] ?? 0), sregData: reg(e[A.Dynset.sregData]),
                    timeout: e[A.Dynset.timeout], flags: e[A.Dynset.flags], expressions: nested))
        case "objref":
            self = .objref(
                Objref(
                    type: e[A.Objref.immType], name: e[A.Objref.immName], sreg: reg(e[A.Objref.setSreg]),
                    set: e[A.Objref.setName], setID: e[A.Objref.setID]))
        case "fib":
            self = .fib(
                Fib(dreg: Register(e[A.Fib.dreg] ?? 0), result: e[A.Fib.result] ?? 0, flags: e[A.Fib.flags] ?? 0))
        case "socket":
            self = .socket(
                Socket(key: e[A.Socket.key] ?? 0, dreg: Register(e[A.Socket.dreg] ?? 0), level: e[A.Socket.level]))
        case "exthdr":
            self = .exthdr(
                Exthdr(
                    type: e[A.Exthdr.type] ?? 0, offset: e[A.Exthdr.offset] ?? 0, length: e[A.Exthdr.length] ?? 0,
                    flags: e[A.Exthdr.flags] ?? 0, op: e[A.Exthdr.op] ?? 0, dreg: reg(e[A.Exthdr.dreg]),
                    sreg: reg(e[A.Exthdr.sreg])))
        case "byteorder":
            self = .byteorder(
                Byteorder(
                    dreg: reg(e[A.Byteorder.dreg]), sreg: reg(e[A.Byteorder.sreg]), op: e[A.Byteorder.op],
                    length: e[A.Byteorder.length], size: e[A.Byteorder.size]))
        case "notrack":
            self = .notrack
        case "connlimit":
            self = .connlimit(Connlimit(count: e[A.Connlimit.count], flags: e[A.Connlimit.flags]))
        case "numgen":
            self = .numgen(
                Numgen(
                    dreg: reg(e[A.Numgen.dreg]), modulus: e[A.Numgen.modulus], type: e[A.Numgen.type],
                    offset: e[A.Numgen.offset]))
        case "hash":
            self = .hash(
                Hash(
                    sreg: reg(e[A.Hash.sreg]), dreg: reg(e[A.Hash.dreg]), length: e[A.Hash.length],
                    modulus: e[A.Hash.modulus], seed: e[A.Hash.seed], offset: e[A.Hash.offset], type: e[A.Hash.type]))
        case "osf":
            self = .osf(Osf(dreg: reg(e[A.Osf.dreg]), ttl: e[A.Osf.ttl], flags: e[A.Osf.flags]))
        case "rt":
            self = .rt(Rt(key: e[A.Rt.key], dreg: reg(e[A.Rt.dreg])))
        case "xfrm":
            self = .xfrm(
                Xfrm(dreg: reg(e[A.Xfrm.dreg]), key: e[A.Xfrm.key], direction: e[A.Xfrm.direction], spnum: e[A.Xfrm.spnum]))
        case "synproxy":
            self = .synproxy(Synproxy(mss: e[A.Synproxy.mss], wscale: e[A.Synproxy.wscale], flags: e[A.Synproxy.flags]))
        case "dup":
            self = .dup(Dup(sregAddress: reg(e[A.Dup.sregAddress]), sregDevice: reg(e[A.Dup.sregDevice])))
        case "fwd":
            self = .fwd(
                Fwd(sregDevice: reg(e[A.Fwd.sregDevice]), sregAddress: reg(e[A.Fwd.sregAddress]), nfproto: e[A.Fwd.nfproto]))
        case "tproxy":
            self = .tproxy(
                Tproxy(family: e[A.Tproxy.family], sregAddress: reg(e[A.Tproxy.sregAddress]), sregPort: reg(e[A.Tproxy.sregPort])))
        case "flow_offload":
            self = .flowOffload(FlowOffload(table: e[A.FlowOffload.table]))
        case "match":
            self = .match(
                XT(name: e[A.Match.name] ?? "", revision: e[A.Match.revision] ?? 0, info: e[A.Match.info] ?? []))
        case "target":
            self = .target(
                XT(name: e[A.Target.name] ?? "", revision: e[A.Target.revision] ?? 0, info: e[A.Target.info] ?? []))
        default:
            self = .opaque(name: e.name, attributes: Self.rawAttributes(e))
        }
    }

    /// Every set attribute of an expression the model does not decode, as raw bytes.
    static func rawAttributes(_ e: NftnlExpr) -> [RawAttribute] {
        (1..<32).compactMap { (id: UInt16) -> RawAttribute? in
            guard let raw = e.rawValue(id) else { return nil }
            return RawAttribute(id: id, bytes: [UInt8](raw))
        }
    }
}
