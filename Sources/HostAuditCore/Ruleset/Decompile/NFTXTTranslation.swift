/// Faithful nft statements for decoded x_tables matches and targets, used when
/// a table that holds xt expressions is printed in nft syntax (`firewall show
/// --nft`, or a table iptables cannot express).
///
/// nft itself prints what libxtables' translators give, which is lossy (a
/// comment silently dropped, `! --ctstate` printed as `ct status`, …). Here an
/// xt match or target becomes nft statements only when they mean exactly the
/// same thing; otherwise it stays `xt match "name"` / `xt target "name"`. A
/// match is translated whole or not at all.
///
/// - conntrack / state: `ct state`, `ct direction`, `ct status`, `ct original
///   protocol` (`!=` for an inverted part); addresses, ports, expiry, or the
///   SNAT/DNAT pseudo-states stay opaque.
/// - comment: the rule's `comment "…"` (several joined with "; ").
/// - multiport (source or destination): `tcp dport { 80, 443 }` with the
///   rule's transport protocol (`th` when unknown); either-direction stays opaque.
/// - tcp / udp: ports (ranges, `!=`) and tcp flags (`syn / syn,rst`); tcp
///   options stay opaque.
/// - icmp / icmp6: type and code (an inverted type with a code stays opaque).
/// - mark: `meta mark` (with `&` for a partial mask).
/// - owner: `meta skuid` / `meta skgid`; inverted (which, unlike nft, matches
///   packets without a socket), `--socket-exists` and `--suppl-groups` stay opaque.
/// - limit: `limit rate N/unit` when the period is an exact rate.
/// - REJECT, LOG, MASQUERADE, SNAT, DNAT, REDIRECT, MARK: the nft statements.
enum NFTXTTranslation {
    /// `ast` with its `xt` statements translated. `rule` gives the xt payloads,
    /// paired with the `xt` statements in order.
    static func translate(_ ast: NFTRuleAST, rule: Rule, family: Family) -> NFTRuleAST {
        var xts: [(kind: String, xt: Expression.XT)] = []
        for e in rule.expressions {
            switch e {
            case .match(let x): xts.append(("match", x))
            case .target(let x): xts.append(("target", x))
            default: break
            }
        }
        guard !xts.isEmpty else { return ast }
        var out: [NFTStmt] = []
        out.reserveCapacity(ast.statements.count)
        var comments: [String] = []
        var cursor = 0
        var translated = false
        for s in ast.statements {
            guard case .xt(let kind, let name) = s, cursor < xts.count, xts[cursor].kind == kind,
                xts[cursor].xt.name == name
            else {
                out.append(s)
                continue
            }
            let x = xts[cursor].xt
            cursor += 1
            if kind == "match" {
                let m = XTMatch.decode(name: x.name, revision: x.revision, info: x.info, family: family)
                if case .comment(let c) = m {
                    comments.append(c)
                    translated = true
                } else if let t = match(m, family: family, before: out) {
                    out.append(contentsOf: t)
                    translated = true
                } else {
                    out.append(s)
                }
            } else {
                let t = XTTarget.decode(name: x.name, revision: x.revision, info: x.info, family: family)
                if let n = target(t, family: family) {
                    out.append(n)
                    translated = true
                } else {
                    out.append(s)
                }
            }
        }
        if translated { dropDependencies(&out) }
        var result = NFTRuleAST(statements: out, comment: ast.comment)
        if !comments.isEmpty {
            result.comment = ([ast.comment].compactMap { $0 } + comments).joined(separator: "; ")
        }
        return result
    }

    static let dependentProtocols: [UInt8: String] = [
        6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6", 132: "sctp", 33: "dccp", 136: "udplite",
    ]

