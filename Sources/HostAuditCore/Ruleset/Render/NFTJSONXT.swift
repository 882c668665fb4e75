/// The decoded side of x_tables in the JSON document: what hostaudit adds to
/// nft's opaque `{"xt": {"type": "match", "name": "conntrack"}}` objects, and
/// the legacy (`iptables-legacy`) tables nft cannot see.
///
/// Shape of the key added to an `xt` object (`NFTJSONRenderer.extensionKey`):
///
///     "hostaudit": {
///       "revision": 3,
///       "decoded": true,
///       "options": { "ctstate": ["RELATED", "ESTABLISHED"] , "invert": ["ctstate"] },
///       "iptables": "-m conntrack --ctstate RELATED,ESTABLISHED"
///     }
///
/// `options` names follow the iptables option names in snake_case (`--ctstate`
/// → `ctstate`, `--to-destination` → `to_destination`); ports and ids are
/// numbers, a range is `[low, high]`; `invert` lists the options written with
/// `!`. An extension hostaudit does not decode has `"decoded": false` and its
/// raw `info` struct in hex instead of `options` and `iptables`.
enum NFTJSONXT {
    typealias F = NFTJSONFormat

    static func decoded(kind: String, _ x: Expression.XT, family: Family) -> JSONValue {
        if kind == "target" {
            return target(XTTarget.decode(name: x.name, revision: x.revision, info: x.info, family: family),
                          revision: x.revision, family: family)
        }
        return match(XTMatch.decode(name: x.name, revision: x.revision, info: x.info, family: family),
                     revision: x.revision, family: family)
    }

    static func hex(_ b: [UInt8]) -> String {
        var s = ""
        s.reserveCapacity(b.count * 2)
        for byte in b {
            if byte < 16 { s += "0" }
            s += String(byte, radix: 16)
        }
        return s
    }

    static func match(_ m: XTMatch, revision: UInt32?, family: Family) -> JSONValue {
        var o = JSONObject()
        if let revision { o.appendNew("revision", F.int(revision)) }
        if case .opaque(_, _, let info) = m {
            o.appendNew("decoded", false)
            o.appendNew("info", .string(hex(info)))
        } else if let text = IptablesSaveFormat.match(m, family: family) {
            o.appendNew("decoded", true)
            o.appendNew("options", .object(matchOptions(m)))
            o.appendNew("iptables", .string("-m \(m.name)" + text))
        }
        return .object(o)
    }

    static func target(_ t: XTTarget, revision: UInt32?, family: Family) -> JSONValue {
        var o = JSONObject()
        if let revision { o.appendNew("revision", F.int(revision)) }
        switch t {
        case .opaque(_, _, let info):
            o.appendNew("decoded", false)
            o.appendNew("info", .string(hex(info)))
        case .standard(let v):
            o.appendNew("decoded", true)
            o.appendNew("options", .object(JSONObject([("verdict", .int(Int64(v)))])))
        default:
            if let text = IptablesSaveFormat.target(t, family: family) {
                o.appendNew("decoded", true)
                o.appendNew("options", .object(targetOptions(t)))
                o.appendNew("iptables", .string("-j \(t.name)" + text))
            } else {
                o.appendNew("decoded", false)
            }
        }
        return .object(o)
    }

    // MARK: - Option values

    static func port(_ r: ClosedRange<UInt16>) -> JSONValue {
        r.lowerBound == r.upperBound ? F.int(r.lowerBound) : .array([F.int(r.lowerBound), F.int(r.upperBound)])
    }

    static func range32(_ r: ClosedRange<UInt32>) -> JSONValue {
        r.lowerBound == r.upperBound ? F.int(r.lowerBound) : .array([F.int(r.lowerBound), F.int(r.upperBound)])
    }

    /// `a.b.c.d/len` (or `addr/mask` when the mask is not a prefix).
    static func address(_ a: XTMatch.AddressMask) -> JSONValue {
        .string(IptablesSaveFormat.addressText(a.address) + IptablesSaveFormat.maskText(a.mask))
    }

    static func names(_ text: String) -> JSONValue {
        .array(text.split(separator: ",").map { .string(String($0)) })
    }

    static func stateNames(_ mask: XTMatch.StateMask) -> JSONValue {
        let text = IptablesSaveFormat.states(mask)
        return names(String(text.drop { $0 == " " }))
    }

    static func tcpFlagNames(_ flags: UInt8) -> JSONValue { names(IptablesSaveFormat.tcpFlags(flags)) }

