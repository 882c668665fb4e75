/// Statements as libnftables JSON (nftables 1.0.6 `json.c`, `*_stmt_json`).
extension NFTJSONRuleWriter {
    static let timeUnits: [UInt64: String] = [1: "second", 60: "minute", 3600: "hour", 86400: "day", 604_800: "week"]
    static let objrefNames: [UInt32: String] = [
        1: "counter", 2: "quota", 3: "ct helper", 4: "limit", 7: "ct timeout", 8: "secmark", 9: "ct expectation",
        10: "synproxy",
    ]

    mutating func stmt(_ st: NFTStmt) -> JSONValue {
        typealias F = NFTJSONFormat
        switch st {
        case .match(let l, let op, let r):
            var left = expr(l)
            var right: JSONValue
            var opName: String
            switch op {
            case .implicit:
                // nft's OP_IMPLICIT survives only for flag tests (`ct state new`,
                // `tcp flags syn`), which JSON spells "in"; everything else is OP_EQ.
                if case .value(let v) = r, F.isFlagType(v.type) { opName = "in" } else { opName = "==" }
            default: opName = op.token
            }
            if case .flagsMask(let v, let m) = r {
                // `tcp flags syn / fin,syn` is `tcp flags & (fin|syn) == syn`.
                left = F.object("&", .array([left, expr(m)]))
                right = expr(v)
                if op == .implicit { opName = "==" }
            } else {
                right = expr(r)
            }
            var o = JSONObject()
            o.appendNew("op", .string(opName))
            o.appendNew("left", left)
            o.appendNew("right", right)
            return F.object("match", .object(o))
        case .verdict(let v):
            return F.verdict(v)
        case .vmap(let k, let m):
            return expr(.vmap(k, m))
        case .counter(let p, let b):
            if stateless { return F.object("counter", .null) }
            var o = JSONObject()
            o.appendNew("packets", F.int(p))
            o.appendNew("bytes", F.int(b))
            return F.object("counter", .object(o))
        case .objref(let type, let e):
            return F.object(Self.objrefNames[type] ?? "unknown", expr(e))
        case .log(let l):
            return log(l)
        case .limit(let l):
            return limit(l)
        case .quota(let bytes, let used, let over):
            var o = JSONObject()
            let (q, u) = NFTTextPrinter.rate(bytes)
            o.appendNew("val", F.int(q))
            o.appendNew("val_unit", .string(u))
            if over { o.appendNew("inv", .bool(true)) }
            if used != 0 && !stateless {
                let (uq, uu) = NFTTextPrinter.rate(used)
                o.appendNew("used", F.int(uq))
                o.appendNew("used_unit", .string(uu))
            }
            return F.object("quota", .object(o))
        case .connlimit(let count, let over):
            var o = JSONObject()
            o.appendNew("val", F.int(count))
            if over { o.appendNew("inv", .bool(true)) }
            return F.object("ct count", .object(o))
        case .reject(let r):
            return reject(r)
        case .nat(let n):
            return nat(n)
        case .queue(let num, let total, let flags, let e):
            var o = JSONObject()
            if let e {
                o.appendNew("num", expr(e))
            } else if total > 1 {
                o.appendNew("num", F.object("range", .array([F.int(num), F.int(Int(num) + Int(total) - 1)])))
            } else {
                o.appendNew("num", F.int(num))
            }
            var fl: [JSONValue] = []
            if flags & 1 != 0 { fl.append("bypass") }
            if flags & 2 != 0 { fl.append("fanout") }
            if let f = F.collapsed(fl) { o.appendNew("flags", f) }
            return F.object("queue", .object(o))
        case .dynset(let d):
            return dynset(d)
        case .metaSet(let key, _, let v):
            var o = JSONObject()
            o.appendNew("key", F.object("meta", F.object("key", .string(key))))
            o.appendNew("value", expr(v))
            return F.object("mangle", .object(o))
        case .ctSet(let key, let dir, let v):
            var k = JSONObject()
            k.appendNew("key", .string(key))
            if let dir { k.appendNew("dir", .string(dir)) }
            var o = JSONObject()
            o.appendNew("key", F.object("ct", .object(k)))
            o.appendNew("value", expr(v))
            return F.object("mangle", .object(o))
        case .payloadSet(let l, let v), .exthdrSet(let l, let v):
            var o = JSONObject()
            o.appendNew("key", expr(l))
            o.appendNew("value", expr(v))
            return F.object("mangle", .object(o))
        case .notrack:
            return F.object("notrack", .null)
        case .synproxy(let mss, let wscale, let timestamp, let sackPerm):
            // synproxy_stmt_json: options present only when nonzero; null when none is
            // (the text prints a reported `wscale 0`, the JSON leaves it out).
            var o = JSONObject()
            if let mss, mss != 0 { o.appendNew("mss", F.int(mss)) }
            if let wscale, wscale != 0 { o.appendNew("wscale", F.int(wscale)) }
            var flags: [JSONValue] = []
            if timestamp { flags.append("timestamp") }
            if sackPerm { flags.append("sack-perm") }
            if !flags.isEmpty { o.appendNew("flags", .array(flags)) }
            return F.object("synproxy", o.isEmpty ? .null : .object(o))
        case .dup(let to, let device):
            guard let to else { return F.object("dup", .null) }
            var o = JSONObject()
            o.appendNew("addr", expr(to))
            if let device { o.appendNew("dev", expr(device)) }
            return F.object("dup", .object(o))
        case .fwd(nil, let dev?, nil):
            // netdev `fwd to "lo"`: the AST keeps the device as the target; JSON names it `dev`.
            return F.object("fwd", F.object("dev", expr(dev)))
        case .fwd(let family, let to, let device):
            var o = JSONObject()
            if let device { o.appendNew("dev", expr(device)) }
            if let to {
                if let family { o.appendNew("family", .string(family)) }
                o.appendNew("addr", expr(to))
            }
            return F.object("fwd", .object(o))
        case .tproxy(let family, let address, let port):
            var o = JSONObject()
            if let family { o.appendNew("family", .string(family)) }
            if let address { o.appendNew("addr", expr(address)) }
            if let port { o.appendNew("port", expr(port)) }
            return F.object("tproxy", .object(o))
        case .flowOffload(let name):
            var o = JSONObject()
            o.appendNew("op", "add")
            o.appendNew("flowtable", .string("@" + name))
            return F.object("flow", .object(o))
        case .xt(let kind, let name):
            var o = JSONObject()
            o.appendNew("type", .string(kind))
            o.appendNew("name", .string(name))
            if xtCursor < xts.count, xts[xtCursor].kind == kind, xts[xtCursor].xt.name == name {
                let x = xts[xtCursor].xt
                xtCursor += 1
                o.appendNew(NFTJSONRenderer.extensionKey, NFTJSONXT.decoded(kind: kind, x, family: family))
            }
            return F.object("xt", .object(o))
        case .unknown(let name):
            // nft has no statement for it; keep the text renderer's marker.
            return .string("# unknown expression \"\(name)\"")
        }
    }

