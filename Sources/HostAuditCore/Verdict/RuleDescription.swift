/// A brief nft-like description of one rule, made from its expressions.
///
/// Stand-in until the nft text renderer can render a single rule: everything
/// that needs rule text goes through `describe(_:in:)`, so the swap is one line.
public enum RuleDescription {
    public static func describe(_ rule: Rule, in table: Table) -> String {
        var d = Describer(table: table)
        for e in rule.expressions { d.add(e) }
        var text = d.parts.joined(separator: " ")
        if let c = rule.comment { text += " comment \"\(c)\"" }
        return text.isEmpty ? "(empty rule)" : text
    }

    struct Describer {
        let table: Table
        var parts: [String] = []
        /// What each 32-bit slot holds: (description, kind) where kind picks the value format.
        var regs: [Int: (String, Kind)] = [:]

        enum Kind { case addr, port, int, hostInt, name, proto, ctstate, raw }

        mutating func add(_ e: Expression) {
            switch e {
            case .meta(let m):
                if let d = m.dreg {
                    let names: [UInt32: (String, Kind)] = [
                        3: ("meta mark", .hostInt), 4: ("iif", .hostInt), 5: ("oif", .hostInt), 6: ("iifname", .name),
                        7: ("oifname", .name), 10: ("meta skuid", .hostInt), 11: ("meta skgid", .hostInt),
                        15: ("meta nfproto", .proto), 16: ("meta l4proto", .proto),
                    ]
                    regs[d.slot] = names[m.key] ?? ("meta \(m.key)", .raw)
                } else {
                    parts.append("meta \(m.key == 3 ? "mark" : m.key == 12 ? "nftrace" : "\(m.key)") set …")
                }
            case .payload(let p):
                guard let d = p.dreg else {
                    parts.append("payload set")
                    return
                }
                regs[d.slot] = payloadName(p)
            case .cmp(let c):
                let (name, kind) = regs[c.sreg.slot] ?? ("reg \(c.sreg.raw)", .raw)
                if name.hasPrefix("meta l4proto") || name.hasPrefix("meta nfproto") || name == "ip protocol" {
                    // Dependencies nft folds away when a header field follows.
                    parts.append("\(name) \(c.op == .eq ? "" : c.op.symbol + " ")\(format(c.data, kind))")
                    return
                }
                parts.append("\(name) \(c.op == .eq ? "" : c.op.symbol + " ")\(format(c.data, kind))")
            case .bitwise(let b):
                if var r = regs[b.sreg.slot] {
                    if let mask = b.mask, r.1 == .addr { r.0 += "&\(prefixLength(mask))" }
                    else if r.1 == .ctstate { r.1 = .ctstate } else { r.0 += " & …" }
                    regs[b.dreg.slot] = r
                }
            case .range(let r):
                let (name, kind) = regs[r.sreg.slot] ?? ("reg \(r.sreg.raw)", .raw)
                parts.append("\(name) \(r.isNegated ? "!= " : "")\(format(r.from, kind))-\(format(r.to, kind))")
            case .lookup(let l):
                let (name, _) = regs[l.sreg.slot] ?? ("reg \(l.sreg.raw)", .raw)
                let setName = l.set.hasPrefix("__") ? "{…\(l.set)}" : "@\(l.set)"
                if l.isVerdictMap { parts.append("\(name) vmap \(setName)") }
                else if l.dreg != nil { parts.append("\(name) map \(setName)") }
                else { parts.append("\(name) \(l.isInverted ? "!= " : "")\(setName)") }
            case .immediate(let i):
                if i.dreg.isVerdict, let v = i.verdict {
                    parts.append(v.chain.map { "\(v.name) \($0)" } ?? v.name)
                }
            case .counter: parts.append("counter")
            case .ct(let c):
                if let d = c.dreg {
                    let names: [UInt32: String] = [0: "ct state", 1: "ct direction", 2: "ct status", 3: "ct mark"]
                    regs[d.slot] = (names[c.key] ?? "ct \(c.key)", c.key == 0 ? .ctstate : .hostInt)
                } else {
                    parts.append("ct \(c.key) set …")
                }
            case .reject(let r): parts.append(r.type == 1 ? "reject with tcp reset" : "reject")
            case .log(let l): parts.append(l.prefix.map { "log prefix \"\($0)\"" } ?? "log")
            case .limit(let l): parts.append("limit rate \(l.rate)/\(l.unit)s")
            case .quota(let q): parts.append("quota \(q.bytes) bytes")
            case .nat(let n): parts.append(n.isSNAT ? "snat" : "dnat")
            case .masq: parts.append("masquerade")
            case .redir: parts.append("redirect")
            case .queue: parts.append("queue")
            case .dynset(let d): parts.append("update @\(d.set)")
            case .objref(let o): parts.append("\(o.name.map { "obj \($0)" } ?? "objref")")
            case .fib(let f): regs[f.dreg.slot] = ("fib", .raw)
            case .socket(let s): regs[s.dreg.slot] = ("socket", .raw)
            case .exthdr(let x): if let d = x.dreg { regs[d.slot] = ("exthdr", .raw) }
            case .match(let x): parts.append("xt match \"\(x.name)\"")
            case .target(let x): parts.append("xt target \"\(x.name)\"")
            case .opaque(let name, _): parts.append(name)
            }
        }

