/// Typed constants and expressions as libnftables JSON (nftables 1.0.6,
/// `json.c`): the JSON twin of `NFTFormat.value` and `NFTTextPrinter.expr`.
///
/// nft's rules for a constant (`datatype_json`): numbers stay numbers (ports,
/// marks, integers, uids; times in seconds), symbolic types print their name
/// when they have one and fall back to the number, addresses and interface
/// names are strings, booleans (`exists`/`missing`, fib checks) are `true`/`false`,
/// flag types (`ct state`, `tcp flags`) are a name or a list of names.
enum NFTJSONFormat {
    /// Builds a one-key object without the duplicate-key check.
    @inline(__always)
    static func object(_ key: String, _ value: JSONValue) -> JSONValue {
        var o = JSONObject()
        o.appendNew(key, value)
        return .object(o)
    }

    @inline(__always)
    static func int(_ v: UInt64) -> JSONValue { .int(Int64(bitPattern: v)) }

    @inline(__always)
    static func int<T: BinaryInteger>(_ v: T) -> JSONValue { .int(Int64(truncatingIfNeeded: v)) }

    /// A list of one element collapses to that element (1.0.6 `json_add_array_new`
    /// for log, NAT, queue and table flags).
    static func collapsed(_ items: [JSONValue]) -> JSONValue? {
        switch items.count {
        case 0: nil
        case 1: items[0]
        default: .array(items)
        }
    }

    static func symbolic(_ n: UInt64, _ table: [UInt64: String]) -> JSONValue {
        if let s = table[n] { return .string(s) }
        return int(n)
    }

    /// Flag types: one name, a list of names (unknown bits as a number), or 0.
    static func flags(_ v: UInt64, _ table: [(UInt64, String)]) -> JSONValue {
        if v == 0 { return .int(0) }
        var items: [JSONValue] = []
        var rest = v
        for (bit, name) in table where v & bit != 0 {
            items.append(.string(name))
            rest &= ~bit
        }
        if rest != 0 { items.append(int(rest)) }
        return items.count == 1 ? items[0] : .array(items)
    }

    static func isFlagType(_ t: NFTDatatype) -> Bool {
        switch t {
        case .ctState, .ctStatus, .tcpFlag, .ctEvent, .ctLabel: true
        default: false
        }
    }