    private func log(_ l: NFTLog) -> JSONValue {
        typealias F = NFTJSONFormat
        var o = JSONObject()
        if let p = l.prefix { o.appendNew("prefix", .string(p)) }
        if let g = l.group { o.appendNew("group", F.int(g)) }
        if let n = l.snaplen { o.appendNew("snaplen", F.int(n)) }
        if let q = l.queueThreshold, q != 0 { o.appendNew("queue-threshold", F.int(q)) }
        if l.group == nil, let lv = l.level, lv != 4 {
            let levels = NFTTextPrinter.logLevels
            o.appendNew("level", Int(lv) < levels.count ? .string(levels[Int(lv)]) : F.int(lv))
        }
        var fl: [JSONValue] = []
        let f = l.flags
        if f & 0x2f == 0x2f {
            fl.append("all")
        } else {
            if f & 1 != 0 { fl.append("tcp sequence") }
            if f & 2 != 0 { fl.append("tcp options") }
            if f & 4 != 0 { fl.append("ip options") }
            if f & 8 != 0 { fl.append("skuid") }
            if f & 0x20 != 0 { fl.append("ether") }
        }
        if let c = F.collapsed(fl) { o.appendNew("flags", c) }
        return F.object("log", o.isEmpty ? .null : .object(o))
    }

