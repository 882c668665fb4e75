/// Prints the decompiled AST in nft's syntax (`expression.c`, `statement.c`).
struct NFTTextPrinter: Sendable {
    var interfaces: [UInt32: String] = [:]
    /// Inside a set declaration or dynset: stateful statements print without state.
    var stateless = false

    func expr(_ e: NFTExpr, into s: inout String) {
        switch e {
        case .payload(let f):
            s += f.proto
            s += " "
            s += f.field
        case .rawPayload(let base, let off, let len):
            let b = base == 0 ? "ll" : base == 1 ? "nh" : base == 2 ? "th" : "ih"
            s += "@\(b),\(off),\(len)"
        case .exthdr(let desc, let field, _, _):
            s += desc
            if let field {
                s += " "
                s += field
            }
        case .meta(let key, _, let qualified):
            if qualified { s += "meta " }
            s += key
        case .ct(let key, let dir, _):
            s += "ct "
            if let dir {
                s += dir
                s += " "
            }
            s += key
        case .fib(let flags, let result, _):
            s += "fib "
            s += flags.joined(separator: " . ")
            s += " "
            s += result
        case .socket(let key, _):
            s += "socket "
            s += key
        case .hash(let input, let mod, let seed, let off, let sym):
            if sym {
                s += "symhash"
            } else {
                s += "jhash "
                if let input { expr(input, into: &s) }
            }
            s += " mod \(mod)"
            if let seed { s += " seed 0x" + String(seed, radix: 16) }
            if off != 0 { s += " offset \(off)" }
        case .named(let words, _):
            s += words
        case .numgen(let mode, let mod, let off):
            s += "numgen \(mode) mod \(mod)"
            if off != 0 { s += " offset \(off)" }
        case .value(let v):
            s += NFTFormat.value(v, interfaces: interfaces)
        case .string(let str):
            s += str
        case .prefix(let v, let len):
            if case .value(let val) = v, val.type == .ifname || val.type == .string {
                let n = len / 8
                s += "\"" + NFTFormat.string(Array(val.bytes.prefix(n))) + "*\""
            } else {
                expr(v, into: &s)
                s += "/\(len)"
            }
        case .range(let a, let b):
            // `range_expr_print` prints both ends with numeric protocols.
            func end(_ e: NFTExpr) {
                if case .value(let v) = e, v.type == .inetProto {
                    s += String(NFTFormat.uint(v.bytes, bigEndian: v.bigEndian))
                } else {
                    expr(e, into: &s)
                }
            }
            end(a)
            s += "-"
            end(b)
        case .concat(let parts):
            for (i, p) in parts.enumerated() {
                if i > 0 { s += " . " }
                expr(p, into: &s)
            }
        case .set(let elems):
            s += "{ "
            for (i, el) in elems.enumerated() {
                if i > 0 { s += ", " }
                expr(el, into: &s)
            }
            s += " }"
        case .setRef(let name):
            s += "@"
            s += name
        case .element(let k, let timeout, let expires, let comment):
            expr(k, into: &s)
            if let timeout { s += " timeout " + NFTFormat.time(ms: timeout) }
            if let expires, !stateless { s += " expires " + NFTFormat.time(ms: expires) }
            if let comment { s += " comment \"\(comment)\"" }
        case .elementStatements(let k, let stmts):
            expr(k, into: &s)
            for st in stmts {
                s += " "
                stmt(st, into: &s)
            }
        case .mapping(let k, let v): expr(k, " : ", v, into: &s)
        case .map(let k, let m): expr(k, " map ", m, into: &s)
        case .vmap(let k, let m): expr(k, " vmap ", m, into: &s)
        case .binop(let op, let l, let r):
            // `binop_arg_print`: an operand that binds less tightly is parenthesised.
            func precedence(_ o: NFTBinOp) -> Int {
                switch o {
                case .lshift, .rshift: 1
                case .and: 2
                case .xor: 3
                case .or: 4
                }
            }
            func arg(_ a: NFTExpr) {
                if case .binop(let inner, _, _) = a, precedence(op) < precedence(inner) {
                    s += "("
                    expr(a, into: &s)
                    s += ")"
                } else {
                    expr(a, into: &s)
                }
            }
            arg(l)
            s += " \(op.rawValue) "
            arg(r)
        case .flagsMask(let v, let m):
            expr(v, into: &s)
            s += " / "
            expr(m, into: &s)
        case .verdict(let v):
            verdict(v, into: &s)
        }
    }

    func verdict(_ v: Verdict, into s: inout String) {
        s += v.name
        if let c = v.chain {
            s += " "
            s += c
        }
    }