    /// The decompiler kept `meta l4proto tcp` because the xt statement after it
    /// reset nft's dependency context; with the xt gone, nft would leave it out
    /// before a `tcp …` field when only matches stand between them.
    static func dropDependencies(_ stmts: inout [NFTStmt]) {
        var drop: [Int] = []
        for (i, s) in stmts.enumerated() {
            guard case .match(.meta("l4proto", _, _), let op, .value(let v)) = s, op == .implicit || op == .eq,
                v.bytes.count == 1, let proto = dependentProtocols[v.bytes[0]]
            else { continue }
            var j = i + 1
            while j < stmts.count, case .match(let l, _, _) = stmts[j] {
                if case .payload(let f) = l, f.proto == proto {
                    drop.append(i)
                    break
                }
                if case .meta("l4proto", _, _) = l { break }
                j += 1
            }
        }
        for i in drop.reversed() { stmts.remove(at: i) }
    }

    // MARK: - Values

    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }

    static func value(_ type: NFTDatatype, _ bytes: [UInt8], bigEndian: Bool) -> NFTExpr {
        .value(NFTValue(type: type, bytes: bytes, bigEndian: bigEndian))
    }

    static func port(_ p: UInt16) -> NFTExpr { value(.inetService, be16(p), bigEndian: true) }

    static func ports(_ r: ClosedRange<UInt16>) -> NFTExpr {
        r.lowerBound == r.upperBound ? port(r.lowerBound) : .range(port(r.lowerBound), port(r.upperBound))
    }

    static func field(_ proto: String, _ name: String, _ type: NFTDatatype, offset: Int, length: Int) -> NFTExpr {
        .payload(
            NFTPayloadField(
                proto: proto, field: name, type: type, bigEndian: true, offsetBits: offset, lengthBits: length, base: 2))
    }

    static func meta(_ key: String, _ type: NFTDatatype) -> NFTExpr { .meta(key: key, type: type, qualified: true) }

    // MARK: - Matches

    static func match(_ m: XTMatch, family: Family, before: [NFTStmt]) -> [NFTStmt]? {
        switch m {
        case .conntrack(let c): return conntrack(c)
        case .state(let mask): return ctState(mask.rawValue, untrackedBit: 1 << 6, invert: false).map { [$0] }
        case .multiport(let mp):
            guard mp.direction != .either, !mp.ports.isEmpty else { return nil }
            let proto = transportName(before)
            let left = field(proto, mp.direction == .source ? "sport" : "dport", .inetService,
                offset: mp.direction == .source ? 0 : 16, length: 16)
            let right: NFTExpr
            if mp.ports.count == 1 {
                right = ports(mp.ports[0])
            } else {
                // nft lists an anonymous set's elements in order.
                right = .set(mp.ports.sorted { $0.lowerBound < $1.lowerBound }.map(ports))
            }
            return [.match(left, mp.invert ? .neq : .implicit, right)]
        case .tcp(let t):
            guard t.option == 0 else { return nil }
            var out = portMatches("tcp", t.sourcePorts, t.destinationPorts, t.invertFlags)
            if t.flagMask != 0 {
                let flags = field("tcp", "flags", .tcpFlag, offset: 104, length: 8)
                let v = value(.tcpFlag, [t.flagCompare], bigEndian: true)
                let mask = value(.tcpFlag, [t.flagMask], bigEndian: true)
                out.append(.match(flags, t.invertFlags & 4 != 0 ? .neq : .implicit, .flagsMask(v, mask)))
            }
            return out.isEmpty ? nil : out
        case .udp(let u):
            let out = portMatches("udp", u.sourcePorts, u.destinationPorts, u.invertFlags)
            return out.isEmpty ? nil : out
        case .icmp(let i): return icmp(i, v6: false)
        case .icmp6(let i): return icmp(i, v6: true)
        case .mark(let mk):
            let mark = meta("mark", .mark)
            let v = value(.mark, le32(mk.mark), bigEndian: false)
            if mk.mask == 0xffff_ffff { return [.match(mark, mk.invert ? .neq : .implicit, v)] }
            let masked = NFTExpr.binop(.and, mark, value(.mark, le32(mk.mask), bigEndian: false))
            return [.match(masked, mk.invert ? .neq : .eq, v)]
        case .owner(let o):
            // XT_OWNER_UID 1, GID 2; anything else (socket, supplementary groups) or an inversion stays opaque.
            guard o.invert == 0, o.match & ~3 == 0, o.match != 0 else { return nil }
            var out: [NFTStmt] = []
            if o.match & 1 != 0 { out.append(.match(meta("skuid", .uid), .implicit, idRange(o.uid, .uid))) }
            if o.match & 2 != 0 { out.append(.match(meta("skgid", .gid), .implicit, idRange(o.gid, .gid))) }
            return out
        case .limit(let l):
            return limit(l).map { [.limit($0)] }
        case .comment, .addrtype, .statistic, .opaque:
            return nil
        }
    }

    /// The rule's transport protocol name from an earlier `meta l4proto X`
    /// (or `ip protocol` / `ip6 nexthdr`) match, for port fields; `th` otherwise.
    static func transportName(_ before: [NFTStmt]) -> String {
        for s in before.reversed() {
            guard case .match(let l, let op, .value(let v)) = s, op == .implicit || op == .eq, v.bytes.count == 1
            else { continue }
            let isProto: Bool
            switch l {
            case .meta(let key, _, _): isProto = key == "l4proto"
            case .payload(let f): isProto = (f.proto == "ip" && f.field == "protocol") || (f.proto == "ip6" && f.field == "nexthdr")
            default: isProto = false
            }
            guard isProto else { continue }
            switch v.bytes[0] {
            case 6: return "tcp"
            case 17: return "udp"
            case 136: return "udplite"
            case 132: return "sctp"
            case 33: return "dccp"
            default: return "th"
            }
        }
        return "th"
    }

    static func portMatches(
        _ proto: String, _ src: ClosedRange<UInt16>, _ dst: ClosedRange<UInt16>, _ invert: UInt8
    ) -> [NFTStmt] {
        var out: [NFTStmt] = []
        if src != 0...0xffff || invert & 1 != 0 {
            out.append(.match(field(proto, "sport", .inetService, offset: 0, length: 16), invert & 1 != 0 ? .neq : .implicit, ports(src)))
        }
        if dst != 0...0xffff || invert & 2 != 0 {
            out.append(.match(field(proto, "dport", .inetService, offset: 16, length: 16), invert & 2 != 0 ? .neq : .implicit, ports(dst)))
        }
        return out
    }

    static func idRange(_ r: ClosedRange<UInt32>, _ type: NFTDatatype) -> NFTExpr {
        let lo = value(type, le32(r.lowerBound), bigEndian: false)
        return r.lowerBound == r.upperBound ? lo : .range(lo, value(type, le32(r.upperBound), bigEndian: false))
    }

    static func icmp(_ i: XTMatch.ICMP, v6: Bool) -> [NFTStmt]? {
        guard i.type != 0xff else { return nil }
        let proto = v6 ? "icmpv6" : "icmp"
        let hasCode = i.codes != 0...0xff
        if i.invert && hasCode { return nil }
        var out: [NFTStmt] = [
            .match(field(proto, "type", v6 ? .icmpv6Type : .icmpType, offset: 0, length: 8), i.invert ? .neq : .implicit,
                value(v6 ? .icmpv6Type : .icmpType, [i.type], bigEndian: true))
        ]
        if hasCode {
            let ct: NFTDatatype = v6 ? .icmpv6Code : .icmpCode
            let lo = value(ct, [i.codes.lowerBound], bigEndian: true)
            let code: NFTExpr = i.codes.count == 1 ? lo : .range(lo, value(ct, [i.codes.upperBound], bigEndian: true))
            out.append(.match(field(proto, "code", ct, offset: 8, length: 8), .implicit, code))
        }
        return out
    }

    /// `ct state` from x_tables state bits (invalid 1, established 2, related 4,
    /// new 8 as nft's; untracked at `untrackedBit`, nft's 64). Other bits: nil.
    static func ctState(_ mask: UInt32, untrackedBit: UInt32, invert: Bool) -> NFTStmt? {
        guard mask != 0, mask & ~(0xf | untrackedBit) == 0 else { return nil }
        var bits = mask & 0xf
        if mask & untrackedBit != 0 { bits |= 64 }
        return .match(.ct(key: "state", direction: nil, type: .ctState), invert ? .neq : .implicit,
            value(.ctState, le32(bits), bigEndian: false))
    }

    static func conntrack(_ c: XTMatch.Conntrack) -> [NFTStmt]? {
        typealias F = XTMatch.Conntrack.Flags
        let supported: F = [.state, .proto, .status, .direction, .stateAlias]
        guard c.matchFlags.subtracting(supported).isEmpty else { return nil }
        var out: [NFTStmt] = []
        if c.matchFlags.contains(.state) {
            guard let s = ctState(c.stateMask.rawValue, untrackedBit: 1 << 8, invert: c.invertFlags.contains(.state))
            else { return nil }
            out.append(s)
        }
        if c.matchFlags.contains(.direction) {
            let reply = c.invertFlags.contains(.direction)
            out.append(.match(.ct(key: "direction", direction: nil, type: .ctDir), .implicit,
                value(.ctDir, [reply ? 1 : 0], bigEndian: false)))
        }
        if c.matchFlags.contains(.status) {
            guard c.statusMask != 0 else { return nil }
            out.append(.match(.ct(key: "status", direction: nil, type: .ctStatus),
                c.invertFlags.contains(.status) ? .neq : .implicit,
                value(.ctStatus, le32(UInt32(c.statusMask)), bigEndian: false)))
        }
        if c.matchFlags.contains(.proto) {
            guard c.l4proto <= 0xff else { return nil }
            out.append(.match(.ct(key: "protocol", direction: "original", type: .inetProto),
                c.invertFlags.contains(.proto) ? .neq : .implicit,
                value(.inetProto, [UInt8(c.l4proto)], bigEndian: true)))
        }
        return out.isEmpty ? nil : out
    }

    /// `xt_rateinfo.avg` is the period per packet in 1/10000 s: a rate per unit
    /// only when it divides exactly.
    static func limit(_ l: XTMatch.Limit) -> NFTLimit? {
        guard l.average > 0 else { return nil }
        for unit: UInt64 in [1, 60, 3600, 86400] {
            let scaled = 10_000 * unit
            if scaled % UInt64(l.average) == 0 {
                return NFTLimit(rate: scaled / UInt64(l.average), unit: unit, burst: l.burst, bytes: false, over: false)
            }
        }
        return nil
    }

    // MARK: - Targets

    /// ipt_reject_with → icmp code; ip6t_reject_with → icmpv6 code (`tcp-reset` separately).
    static let rejectCodes4: [UInt32: UInt8] = [0: 0, 1: 1, 2: 2, 3: 3, 5: 9, 6: 10, 8: 13]
    static let rejectCodes6: [UInt32: UInt8] = [0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 7: 5, 8: 6]

    static func target(_ t: XTTarget, family: Family) -> NFTStmt? {
        switch t {
        case .reject(let r):
            let v6 = r.family == .ip6
            if r.with == (v6 ? 6 : 7) { return .reject(NFTReject(type: 1, code: 0, family: r.family, verbose: false)) }
            guard let code = (v6 ? rejectCodes6 : rejectCodes4)[r.with] else { return nil }
            return .reject(NFTReject(type: 0, code: code, family: v6 ? .ip6 : .ip, verbose: false))
        case .log(let l):
            // XT_LOG_NFLOG (0x10) has no nft spelling.
            guard l.level <= 7, l.flags & ~0x2f == 0 else { return nil }
            return .log(
                NFTLog(prefix: l.prefix.isEmpty ? nil : l.prefix, group: nil, snaplen: nil, queueThreshold: nil,
                    level: UInt32(l.level), flags: UInt32(l.flags & 0x2f)))
        case .masquerade(let r):
            return nat(.masquerade, r, family: family, allowAddress: false)
        case .redirect(let r):
            return nat(.redirect, r, family: family, allowAddress: false)
        case .snat(let rs):
            guard rs.count == 1 else { return nil }
            return nat(.snat, rs[0], family: family, allowAddress: true)
        case .dnat(let rs):
            guard rs.count == 1 else { return nil }
            return nat(.dnat, rs[0], family: family, allowAddress: true)
        case .mark(let v, let mask):
            // MARK --set-xmark value/mask: mark = (mark & ~mask) ^ value, the kernel
            // bitwise nft prints as `& M | X` when the xor bits are cleared first,
            // else `& M ^ X` (each part left out when it changes nothing).
            let mark = meta("mark", .mark)
            let ones: UInt32 = 0xffff_ffff
            let keep = ~mask
            func and(_ m: UInt32) -> NFTExpr { m == ones ? mark : .binop(.and, mark, value(.mark, le32(m), bigEndian: false)) }
            let expr: NFTExpr
            if keep == 0 {
                expr = value(.mark, le32(v), bigEndian: false)
            } else if v == 0 {
                expr = and(keep)
            } else if v & keep == 0 {
                expr = .binop(.or, and(keep | v), value(.mark, le32(v), bigEndian: false))
            } else {
                expr = .binop(.xor, and(keep), value(.mark, le32(v), bigEndian: false))
            }
            return .metaSet(key: "mark", qualified: true, expr)
        case .standard, .opaque:
            return nil
        }
    }

    static func nat(_ kind: NFTNat.Kind, _ r: XTTarget.NATRange, family: Family, allowAddress: Bool) -> NFTStmt? {
        // NF_NAT_RANGE_MAP_IPS 1, PROTO_SPECIFIED 2, random 4, persistent 8, fully random 0x10, offset 0x20.
        guard r.flags & ~0x1f == 0 else { return nil }
        var address: NFTExpr?
        if r.flags & 1 != 0 {
            guard allowAddress else { return nil }
            let type: NFTDatatype = r.family == .ip6 ? .ipv6Addr : .ipv4Addr
            let lo = value(type, r.minAddress, bigEndian: true)
            if r.minAddress == r.maxAddress {
                address = lo
            } else if let bits = prefixLength(r.minAddress, r.maxAddress) {
                address = .prefix(lo, length: bits)
            } else {
                address = .range(lo, value(type, r.maxAddress, bigEndian: true))
            }
        }
        var port: NFTExpr?
        if r.flags & 2 != 0 { port = ports(r.minPort...max(r.minPort, r.maxPort)) }
        return .nat(NFTNat(kind: kind, family: nil, address: address, port: port, flags: r.flags & 0x1c, mapsBoth: false))
    }

    /// The prefix length when `lo`…`hi` is exactly one prefix (nft prints such a range as `a/len`).
    static func prefixLength(_ lo: [UInt8], _ hi: [UInt8]) -> Int? {
        guard lo.count == hi.count else { return nil }
        var bits = 0
        var i = 0
        while i < lo.count * 8 {
            let byte = i / 8
            let bit = UInt8(7 - i % 8)
            if (lo[byte] >> bit) & 1 != (hi[byte] >> bit) & 1 { break }
            bits += 1
            i += 1
        }
        while i < lo.count * 8 {
            let byte = i / 8
            let bit = UInt8(7 - i % 8)
            if (lo[byte] >> bit) & 1 != 0 || (hi[byte] >> bit) & 1 != 1 { return nil }
            i += 1
        }
        return bits
    }
}