    static func matchOptions(_ m: XTMatch) -> JSONObject {
        var o = JSONObject()
        var invert: [JSONValue] = []
        func add(_ key: String, _ v: JSONValue, inverted: Bool = false) {
            o.appendNew(key, v)
            if inverted { invert.append(.string(key)) }
        }
        switch m {
        case .conntrack(let c):
            let f = c.matchFlags
            let inv = c.invertFlags
            if f.contains(.state) {
                add(c.isStateAlias ? "state" : "ctstate", stateNames(c.stateMask), inverted: inv.contains(.state))
            }
            if f.contains(.proto) { add("ctproto", F.int(c.l4proto), inverted: inv.contains(.proto)) }
            for (flag, key, am) in [
                (XTMatch.Conntrack.Flags.origSrc, "ctorigsrc", c.origSrc), (.origDst, "ctorigdst", c.origDst),
                (.replSrc, "ctreplsrc", c.replSrc), (.replDst, "ctrepldst", c.replDst),
            ] where f.contains(flag) {
                add(key, address(am), inverted: inv.contains(flag))
            }
            for (flag, key, r) in [
                (XTMatch.Conntrack.Flags.origSrcPort, "ctorigsrcport", c.origSrcPort),
                (.origDstPort, "ctorigdstport", c.origDstPort), (.replSrcPort, "ctreplsrcport", c.replSrcPort),
                (.replDstPort, "ctrepldstport", c.replDstPort),
            ] where f.contains(flag) {
                add(key, port(r), inverted: inv.contains(flag))
            }
            if f.contains(.status) {
                let text = IptablesSaveFormat.conntrack(
                    { var x = c; x.matchFlags = .status; x.invertFlags = []; return x }())
                add("ctstatus", names(String(text.dropFirst(" --ctstatus ".count))), inverted: inv.contains(.status))
            }
            if f.contains(.expires) {
                add("ctexpire", range32(c.expiresMin...max(c.expiresMin, c.expiresMax)), inverted: inv.contains(.expires))
            }
            if f.contains(.direction) { add("ctdir", inv.contains(.direction) ? "REPLY" : "ORIGINAL") }
        case .state(let mask):
            add("state", stateNames(mask))
        case .multiport(let mp):
            let key = mp.direction == .source ? "sports" : mp.direction == .destination ? "dports" : "ports"
            add(key, .array(mp.ports.map(port)), inverted: mp.invert)
        case .comment(let c):
            add("comment", .string(c))
        case .tcp(let t):
            if t.sourcePorts != 0...0xffff { add("sport", port(t.sourcePorts), inverted: t.invertFlags & 1 != 0) }
            if t.destinationPorts != 0...0xffff { add("dport", port(t.destinationPorts), inverted: t.invertFlags & 2 != 0) }
            if t.option != 0 || t.invertFlags & 8 != 0 { add("tcp_option", F.int(t.option), inverted: t.invertFlags & 8 != 0) }
            if t.flagMask != 0 || t.invertFlags & 4 != 0 {
                var fl = JSONObject()
                fl.appendNew("mask", tcpFlagNames(t.flagMask))
                fl.appendNew("compare", tcpFlagNames(t.flagCompare))
                add("tcp_flags", .object(fl), inverted: t.invertFlags & 4 != 0)
            }
        case .udp(let u):
            if u.sourcePorts != 0...0xffff { add("sport", port(u.sourcePorts), inverted: u.invertFlags & 1 != 0) }
            if u.destinationPorts != 0...0xffff { add("dport", port(u.destinationPorts), inverted: u.invertFlags & 2 != 0) }
        case .icmp(let i), .icmp6(let i):
            let key = m.name == "icmp6" ? "icmpv6_type" : "icmp_type"
            if i.type == 0xff && i.codes == 0...0xff && m.name == "icmp" {
                add(key, "any", inverted: i.invert)
            } else {
                add(key, F.int(i.type), inverted: i.invert)
                if i.codes != 0...0xff { o.appendNew("code", F.int(i.codes.lowerBound)) }
            }
        case .mark(let mk):
            add("mark", F.int(mk.mark), inverted: mk.invert)
            o.appendNew("mask", F.int(mk.mask))
        case .owner(let ow):
            if ow.match & 4 != 0 { add("socket_exists", true, inverted: ow.invert & 4 != 0) }
            if ow.match & 1 != 0 { add("uid_owner", range32(ow.uid), inverted: ow.invert & 1 != 0) }
            if ow.match & 2 != 0 { add("gid_owner", range32(ow.gid), inverted: ow.invert & 2 != 0) }
            if ow.match & 8 != 0 { add("suppl_groups", true, inverted: ow.invert & 8 != 0) }
        case .addrtype(let a):
            if a.source != 0 { add("src_type", names(IptablesSaveFormat.addrTypes(a.source)), inverted: a.flags & 1 != 0) }
            if a.destination != 0 {
                add("dst_type", names(IptablesSaveFormat.addrTypes(a.destination)), inverted: a.flags & 2 != 0)
            }
            if a.flags & 4 != 0 { add("limit_iface_in", true) }
            if a.flags & 8 != 0 { add("limit_iface_out", true) }
        case .limit(let l):
            add("limit", .string(IptablesSaveFormat.rate(l.average)))
            add("limit_burst", F.int(l.burst))
        case .statistic(let st):
            if st.mode == 0 {
                add("mode", "random")
                add("probability", .double(Double(st.probability) / Double(0x8000_0000)), inverted: st.invert)
            } else {
                add("mode", "nth")
                add("every", F.int(UInt64(st.every) + 1), inverted: st.invert)
                add("packet", F.int(st.packet))
            }
        case .opaque:
            break
        }
        if !invert.isEmpty { o.appendNew("invert", .array(invert)) }
        return o
    }