    /// One typed constant. `numericProto`: inside a range nft prints protocols as numbers.
    static func value(_ v: NFTValue, interfaces: [UInt32: String], numericProto: Bool = false) -> JSONValue {
        let b = v.bytes
        switch v.type {
        case .ipv4Addr: return .string(NFTFormat.ipv4(b))
        case .ipv6Addr: return .string(NFTFormat.ipv6(b))
        case .etherAddr, .lladdr: return .string(NFTFormat.ether(b))
        case .string, .ifname: return .string(NFTFormat.string(b))
        case .concat(let parts):
            // A concatenated constant outside a set (rare): split it like a set key.
            if case .concat(let items) = NFTSetElements.key(b, .concat(parts)) {
                return object("concat", .array(items.map { expr($0, interfaces: interfaces) }))
            }
            return .string(NFTFormat.value(v, interfaces: interfaces))
        case .ctLabel:
            // ct_label_type_json: the lowest set bit (no connlabel.conf names).
            for (i, byte) in b.enumerated() where byte != 0 {
                return .int(Int64(i * 8 + byte.trailingZeroBitCount))
            }
            return .int(0)
        default: break
        }
        if b.count > 8 {
            // integer_type_json: wider than a machine word prints as hex.
            let digits = (v.bigEndian ? b : b.reversed()).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            let trimmed = digits.drop { $0 == "0" }
            return .string("0x" + (trimmed.isEmpty ? "0" : trimmed))
        }
        let n = NFTFormat.uint(b, bigEndian: v.bigEndian)
        switch v.type {
        case .boolean: return .bool(n != 0)
        case .inetService, .mark, .integer, .uid, .gid, .devgroup, .bitmask, .cgroupv2, .invalid, .verdict:
            return int(n)
        case .inetProto:
            if numericProto { return int(n) }
            return symbolic(n, NFTFormat.protocols)
        case .icmpType: return symbolic(n, NFTFormat.icmpTypes)
        case .icmpv6Type: return symbolic(n, NFTFormat.icmpv6Types)
        case .icmpCode: return symbolic(n, NFTFormat.icmpCodes)
        case .icmpv6Code: return symbolic(n, NFTFormat.icmpv6Codes)
        case .icmpxCode: return symbolic(n, NFTFormat.icmpxCodes)
        case .ctState: return flags(n, NFTFormat.ctStates)
        case .ctStatus: return flags(n, NFTFormat.ctStatus)
        case .ctEvent: return flags(n, NFTFormat.ctEvents)
        case .tcpFlag: return flags(n, NFTFormat.tcpFlags)
        case .ctDir: return symbolic(n, [0: "original", 1: "reply"])
        case .pkttype: return symbolic(n, NFTFormat.pkttypes)
        case .arphrd: return symbolic(n, NFTFormat.arphrd)
        case .ethertype: return symbolic(n, NFTFormat.ethertypes)
        case .arpop: return symbolic(n, NFTFormat.arpops)
        case .dscp: return symbolic(n, NFTFormat.dscp)
        case .ecn: return symbolic(n, NFTFormat.ecn)
        case .fibAddr: return symbolic(n, NFTFormat.fibAddr)
        case .mhType: return symbolic(n, NFTFormat.mhTypes)
        case .dccpPkttype: return symbolic(n, NFTFormat.dccpTypes)
        case .nfproto: return symbolic(n, NFTFormat.nfprotos)
        case .igmpType: return symbolic(n, NFTFormat.igmpTypes)
        case .time: return int(n / 1000)
        case .day:
            // day_type has a symbol table: the name, else the number.
            return n < 7 ? .string(NFTFormat.days[Int(n)]) : int(n)
        case .classid, .ifindex, .hour, .date, .realm:
            // No JSON printer in nft (`datatype_json` falls back to the type's
            // text printer): its text, unquoted.
            // No JSON printer in nft: its text, unquoted.
            var s = NFTFormat.value(v, interfaces: interfaces)
            if s.hasPrefix("\""), s.hasSuffix("\""), s.count >= 2 { s = String(s.dropFirst().dropLast()) }
            return .string(s)
        default:
            return int(n)
        }
    }

    static func verdict(_ v: Verdict) -> JSONValue {
        switch v {
        case .jump(let c): object("jump", object("target", .string(c)))
        case .goto(let c): object("goto", object("target", .string(c)))
        case .other(let code): object("verdict", .int(Int64(code)))
        default: object(v.name, .null)
        }
    }

    /// `exthdr_expr_json`: `tcp option`, `ip option` or `exthdr`, by the description the decompiler gave.
    static func exthdr(desc: String, field: String?) -> JSONValue {
        var key = "exthdr"
        var name = Substring(desc)
        if desc.hasPrefix("tcp option ") {
            key = "tcp option"
            name = desc.dropFirst("tcp option ".count)
        } else if desc.hasPrefix("ip option ") {
            key = "ip option"
            name = desc.dropFirst("ip option ".count)
        } else if desc.hasPrefix("sctp chunk ") {
            key = "sctp chunk"
            name = desc.dropFirst("sctp chunk ".count)
        } else if desc.hasPrefix("exthdr ") {
            name = desc.dropFirst("exthdr ".count)
        }
        var o = JSONObject()
        o.appendNew("name", .string(String(name)))
        if let field { o.appendNew("field", .string(field)) }
        return object(key, .object(o))
    }

    /// The keys the decompiler spells as fixed words: `osf_expr_json`,
    /// `rt_expr_json`, `xfrm_expr_json`.
    static func named(_ words: String) -> JSONValue {
        let w = words.split(separator: " ").map(String.init)
        guard let head = w.first, let key = w.last, w.count >= 2 else { return .string(words) }
        var o = JSONObject()
        switch head {
        case "osf":
            o.appendNew("key", .string(key))
            if w.count >= 4, w[1] == "ttl" { o.appendNew("ttl", .string(w[2])) }
            return object("osf", .object(o))
        case "rt":
            o.appendNew("key", .string(key))
            if w.count == 3 { o.appendNew("family", .string(w[1])) }
            return object("rt", .object(o))
        case "ipsec" where w.count >= 3:
            // ipsec in|out [spnum N] [ip|ip6] KEY
            o.appendNew("key", .string(key))
            o.appendNew("dir", .string(w[1]))
            var i = 2
            var spnum: Int64 = 0
            if w.count > i + 1, w[i] == "spnum" {
                spnum = Int64(w[i + 1]) ?? 0
                i += 2
            }
            o.appendNew("spnum", .int(spnum))
            if w.count == i + 2 { o.appendNew("family", .string(w[i])) }
            return object("ipsec", .object(o))
        default:
            return .string(words)
        }
    }