        func payloadName(_ p: Expression.Payload) -> (String, Kind) {
            let v6 = table.family == .ip6
            switch (p.base, p.offset, p.length) {
            case (1, 9, 1) where !v6: return ("ip protocol", .proto)
            case (1, 12, _) where !v6 && p.length <= 4: return ("ip saddr", .addr)
            case (1, 16, _) where !v6 && p.length <= 4: return ("ip daddr", .addr)
            case (1, 6, 1): return ("ip6 nexthdr", .proto)
            case (1, 8, _) where p.length <= 16 && (v6 || table.family == .inet): return ("ip6 saddr", .addr)
            case (1, 24, _) where p.length <= 16: return ("ip6 daddr", .addr)
            case (2, 0, 2): return ("th sport", .port)
            case (2, 2, 2): return ("th dport", .port)
            case (2, 13, 1): return ("tcp flags", .raw)
            default: return ("@\(["ll", "nh", "th", "ih"][Int(min(p.base, 3))]),\(p.offset * 8),\(p.length * 8)", .raw)
            }
        }

        func prefixLength(_ mask: [UInt8]) -> String {
            "/\(mask.reduce(0) { $0 + $1.nonzeroBitCount })"
        }

        func format(_ data: [UInt8], _ kind: Kind) -> String {
            switch kind {
            case .addr:
                if let a = IPAddress(bytes: data) { return a.description }
                if data.count < 4 { return (data + [UInt8](repeating: 0, count: 4 - data.count)).map(String.init).joined(separator: ".") + "/\(data.count * 8)" }
                if data.count < 16 { return IPAddress(bytes: data + [UInt8](repeating: 0, count: 16 - data.count)).map { "\($0)/\(data.count * 8)" } ?? hex(data) }
                return hex(data)
            case .port where data.count == 2: return "\(UInt16(data[0]) << 8 | UInt16(data[1]))"
            case .proto where data.count == 1:
                let names: [UInt8: String] = [6: "tcp", 17: "udp", 1: "icmp", 58: "ipv6-icmp", 2: "ipv4", 10: "ipv6"]
                return names[data[0]] ?? "\(data[0])"
            case .hostInt where data.count == 4:
                return "\(data.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })"
            case .name:
                return "\"\(String(decoding: data.prefix { $0 != 0 }, as: UTF8.self))\""
            case .ctstate where data.count == 4:
                let v = data.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
                let names: [(UInt32, String)] = [(1, "invalid"), (2, "established"), (4, "related"), (8, "new"), (64, "untracked")]
                let s = names.filter { v & $0.0 != 0 }.map(\.1)
                return s.isEmpty ? "0x\(String(v, radix: 16))" : s.joined(separator: ",")
            default:
                return hex(data)
            }
        }

        func hex(_ d: [UInt8]) -> String {
            "0x" + d.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
    }
}