    static func natFlags(_ flags: UInt32, into o: inout JSONObject) {
        if flags & 4 != 0 { o.appendNew("random", true) }
        if flags & 0x10 != 0 { o.appendNew("random_fully", true) }
        if flags & 8 != 0 { o.appendNew("persistent", true) }
    }

    static func targetOptions(_ t: XTTarget) -> JSONObject {
        var o = JSONObject()
        switch t {
        case .reject(let r):
            let table = r.family == .ip6 ? IptablesSaveFormat.rejectNames6 : IptablesSaveFormat.rejectNames4
            o.appendNew("reject_with", table[r.with].map(JSONValue.string) ?? F.int(r.with))
        case .log(let l):
            if !l.prefix.isEmpty { o.appendNew("log_prefix", .string(l.prefix)) }
            o.appendNew("log_level", F.int(l.level))
            for (flag, key) in [
                (UInt8(1), "log_tcp_sequence"), (2, "log_tcp_options"), (4, "log_ip_options"), (8, "log_uid"),
                (0x20, "log_macdecode"),
            ] where l.flags & flag != 0 {
                o.appendNew(key, true)
            }
        case .masquerade(let r), .redirect(let r):
            if r.flags & 2 != 0 { o.appendNew("to_ports", port(r.minPort...max(r.minPort, r.maxPort))) }
            natFlags(r.flags, into: &o)
        case .snat(let ranges), .dnat(let ranges):
            let key = t.name == "SNAT" ? "to_source" : "to_destination"
            o.appendNew(key, .array(ranges.map { .string(IptablesSaveFormat.natRange($0)) }.filter { $0 != .string("") }))
            natFlags(ranges.first?.flags ?? 0, into: &o)
        case .mark(let value, let mask):
            var x = JSONObject()
            x.appendNew("value", F.int(value))
            x.appendNew("mask", F.int(mask))
            o.appendNew("set_xmark", .object(x))
        case .standard(let v):
            o.appendNew("verdict", .int(Int64(v)))
        case .opaque:
            break
        }
        return o
    }

    // MARK: - Legacy tables

    /// One legacy x_tables table: chains with policies and counters, rules as
    /// `iptables-legacy-save` prints them plus their decoded matches and target.
    static func legacy(_ t: IptablesTable) -> JSONValue {
        var o = JSONObject()
        o.appendNew("family", .string(t.family.name))
        o.appendNew("name", .string(t.name))
        var chains: [JSONValue] = []
        var rules: [JSONValue] = []
        for c in t.chains {
            var co = JSONObject()
            co.appendNew("name", .string(c.name))
            co.appendNew("policy", c.policy.map(JSONValue.string) ?? .null)
            co.appendNew("packets", F.int(c.packets))
            co.appendNew("bytes", F.int(c.bytes))
            chains.append(.object(co))
            for r in c.rules {
                var ro = JSONObject()
                ro.appendNew("chain", .string(c.name))
                ro.appendNew("iptables", .string(IptablesSaveFormat.rule(r, chain: c.name, family: t.family, strict: false) ?? ""))
                ro.appendNew("packets", F.int(r.packets))
                ro.appendNew("bytes", F.int(r.bytes))
                var ms: [JSONValue] = []
                for m in r.matches {
                    var mo = JSONObject()
                    mo.appendNew("name", .string(m.name))
                    if case .object(let d) = match(m, revision: nil, family: t.family) {
                        for e in d.entries { mo.appendNew(e.key, e.value) }
                    }
                    ms.append(.object(mo))
                }
                if !ms.isEmpty { ro.appendNew("matches", .array(ms)) }
                switch r.target {
                case .none: break
                case .accept: ro.appendNew("target", object(name: "ACCEPT"))
                case .drop: ro.appendNew("target", object(name: "DROP"))
                case .return: ro.appendNew("target", object(name: "RETURN"))
                case .queue: ro.appendNew("target", object(name: "QUEUE"))
                case .jump(let chain):
                    ro.appendNew("target", object(name: chain, extra: [("jump", .string(chain))]))
                case .goto(let chain):
                    ro.appendNew("target", object(name: chain, extra: [("goto", .string(chain))]))
                case .extension(let x):
                    var to = JSONObject()
                    to.appendNew("name", .string(x.name))
                    if case .object(let d) = target(x, revision: nil, family: t.family) {
                        for e in d.entries { to.appendNew(e.key, e.value) }
                    }
                    ro.appendNew("target", .object(to))
                }
                rules.append(.object(ro))
            }
        }
        o.appendNew("chains", .array(chains))
        o.appendNew("rules", .array(rules))
        return .object(o)
    }

    private static func object(name: String, extra: [(String, JSONValue)] = []) -> JSONValue {
        var o = JSONObject()
        o.appendNew("name", .string(name))
        for (k, v) in extra { o.appendNew(k, v) }
        return .object(o)
    }
}