    static let payloadBases = ["ll", "nh", "th", "ih"]

    /// Context-free expressions (set elements, values); rules go through `NFTJSONRuleWriter`.
    static func expr(_ e: NFTExpr, interfaces: [UInt32: String]) -> JSONValue {
        var w = NFTJSONRuleWriter(interfaces: interfaces, family: .inet)
        return w.expr(e)
    }
}

/// Writes one rule's statements. Carries the little per-rule state the AST
/// does not keep: which xt expression each `xt` statement stands for, and
/// whether a `ct … saddr` came from the old `NFT_CT_SRC` key (nft's JSON
/// names that one `saddr`, the text `ip saddr` for both).
struct NFTJSONRuleWriter {
    var interfaces: [UInt32: String]
    var family: Family
    var stateless = false
    var numericProto = false
    /// Raw ct address keys of the rule in load order (8/9 old-style, 19…22 typed).
    var ctAddressKeys: [UInt32] = []
    var ctCursor = 0
    /// The rule's xt matches and targets in order.
    var xts: [(kind: String, xt: Expression.XT)] = []
    var xtCursor = 0

    init(interfaces: [UInt32: String], family: Family) {
        self.interfaces = interfaces
        self.family = family
    }

    /// Prepares the per-rule state from the rule's kernel expressions.
    mutating func reset(for rule: Rule) {
        ctAddressKeys.removeAll(keepingCapacity: true)
        ctCursor = 0
        xts.removeAll(keepingCapacity: true)
        xtCursor = 0
        for e in rule.expressions {
            switch e {
            case .ct(let c) where c.dreg != nil && (8...9 ~= c.key || 19...22 ~= c.key):
                ctAddressKeys.append(c.key)
            case .match(let x): xts.append(("match", x))
            case .target(let x): xts.append(("target", x))
            default: break
            }
        }
    }