    static let logLevels = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug", "audit"]
    static let timeUnits: [UInt64: String] = [1: "second", 60: "minute", 3600: "hour", 86400: "day", 604_800: "week"]

    static func rate(_ bytes: UInt64) -> (UInt64, String) {
        let units = ["bytes", "kbytes", "mbytes"]
        if bytes == 0 { return (0, units[0]) }
        var v = bytes
        var i = 0
        while i + 1 < units.count, v % 1024 == 0 {
            v /= 1024
            i += 1
        }
        return (v, units[i])
    }

    func stmt(_ st: NFTStmt, into s: inout String) {
        switch st {
        case .match(let l, let op, let r):
            expr(l, into: &s)
            s += " "
            if op != .implicit {
                s += op.token
                s += " "
            }
            expr(r, into: &s)
        case .verdict(let v):
            verdict(v, into: &s)
        case .vmap(let k, let m):
            expr(.vmap(k, m), into: &s)
        case .counter(let p, let b):
            s += stateless ? "counter" : "counter packets \(p) bytes \(b)"
        case .objref(let type, let e):
            switch type {
            case 1: s += "counter name "
            case 2: s += "quota name "
            case 3: s += "ct helper set "
            case 4: s += "limit name "
            case 7: s += "ct timeout set "
            case 8: s += "meta secmark set "
            case 9: s += "ct expectation set "
            case 10: s += "synproxy name "
            default: s += "objref \(type) "
            }
            if case .string(let n) = e { s += "\"\(n)\"" } else { expr(e, into: &s) }
        case .log(let l):
            s += "log"
            if let p = l.prefix { s += " prefix \"\(p)\"" }
            if let g = l.group { s += " group \(g)" }
            if let n = l.snaplen { s += " snaplen \(n)" }
            if let q = l.queueThreshold, q != 0 { s += " queue-threshold \(q)" }
            if l.group == nil, let lv = l.level, lv != 4 {
                s += " level " + (Int(lv) < Self.logLevels.count ? Self.logLevels[Int(lv)] : String(lv))
            }
            let f = l.flags
            if f & 0x2f == 0x2f {
                s += " flags all"
            } else {
                if f & 3 != 0 {
                    s += " flags tcp"
                    var d = " "
                    if f & 1 != 0 {
                        s += " sequence"
                        d = ","
                    }
                    if f & 2 != 0 { s += d + "options" }
                }
                if f & 4 != 0 { s += " flags ip options" }
                if f & 8 != 0 { s += " flags skuid" }
                if f & 0x20 != 0 { s += " flags ether" }
            }
        case .limit(let l):
            let unit = Self.timeUnits[l.unit] ?? "\(l.unit)"
            if l.bytes {
                let (r, u) = Self.rate(l.rate)
                s += "limit rate \(l.over ? "over " : "")\(r) \(u)/\(unit)"
                if l.burst != 0 {
                    let (b, bu) = Self.rate(UInt64(l.burst))
                    s += " burst \(b) \(bu)"
                }
            } else {
                s += "limit rate \(l.over ? "over " : "")\(l.rate)/\(unit)"
                if l.burst != 0 && l.burst != 5 { s += " burst \(l.burst) packets" }
            }
        case .quota(let bytes, let used, let over):
            let (q, u) = Self.rate(bytes)
            s += "quota \(over ? "over " : "")\(q) \(u)"
            if used != 0 && !stateless {
                let (uq, uu) = Self.rate(used)
                s += " used \(uq) \(uu)"
            }
        case .connlimit(let count, let over):
            s += "ct count \(over ? "over " : "")\(count)"
        case .reject(let r):
            s += "reject"
            switch r.type {
            case 1: s += " with tcp reset"
            case 2:
                if r.code != 1 { s += " with icmpx " + NFTFormat.named(UInt64(r.code), NFTFormat.icmpxCodes) }
            default:
                if r.family == .ip6 {
                    if r.code != 4 || r.verbose {
                        s += " with icmpv6 " + NFTFormat.named(UInt64(r.code), NFTFormat.icmpv6Codes)
                    }
                } else if r.code != 3 || r.verbose {
                    s += " with icmp " + NFTFormat.named(UInt64(r.code), NFTFormat.icmpCodes)
                }
            }
        case .nat(let n):
            nat(n, into: &s)
        case .queue(let num, let total, let flags, let e):
            s += "queue"
            var d = " "
            if flags & 1 != 0 {
                s += " flags bypass"
                d = ","
            }
            if flags & 2 != 0 { s += d == " " ? " flags fanout" : ",fanout" }
            s += " to "
            if let e { expr(e, into: &s) } else if total > 1 { s += "\(num)-\(Int(num) + Int(total) - 1)" } else { s += "\(num)" }
        case .dynset(let d):
            if let size = d.meter {
                s += "meter \(d.set) "
                if size > 0 { s += "size \(size) " }
                s += "{ "
            } else {
                s += "\(d.op) @\(d.set) { "
            }
            expr(d.key, into: &s)
            if let t = d.timeout { s += " timeout " + NFTFormat.time(ms: t) }
            var inner = self
            inner.stateless = true
            for n in d.statements {
                s += " "
                inner.stmt(n, into: &s)
            }
            if let data = d.data {
                s += " : "
                expr(data, into: &s)
            }
            s += " }"
        case .metaSet(let key, let q, let v):
            if q { s += "meta " }
            s += key + " set "
            expr(v, into: &s)
        case .ctSet(let key, let dir, let v):
            s += "ct "
            if let dir { s += dir + " " }
            s += key + " set "
            expr(v, into: &s)
        case .payloadSet(let l, let v), .exthdrSet(let l, let v):
            expr(l, into: &s)
            s += " set "
            expr(v, into: &s)
        case .notrack:
            s += "notrack"
        case .synproxy(let mss, let wscale, let ts, let sack):
            s += "synproxy"
            if let mss { s += " mss \(mss)" }
            if let wscale { s += " wscale \(wscale)" }
            if ts { s += " timestamp" }
            if sack { s += " sack-perm" }
        case .dup(let to, let device):
            s += "dup"
            expr(to, after: "to", into: &s)
            expr(device, after: "device", into: &s)
        case .fwd(let family, let to, let device):
            s += "fwd"
            if let family { s += " " + family }
            expr(to, after: "to", into: &s)
            expr(device, after: "device", into: &s)
        case .tproxy(let family, let address, let port):
            s += "tproxy"
            if let family { s += " " + family }
            s += " to"
            if let address {
                s += " "
                if isIPv6(address) {
                    s += "["
                    expr(address, into: &s)
                    s += "]"
                } else {
                    expr(address, into: &s)
                }
            } else {
                s += " "
            }
            if let port {
                s += ":"
                expr(port, into: &s)
            }
        case .flowOffload(let name):
            s += "flow add @" + name
        case .xt(let kind, let name):
            s += "xt \(kind) \"\(name)\""
        case .unknown(let name):
            s += "# unknown expression \"\(name)\""
        }
    }