    private func limit(_ l: NFTLimit) -> JSONValue {
        typealias F = NFTJSONFormat
        var o = JSONObject()
        let per = Self.timeUnits[l.unit] ?? "error"
        if l.bytes {
            let (r, ru) = NFTTextPrinter.rate(l.rate)
            let (b, bu) = NFTTextPrinter.rate(UInt64(l.burst))
            o.appendNew("rate", F.int(r))
            o.appendNew("burst", F.int(b))
            o.appendNew("per", .string(per))
            if l.over { o.appendNew("inv", .bool(true)) }
            o.appendNew("rate_unit", .string(ru))
            o.appendNew("burst_unit", .string(bu))
        } else {
            o.appendNew("rate", F.int(l.rate))
            o.appendNew("burst", F.int(l.burst))
            o.appendNew("per", .string(per))
            if l.over { o.appendNew("inv", .bool(true)) }
        }
        return F.object("limit", .object(o))
    }

    private func reject(_ r: NFTReject) -> JSONValue {
        typealias F = NFTJSONFormat
        var o = JSONObject()
        switch r.type {
        case 1:
            o.appendNew("type", "tcp reset")
        case 2:
            o.appendNew("type", "icmpx")
            o.appendNew("expr", F.symbolic(UInt64(r.code), NFTFormat.icmpxCodes))
        default:
            switch r.family {
            case .ip:
                o.appendNew("type", "icmp")
                o.appendNew("expr", F.symbolic(UInt64(r.code), NFTFormat.icmpCodes))
            case .ip6:
                o.appendNew("type", "icmpv6")
                o.appendNew("expr", F.symbolic(UInt64(r.code), NFTFormat.icmpv6Codes))
            default:
                return F.object("reject", .null)
            }
        }
        return F.object("reject", .object(o))
    }

    private mutating func nat(_ n: NFTNat) -> JSONValue {
        typealias F = NFTJSONFormat
        let key: String =
            switch n.kind {
            case .snat: "snat"
            case .dnat: "dnat"
            case .masquerade: "masquerade"
            case .redirect: "redirect"
            }
        var o = JSONObject()
        if let f = n.family { o.appendNew("family", .string(f)) }
        if let a = n.address { o.appendNew("addr", expr(a)) }
        if let p = n.port { o.appendNew("port", expr(p)) }
        var fl: [JSONValue] = []
        if n.flags & 4 != 0 { fl.append("random") }
        if n.flags & 16 != 0 { fl.append("fully-random") }
        if n.flags & 8 != 0 { fl.append("persistent") }
        // NF_NAT_RANGE_NETMAP: `snat ip prefix to … map { prefix : prefix }`.
        if n.flags & 0x40 != 0 { fl.append("netmap") }
        if let c = F.collapsed(fl) { o.appendNew("flags", c) }
        if n.flags & 0x40 != 0 { o.appendNew("type_flags", .string("prefix")) }
        return F.object(key, o.isEmpty ? .null : .object(o))
    }

    /// A dynset's key, as `{"elem": {"val": …, "timeout": seconds}}` when its elements time out.
    private mutating func element(_ d: NFTDynset) -> JSONValue {
        typealias F = NFTJSONFormat
        let key = expr(d.key)
        guard let t = d.timeout else { return key }
        var e = JSONObject()
        e.appendNew("val", key)
        e.appendNew("timeout", F.int(t / 1000))
        return F.object("elem", .object(e))
    }

    private mutating func dynset(_ d: NFTDynset) -> JSONValue {
        typealias F = NFTJSONFormat
        if let size = d.meter {
            var inner = self
            inner.stateless = true
            var o = JSONObject()
            o.appendNew("key", element(d))
            if let first = d.statements.first { o.appendNew("stmt", inner.stmt(first)) }
            o.appendNew("size", F.int(size))
            o.appendNew("name", .string(d.set))
            return F.object("meter", .object(o))
        }
        if d.data != nil {
            // nft 1.0.6 has no JSON printer for the map statement: it prints its text
            // ("warning: stmt ops map have no json callback").
            var s = ""
            NFTTextPrinter(interfaces: interfaces).stmt(.dynset(d), into: &s)
            return .string(s)
        }
        var o = JSONObject()
        o.appendNew("op", .string(d.op))
        o.appendNew("elem", element(d))
        o.appendNew("set", .string("@" + d.set))
        if !d.statements.isEmpty {
            var inner = self
            inner.stateless = true
            var list: [JSONValue] = []
            for s in d.statements { list.append(inner.stmt(s)) }
            o.appendNew("stmt", .array(list))
        }
        return F.object("set", .object(o))
    }
}
