import Foundation

/// iptables-save's text for tables, rules, matches and targets (iptables 1.8.9:
/// `xtables-save`, `iptables-save` and each extension's `save` function).
package enum IptablesSaveFormat {
    /// `*table` … `COMMIT`. In `strict` mode a rule with an undecoded match or
    /// target makes the whole table nil (the caller prints it another way);
    /// otherwise the undecoded part is marked in place.
    package static func table(_ table: IptablesTable, strict: Bool) -> String? {
        var out = "*\(table.name)\n"
        for c in table.chains {
            out += ":\(c.name) \(c.policy ?? "-") [\(c.packets):\(c.bytes)]\n"
        }
        for c in table.chains {
            for r in c.rules {
                guard let line = rule(r, chain: c.name, family: table.family, strict: strict) else { return nil }
                out += line + "\n"
            }
        }
        return out + "COMMIT\n"
    }

    /// One `-A CHAIN …` line without newline.
    package static func rule(_ r: IptablesRule, chain: String, family: Family, strict: Bool = true) -> String? {
        if let text = r.nftText {
            // A native nft rule iptables cannot express: in place, as a comment
            // (iptables-restore skips it), in nft syntax.
            if strict { return nil }
            return "# -A \(chain), in nft syntax (no iptables form): " + text
        }
        var s = "-A \(chain)"
        if let a = r.source ?? (r.invertSource ? zeroAddress(family) : nil) {
            s += address("s", a, invert: r.invertSource, family: family)
        }
        if let a = r.destination ?? (r.invertDestination ? zeroAddress(family) : nil) {
            s += address("d", a, invert: r.invertDestination, family: family)
        }
        if let i = r.inInterface { s += (r.invertIn ? " !" : "") + " -i \(i)" }
        if let o = r.outInterface { s += (r.invertOut ? " !" : "") + " -o \(o)" }
        if let p = r.proto, p != 0 { s += (r.invertProto ? " !" : "") + " -p \(protocolName(p))" }
        if let f = r.fragment { s += f ? " -f" : " ! -f" }
        for m in r.matches {
            let raw: RawExtension? = if case .opaque(let n, let v, let i) = m { (n, v, i) } else { nil }
            let fromRaw = { XTSaveText.match(name: $0, revision: $1, info: $2, family: family, proto: r.proto) }
            guard let text = extensionText("-m", m.name, match(m, family: family), raw, strict, fromRaw) else { return nil }
            s += text
        }
        switch r.target {
        case .none: break
        case .accept: s += " -j ACCEPT"
        case .drop: s += " -j DROP"
        case .return: s += " -j RETURN"
        case .queue: s += " -j QUEUE"
        case .jump(let c): s += " -j \(c)"
        case .goto(let c): s += " -g \(c)"
        case .extension(let t):
            let raw: RawExtension? = if case .opaque(let n, let v, let i) = t { (n, v, i) } else { nil }
            let fromRaw = { XTSaveText.target(name: $0, revision: $1, info: $2, family: family, proto: r.proto) }
            guard let text = extensionText("-j", t.name, target(t, family: family), raw, strict, fromRaw) else { return nil }
            s += text
        }
        return s
    }

    /// What stands in place of an extension's options hostaudit cannot print.
    /// An undecoded match's or target's name, revision and raw `xt_*` struct.
    typealias RawExtension = (name: String, revision: UInt32, info: [UInt8])

    /// ` -m name options` (`flag` -m or -j) for a match or target: its decoded
    /// options, else its text from the raw struct when hostaudit knows only
    /// that (`fromRaw`), else the undecoded mark; nil in strict mode when
    /// there is no text.
    static func extensionText(
        _ flag: String, _ name: String, _ decoded: String?, _ raw: RawExtension?, _ strict: Bool,
        _ fromRaw: (String, UInt32, [UInt8]) -> XTSaveText.Text?
    ) -> String? {
        if let decoded { return " \(flag) \(name)" + decoded }
        if let raw, let text = fromRaw(raw.name, raw.revision, raw.info) { return " \(flag) \(text.name)" + text.options }
        if strict { return nil }
        guard let raw else { return " \(flag) \(name) [undecoded]" }
        return " \(flag) \(raw.name) \(undecodedMark(revision: raw.revision, size: raw.info.count))"
    }

    static func undecodedMark(revision: UInt32, size: Int) -> String {
        "[undecoded: revision \(revision), \(size) bytes]"
    }

    /// Whether the rule prints completely (every extension's options known).
    package static func undecodedExtensions(_ r: IptablesRule, family: Family) -> [String] {
        var out: [String] = []
        for m in r.matches where match(m, family: family) == nil {
            if case .opaque(let name, let rev, let info) = m,
                XTSaveText.match(name: name, revision: rev, info: info, family: family, proto: r.proto) != nil
            {
                continue
            }
            out.append("match \(m.name)")
        }
        if case .extension(let t) = r.target, target(t, family: family) == nil {
            if case .opaque(let name, let rev, let info) = t,
                XTSaveText.target(name: name, revision: rev, info: info, family: family, proto: r.proto) != nil
            {
                return out
            }
            out.append("target \(t.name)")
        }
        return out
    }

    static func zeroAddress(_ family: Family) -> XTMatch.AddressMask {
        let n = family == .ip6 ? 16 : 4
        return XTMatch.AddressMask(address: [UInt8](repeating: 0, count: n), mask: [UInt8](repeating: 0, count: n))
    }

    static func address(_ letter: Character, _ a: XTMatch.AddressMask, invert: Bool, family: Family) -> String {
        if !invert && a.address.allSatisfy({ $0 == 0 }) && a.mask.allSatisfy({ $0 == 0 }) { return "" }
        return (invert ? " !" : "") + " -\(letter) " + addressText(a.address) + maskText(a.mask)
    }

    // MARK: - Addresses

    /// `inet_ntop` for 4 or 16 bytes.
    package static func addressText(_ bytes: [UInt8]) -> String {
        if bytes.count == 16 { return ipv6Text(bytes) }
        return bytes.prefix(4).map(String.init).joined(separator: ".")
    }

    /// `xtables_ipmask_to_numeric` / `xtables_ip6mask_to_numeric`: `/N` for a
    /// prefix, else the mask written as an address.
    package static func maskText(_ mask: [UInt8]) -> String {
        if let bits = prefixLength(mask) { return "/\(bits)" }
        return "/" + addressText(mask)
    }

    static func prefixLength(_ mask: [UInt8]) -> Int? {
        var bits = 0
        var ended = false
        for byte in mask {
            for i in (0..<8).reversed() {
                if byte & (1 << i) != 0 {
                    if ended { return nil }
                    bits += 1
                } else {
                    ended = true
                }
            }
        }
        return bits
    }

    /// glibc's `inet_ntop(AF_INET6)`, as iptables-save prints it.
    static func ipv6Text(_ b: [UInt8]) -> String {
        IPAddress(bytes: Array(b.prefix(16)))?.inetNtopText ?? ""
    }

    // MARK: - Protocols

    /// `/etc/protocols` (Debian netbase) names iptables prints via `getprotobynumber`.
    static let protocolNames: [UInt16: String] = [
        1: "icmp", 2: "igmp", 3: "ggp", 4: "ipencap", 5: "st", 6: "tcp", 8: "egp", 9: "igp", 12: "pup", 17: "udp",
        20: "hmp", 22: "xns-idp", 27: "rdp", 29: "iso-tp4", 33: "dccp", 36: "xtp", 37: "ddp", 38: "idpr-cmtp",
        41: "ipv6", 43: "ipv6-route", 44: "ipv6-frag", 45: "idrp", 46: "rsvp", 47: "gre", 50: "esp", 51: "ah",
        57: "skip", 58: "ipv6-icmp", 59: "ipv6-nonxt", 60: "ipv6-opts", 73: "rspf", 81: "vmtp", 88: "eigrp",
        89: "ospf", 93: "ax.25", 94: "ipip", 97: "etherip", 98: "encap", 103: "pim", 108: "ipcomp", 112: "vrrp",
        115: "l2tp", 124: "isis", 132: "sctp", 133: "fc", 135: "mobility-header", 136: "udplite",
        137: "mpls-in-ip", 138: "manet", 139: "hip", 140: "shim6", 141: "wesp", 142: "rohc", 143: "ethernet",
    ]

    package static func protocolName(_ p: UInt16) -> String { protocolNames[p] ?? String(p) }

    // MARK: - Matches

    /// The text after `-m NAME` (starting with a space), or nil when undecoded.
    package static func match(_ m: XTMatch, family: Family) -> String? {
        switch m {
        case .opaque: return nil
        case .conntrack(let c): return conntrack(c)
        case .state(let mask): return " --state" + states(mask)
        case .comment(let c): return " --comment" + quoted(c)
        case .multiport(let mp):
            var s = mp.invert ? " !" : ""
            switch mp.direction {
            case .source: s += " --sports "
            case .destination: s += " --dports "
            case .either: s += " --ports "
            }
            s += mp.ports.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound):\($0.upperBound)" }
                .joined(separator: ",")
            return s
        case .tcp(let t):
            var s = ports("sport", t.sourcePorts, invert: t.invertFlags & 1 != 0)
            s += ports("dport", t.destinationPorts, invert: t.invertFlags & 2 != 0)
            if t.option != 0 || t.invertFlags & 8 != 0 {
                s += (t.invertFlags & 8 != 0 ? " !" : "") + " --tcp-option \(t.option)"
            }
            if t.flagMask != 0 || t.invertFlags & 4 != 0 {
                s += (t.invertFlags & 4 != 0 ? " !" : "") + " --tcp-flags " + tcpFlags(t.flagMask) + " "
                    + tcpFlags(t.flagCompare)
            }
            return s
        case .udp(let u):
            return ports("sport", u.sourcePorts, invert: u.invertFlags & 1 != 0)
                + ports("dport", u.destinationPorts, invert: u.invertFlags & 2 != 0)
        case .icmp(let i):
            var s = i.invert ? " !" : ""
            // iptables 1.8.9 prints type 255 as `any` whatever its codes.
            if i.type == 0xff { return s + " --icmp-type any" }
            s += " --icmp-type \(i.type)"
            if i.codes != 0...0xff { s += "/\(i.codes.lowerBound)" }
            return s
        case .icmp6(let i):
            var s = (i.invert ? " !" : "") + " --icmpv6-type \(i.type)"
            if i.codes != 0...0xff { s += "/\(i.codes.lowerBound)" }
            return s
        case .mark(let mk):
            return (mk.invert ? " !" : "") + " --mark" + markText(mk.mark, mk.mask)
        case .owner(let o):
            var s = ""
            for (label, flag) in [("--socket-exists", 4), ("--uid-owner", 1), ("--gid-owner", 2), ("--suppl-groups", 8)]
            where o.match & UInt8(flag) != 0 {
                s += (o.invert & UInt8(flag) != 0 ? " !" : "") + " " + label
                if flag == 1 {
                    s += o.uid.lowerBound == o.uid.upperBound ? " \(o.uid.lowerBound)" : " \(o.uid.lowerBound)-\(o.uid.upperBound)"
                } else if flag == 2 {
                    s += o.gid.lowerBound == o.gid.upperBound ? " \(o.gid.lowerBound)" : " \(o.gid.lowerBound)-\(o.gid.upperBound)"
                }
            }
            return s
        case .addrtype(let a):
            var s = ""
            if a.source != 0 { s += (a.flags & 1 != 0 ? " !" : "") + " --src-type " + addrTypes(a.source) }
            if a.destination != 0 { s += (a.flags & 2 != 0 ? " !" : "") + " --dst-type " + addrTypes(a.destination) }
            if a.flags & 4 != 0 { s += " --limit-iface-in" }
            if a.flags & 8 != 0 { s += " --limit-iface-out" }
            return s
        case .limit(let l):
            var s = " --limit " + rate(l.average)
            if l.burst != 5 { s += " --limit-burst \(l.burst)" }
            return s
        case .statistic(let st):
            if st.mode == 0 {
                let p = String(format: "%.11f", Double(st.probability) / Double(0x8000_0000))
                return " --mode random" + (st.invert ? " !" : "") + " --probability " + p
            }
            return " --mode nth" + (st.invert ? " !" : "") + " --every \(UInt64(st.every) + 1) --packet \(st.packet)"
        }
    }

    static func ports(_ opt: String, _ r: ClosedRange<UInt16>, invert: Bool) -> String {
        guard r != 0...0xffff else { return "" }
        let v = r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound):\(r.upperBound)"
        return (invert ? " !" : "") + " --\(opt) " + v
    }

    static func tcpFlags(_ flags: UInt8) -> String {
        let names: [(String, UInt8)] = [("FIN", 1), ("SYN", 2), ("RST", 4), ("PSH", 8), ("ACK", 0x10), ("URG", 0x20)]
        var parts: [String] = []
        for (n, f) in names where flags & f != 0 { parts.append(n) }
        return parts.isEmpty ? "NONE" : parts.joined(separator: ",")
    }

    static func markText(_ mark: UInt32, _ mask: UInt32) -> String {
        mask == 0xffff_ffff ? " 0x" + String(mark, radix: 16) : " 0x\(String(mark, radix: 16))/0x\(String(mask, radix: 16))"
    }

    static func addrTypes(_ mask: UInt16) -> String {
        let names = [
            "UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST", "BLACKHOLE", "UNREACHABLE", "PROHIBIT",
            "THROW", "NAT", "XRESOLVE",
        ]
        return names.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element).joined(separator: ",")
    }

    /// libxt_limit `print_rate`.
    static func rate(_ period: UInt32) -> String {
        guard period != 0 else { return "inf" }
        let rates: [(String, UInt32)] = [("day", 10000 * 86400), ("hour", 10000 * 3600), ("min", 10000 * 60), ("sec", 10000)]
        var i = 1
        while i < rates.count {
            if period > rates[i].1 || rates[i].1 / period < rates[i].1 % period { break }
            i += 1
        }
        return "\(rates[i - 1].1 / period)/\(rates[i - 1].0)"
    }

    static func states(_ mask: XTMatch.StateMask) -> String {
        let names: [(String, XTMatch.StateMask)] = [
            ("INVALID", .invalid), ("NEW", .new), ("RELATED", .related), ("ESTABLISHED", .established),
            ("UNTRACKED", .untracked), ("SNAT", .snat), ("DNAT", .dnat),
        ]
        let parts = names.filter { mask.contains($0.1) }.map(\.0)
        return parts.isEmpty ? "" : " " + parts.joined(separator: ",")
    }

    static func conntrack(_ c: XTMatch.Conntrack) -> String {
        var s = ""
        func inv(_ f: XTMatch.Conntrack.Flags) -> String { c.invertFlags.contains(f) ? " !" : "" }
        let m = c.matchFlags
        if m.contains(.state) { s += inv(.state) + (c.isStateAlias ? " --state" : " --ctstate") + states(c.stateMask) }
        if m.contains(.proto) { s += inv(.proto) + " --ctproto \(c.l4proto)" }
        for (flag, opt, am) in [
            (XTMatch.Conntrack.Flags.origSrc, "ctorigsrc", c.origSrc), (.origDst, "ctorigdst", c.origDst),
            (.replSrc, "ctreplsrc", c.replSrc), (.replDst, "ctrepldst", c.replDst),
        ] where m.contains(flag) {
            // xtables_ipmask_to_numeric omits a full-length mask ("/32", "/128").
            let full = am.mask.allSatisfy { $0 == 0xff }
            s += inv(flag) + " --\(opt) " + addressText(am.address) + (full ? "" : maskText(am.mask))
        }
        for (flag, opt, r) in [
            (XTMatch.Conntrack.Flags.origSrcPort, "ctorigsrcport", c.origSrcPort),
            (.origDstPort, "ctorigdstport", c.origDstPort), (.replSrcPort, "ctreplsrcport", c.replSrcPort),
            (.replDstPort, "ctrepldstport", c.replDstPort),
        ] where m.contains(flag) {
            s += inv(flag) + " --\(opt) " + (r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound):\(r.upperBound)")
        }
        if m.contains(.status) {
            s += inv(.status) + " --ctstatus"
            let names: [(String, UInt16)] = [("EXPECTED", 1), ("SEEN_REPLY", 2), ("ASSURED", 4), ("CONFIRMED", 8)]
            let parts = names.filter { c.statusMask & $0.1 != 0 }.map(\.0)
            s += c.statusMask == 0 ? " NONE" : (parts.isEmpty ? "" : " " + parts.joined(separator: ","))
        }
        if m.contains(.expires) {
            s += inv(.expires) + " --ctexpire "
                + (c.expiresMin == c.expiresMax ? "\(c.expiresMin)" : "\(c.expiresMin):\(c.expiresMax)")
        }
        if m.contains(.direction) { s += c.invertFlags.contains(.direction) ? " --ctdir REPLY" : " --ctdir ORIGINAL" }
        return s
    }

    /// `xtables_save_string`: bare when only `[A-Za-z0-9_-]`, else double-quoted
    /// with `"`, `\` and `'` backslash-escaped.
    package static func quoted(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" || $0 == "-"
        }
        if plain { return " " + value }
        var out = " \""
        for ch in value {
            if ch == "\"" || ch == "\\" || ch == "'" { out.append("\\") }
            out.append(ch)
        }
        return out + "\""
    }

    // MARK: - Targets

    static let rejectNames4: [UInt32: String] = [
        0: "icmp-net-unreachable", 1: "icmp-host-unreachable", 2: "icmp-proto-unreachable",
        3: "icmp-port-unreachable", 5: "icmp-net-prohibited", 6: "icmp-host-prohibited", 7: "tcp-reset",
        8: "icmp-admin-prohibited",
    ]
    static let rejectNames6: [UInt32: String] = [
        0: "icmp6-no-route", 1: "icmp6-adm-prohibited", 2: "icmp6-not-neighbour", 3: "icmp6-addr-unreachable",
        4: "icmp6-port-unreachable", 6: "tcp-reset", 7: "icmp6-policy-fail", 8: "icmp6-reject-route",
    ]

    /// The text after `-j NAME`, or nil when undecoded.
    package static func target(_ t: XTTarget, family: Family) -> String? {
        switch t {
        case .opaque, .standard: return nil
        case .reject(let r):
            guard let name = (r.family == .ip6 ? rejectNames6 : rejectNames4)[r.with] else { return nil }
            return " --reject-with " + name
        case .log(let l):
            var s = ""
            if !l.prefix.isEmpty { s += " --log-prefix" + quoted(l.prefix) }
            if l.level != 4 { s += " --log-level \(l.level)" }
            for (flag, opt) in [
                (UInt8(1), "--log-tcp-sequence"), (2, "--log-tcp-options"), (4, "--log-ip-options"), (8, "--log-uid"),
                (0x20, "--log-macdecode"),
            ] where l.flags & flag != 0 {
                s += " " + opt
            }
            return s
        case .masquerade(let r), .redirect(let r):
            var s = ""
            if r.flags & 2 != 0 {
                s += " --to-ports \(r.minPort)" + (r.maxPort != r.minPort ? "-\(r.maxPort)" : "")
            }
            return s + natFlags(r.flags)
        case .snat(let ranges), .dnat(let ranges):
            let opt = t.name == "SNAT" ? " --to-source " : " --to-destination "
            var s = ""
            for r in ranges {
                let text = natRange(r)
                if !text.isEmpty { s += opt + text }
            }
            // libipt_SNAT / libip6t_SNAT print --random-fully before --persistent.
            return s + natFlags(ranges.first?.flags ?? 0, fullyBeforePersistent: t.name == "SNAT")
        case .mark(let value, let mask):
            return " --set-xmark 0x\(String(value, radix: 16))/0x\(String(mask, radix: 16))"
        }
    }

    static func natFlags(_ flags: UInt32, fullyBeforePersistent: Bool = false) -> String {
        var s = ""
        if flags & 4 != 0 { s += " --random" }
        if fullyBeforePersistent, flags & 0x10 != 0 { s += " --random-fully" }
        if flags & 8 != 0 { s += " --persistent" }
        if !fullyBeforePersistent, flags & 0x10 != 0 { s += " --random-fully" }
        return s
    }

    static func natRange(_ r: XTTarget.NATRange) -> String {
        let brackets = r.family == .ip6 && r.flags & 2 != 0
        var s = ""
        if r.flags & 1 != 0 {
            if brackets { s += "[" }
            s += addressText(r.minAddress)
            if r.maxAddress != r.minAddress { s += "-" + addressText(r.maxAddress) }
            if brackets { s += "]" }
        }
        if r.flags & 2 != 0 {
            s += ":\(r.minPort)"
            if r.maxPort != r.minPort { s += "-\(r.maxPort)" }
            if r.flags & 0x20 != 0 { s += "/\(r.basePort)" }
        }
        return s
    }
}