    /// `<l><separator><r>`.
    private func expr(_ l: NFTExpr, _ separator: String, _ r: NFTExpr, into s: inout String) {
        expr(l, into: &s)
        s += separator
        expr(r, into: &s)
    }

    /// ` word <e>`, when there is an expression.
    private func expr(_ e: NFTExpr?, after word: String, into s: inout String) {
        guard let e else { return }
        s += " \(word) "
        expr(e, into: &s)
    }

    private func isIPv6(_ e: NFTExpr) -> Bool {
        switch e {
        case .value(let v): v.type == .ipv6Addr
        case .range(let a, _), .prefix(let a, _): isIPv6(a)
        default: false
        }
    }

    func nat(_ n: NFTNat, into s: inout String) {
        switch n.kind {
        case .snat: s += "snat"
        case .dnat: s += "dnat"
        case .masquerade: s += "masquerade"
        case .redirect: s += "redirect"
        }
        if let f = n.family { s += " " + f }
        if n.flags & 0x40 != 0 { s += " prefix" }  // NF_NAT_RANGE_NETMAP
        if n.address != nil || n.port != nil { s += " to" }
        if let a = n.address {
            s += " "
            if n.port != nil, isIPv6(a) {
                s += "["
                expr(a, into: &s)
                s += "]"
            } else {
                expr(a, into: &s)
            }
        } else if n.port != nil {
            s += " "
        }
        if let p = n.port {
            s += ":"
            expr(p, into: &s)
        }
        var d = " "
        if n.flags & 4 != 0 {
            s += d + "random"
            d = ","
        }
        if n.flags & 16 != 0 {
            s += d + "fully-random"
            d = ","
        }
        if n.flags & 8 != 0 { s += d + "persistent" }
    }

    func rule(_ r: NFTRuleAST, into s: inout String) {
        for (i, st) in r.statements.enumerated() {
            if i > 0 { s += " " }
            stmt(st, into: &s)
        }
        if let c = r.comment { s += " comment \"\(c)\"" }
    }
}