    mutating func expr(_ e: NFTExpr) -> JSONValue {
        typealias F = NFTJSONFormat
        switch e {
        case .payload(let f):
            var o = JSONObject()
            o.appendNew("protocol", .string(f.proto))
            o.appendNew("field", .string(f.field))
            return F.object("payload", .object(o))
        case .rawPayload(let base, let off, let len):
            var o = JSONObject()
            o.appendNew("base", .string(Int(base) < F.payloadBases.count ? F.payloadBases[Int(base)] : String(base)))
            o.appendNew("offset", .int(Int64(off)))
            o.appendNew("len", .int(Int64(len)))
            return F.object("payload", .object(o))
        case .exthdr(let desc, let field, _, _):
            return F.exthdr(desc: desc, field: field)
        case .meta(let key, _, _):
            return F.object("meta", F.object("key", .string(key)))
        case .ct(let key, let dir, _):
            var k = key
            if key.hasSuffix("saddr") || key.hasSuffix("daddr") {
                if ctCursor < ctAddressKeys.count {
                    let raw = ctAddressKeys[ctCursor]
                    ctCursor += 1
                    if raw == 8 { k = "saddr" } else if raw == 9 { k = "daddr" }
                }
            }
            var o = JSONObject()
            o.appendNew("key", .string(k))
            if let dir { o.appendNew("dir", .string(dir)) }
            return F.object("ct", .object(o))
        case .fib(let flags, let result, _):
            var o = JSONObject()
            o.appendNew("result", .string(result))
            if !flags.isEmpty { o.appendNew("flags", .array(flags.map { .string($0) })) }
            return F.object("fib", .object(o))
        case .socket(let key, _):
            return F.object("socket", F.object("key", .string(key)))
        case .numgen(let mode, let mod, let off):
            var o = JSONObject()
            o.appendNew("mode", .string(mode))
            o.appendNew("mod", .int(Int64(mod)))
            o.appendNew("offset", .int(Int64(off)))
            return F.object("numgen", .object(o))
        case .value(let v):
            return F.value(v, interfaces: interfaces, numericProto: numericProto)
        case .string(let s):
            if s.count >= 2, s.hasPrefix("\""), s.hasSuffix("\"") { return .string(String(s.dropFirst().dropLast())) }
            return .string(s)
        case .prefix(let v, let len):
            if case .value(let val) = v, val.type == .ifname || val.type == .string {
                return .string(NFTFormat.string(Array(val.bytes.prefix(len / 8))) + "*")
            }
            var o = JSONObject()
            o.appendNew("addr", expr(v))
            o.appendNew("len", .int(Int64(len)))
            return F.object("prefix", .object(o))
        case .range(let a, let b):
            let saved = numericProto
            numericProto = true
            defer { numericProto = saved }
            return F.object("range", .array([expr(a), expr(b)]))
        case .concat(let parts):
            var items: [JSONValue] = []
            items.reserveCapacity(parts.count)
            for p in parts { items.append(expr(p)) }
            return F.object("concat", .array(items))
        case .set(let elems):
            var items: [JSONValue] = []
            items.reserveCapacity(elems.count)
            for el in elems { items.append(expr(el)) }
            return F.object("set", .array(items))
        case .setRef(let name):
            return .string("@" + name)
        case .element(let k, let timeout, let expires, let comment):
            // set_elem_expr_json: one formal `elem` object holds the key, the
            // attributes and the element's statement.
            var o = JSONObject()
            var stmts: [NFTStmt] = []
            if case .elementStatements(let key, let list) = k {
                o.appendNew("val", expr(key))
                stmts = list
            } else {
                o.appendNew("val", expr(k))
            }
            if let timeout { o.appendNew("timeout", F.int(timeout / 1000)) }
            if let expires, !stateless { o.appendNew("expires", F.int(expires / 1000)) }
            if let comment { o.appendNew("comment", .string(comment)) }
            mergeFirstStatement(stmts, into: &o)
            return F.object("elem", .object(o))
        case .mapping(let k, let v):
            return .array([expr(k), expr(v)])
        case .hash(let input, let mod, let seed, let off, let symmetric):
            // hash_expr_json
            var o = JSONObject()
            o.appendNew("mod", F.int(mod))
            if let seed { o.appendNew("seed", F.int(seed)) }
            if off != 0 { o.appendNew("offset", F.int(off)) }
            if !symmetric, let input { o.appendNew("expr", expr(input)) }
            return F.object(symmetric ? "symhash" : "jhash", .object(o))
        case .named(let words, _):
            return F.named(words)
        case .elementStatements(let key, let stmts):
            var o = JSONObject()
            o.appendNew("val", expr(key))
            mergeFirstStatement(stmts, into: &o)
            return F.object("elem", .object(o))
        case .map(let k, let m):
            var o = JSONObject()
            o.appendNew("key", expr(k))
            o.appendNew("data", expr(m))
            return F.object("map", .object(o))
        case .vmap(let k, let m):
            var o = JSONObject()
            o.appendNew("key", expr(k))
            o.appendNew("data", expr(m))
            return F.object("vmap", .object(o))
        case .binop(let op, let l, let r):
            // nft 1.0.6 nests chained operations (`{"|": [{"|": [a, b]}, c]}`).
            return F.object(op.rawValue, .array([expr(l), expr(r)]))
        case .flagsMask(let v, let m):
            // Only meaningful as a match's right side (handled there); standalone, the mask applies to the value.
            return F.object("&", .array([expr(v), expr(m)]))
        case .verdict(let v):
            return F.verdict(v)
        }
    }

    /// nft 1.0.6 merges only an element's first statement into its `elem`
    /// object ("TODO: only one statement per element"); keys already there win.
    private mutating func mergeFirstStatement(_ stmts: [NFTStmt], into o: inout JSONObject) {
        guard let first = stmts.first, case .object(let so) = stmt(first) else { return }
        for (k, v) in so.entries where o[k] == nil { o.appendNew(k, v) }
    }

}
