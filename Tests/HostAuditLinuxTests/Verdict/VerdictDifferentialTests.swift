import Foundation
import HostAuditTestSupport
import Testing

/// Random rulesets: several base chains (output and postrouting, priorities
/// around conntrack's, accept/drop policies), user chains with jump, goto and
/// return, named and anonymous sets (intervals, concatenations), prefixes,
/// port ranges, ct state, verdict maps, reject/drop/accept.
///
/// Every output/postrouting base chain starts with two rules that let replies
/// and ICMP errors through (`tcp flags & ack == ack accept`, ICMP accept).
/// Most rulesets (3 in 4) also get input and prerouting base chains (priority
/// -150 or later, where a loopback packet and a received one both carry
/// their conntrack entry) that let new connections, ICMP and resets in and
/// then decide the SYN-ACK with random rules: a real connect's outcome is
/// then the first packet's fate going out and the SYN-ACK's coming back.
///
/// Every fourth ruleset is legacy x_tables instead (`iptables-legacy-restore`,
/// filter and mangle, OUTPUT/POSTROUTING/INPUT, user chains), which the
/// kernel's trace cannot see: those are checked against the real packets only.
struct RulesetGenerator {
    var rng: SeededRandom
    private(set) var usesLimit = false

    init(seed: UInt64) { rng = SeededRandom(seed: seed) }

    mutating func pick<T>(_ a: [T]) -> T { a.randomElement(using: &rng)! }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }

    struct UserChain {
        var name: String
        var hook: String
    }

    mutating func ruleset(withInput: Bool = false) -> String {
        var out = ""
        let families = (0..<int(1...3)).map { _ in pick(["inet", "inet", "ip", "ip6"]) }
        for (ti, family) in families.enumerated() {
            out += table(name: "t\(ti)", family: family, withInput: withInput)
        }
        return out
    }

    /// Input/prerouting chains deciding the answer (after the prelude that lets the SYN, ICMP and resets in).
    mutating func inputChains(v4: Bool, v6: Bool) -> String {
        var s = ""
        for b in 0..<int(1...2) {
            let hook = chance(0.25) ? "prerouting" : "input"
            let prio = hook == "input" ? pick([-150, 0, 0, 10, 150]) : pick([-150, -100, 0])
            let policy = chance(0.3) ? "drop" : "accept"
            s += "  chain i\(b) {\n    type filter hook \(hook) priority \(prio); policy \(policy);\n"
            s += "    ct state new accept\n    meta l4proto { icmp, ipv6-icmp } accept\n    tcp flags & rst == rst accept\n"
            for _ in 0..<int(1...5) {
                var l3s: [String?] = [nil]
                if v4 { l3s.append("ip") }
                if v6 { l3s.append("ip6") }
                let l3 = pick(l3s)
                var options = [
                    "th sport \(pick(VerdictLab.ports))", "th sport != \(pick(VerdictLab.ports))", "th sport @p",
                    "th sport \(pick(["8001-8004", "8005-8008"]))",
                    "th dport \(pick(["< 45000", ">= 45000", "1024-65535"]))",
                    "ct state \(pick(["established", "related", "{ established, related }", "!= established", "new"]))",
                    "ct direction \(pick(["original", "reply"]))", "iifname \(pick(["\"lo\"", "!= \"lo\""]))",
                    "meta mark \(pick(["0", "0x1"]))", "meta l4proto tcp", "tcp sport \(pick(VerdictLab.ports))",
                ]
                if l3 == "ip" {
                    options += ["ip saddr \(pick(VerdictLab.v4))", "ip daddr \(pick(VerdictLab.v4))", "ip saddr @a4", "ip saddr != \(pick(VerdictLab.v4))"]
                }
                if l3 == "ip6" { options += ["ip6 saddr \(pick(VerdictLab.v6))", "ip6 daddr \(pick(VerdictLab.v6))", "ip6 saddr @a6"] }
                var parts: [String] = []
                for _ in 0..<int(1...2) { parts.append(pick(options)) }
                if chance(0.3) { parts.append("counter") }
                parts.append(pick(["accept", "drop", "drop", "reject", ""]))
                s += "    " + parts.filter { !$0.isEmpty }.joined(separator: " ") + "\n"
            }
            s += "  }\n"
        }
        return s
    }

    mutating func table(name: String, family: String, withInput: Bool = false) -> String {
        let v4 = family != "ip6", v6 = family != "ip"
        var s = "table \(family) \(name) {\n"
        if v4 {
            s += "  set a4 { type ipv4_addr; flags interval; elements = { \(pick(["10.77.0.0/31, 10.77.1.1", "10.77.0.2, 127.0.0.0/8", "10.77.0.0/24, 127.0.0.1", "10.77.0.3, 10.77.0.1"])) } }\n"
            s += "  set c4 { type ipv4_addr . inet_service; elements = { 10.77.0.1 . \(pick(VerdictLab.ports)), \(pick(VerdictLab.v4.filter { $0 != "10.77.0.1" })) . \(pick(VerdictLab.ports)) } }\n"
        }
        if v6 {
            s += "  set a6 { type ipv6_addr; flags interval; elements = { \(pick(["fd77::/64, ::1", "fd77::2, fd77:1::1", "fd77::/16, ::1"])) } }\n"
        }
        s += "  set p { type inet_service; elements = { \(pick(["8001, 8002", "8003, 8007", "8005"])) } }\n"
        s += "  set pr { type inet_service; flags interval; elements = { \(pick(["8001-8003, 8006", "8002-8005, 8008", "8004-8008, 8001", "8003"])) } }\n"
        var users: [UserChain] = []
        for i in 0..<int(0...3) { users.append(UserChain(name: "u\(i)", hook: pick(["output", "postrouting"]))) }
        for (i, u) in users.enumerated() {
            s += "  chain \(u.name) {\n"
            let later = users[(i + 1)...].filter { $0.hook == u.hook }
            for _ in 0..<int(0...5) { s += "    " + rule(v4: v4, v6: v6, hook: u.hook, targets: later, inUser: true) + "\n" }
            s += "  }\n"
        }
        for b in 0..<int(1...3) {
            let hook = pick(["output", "output", "postrouting"])
            let prio = pick([-300, -250, -150, -10, 0, 0, 10, 50, 150])
            let policy = chance(0.3) ? "drop" : "accept"
            s += "  chain b\(b) {\n    type filter hook \(hook) priority \(prio); policy \(policy);\n"
            s += "    tcp flags & ack == ack accept\n    meta l4proto { icmp, ipv6-icmp } accept\n"
            let targets = users.filter { $0.hook == hook }
            for _ in 0..<int(1...6) { s += "    " + rule(v4: v4, v6: v6, hook: hook, targets: targets, inUser: false) + "\n" }
            s += "  }\n"
        }
        if withInput { s += inputChains(v4: v4, v6: v6) }
        return s + "}\n"
    }

    /// A legacy x_tables ruleset for `iptables-legacy-restore` (v6: ip6tables).
    mutating func legacy(v6: Bool) -> String {
        let addrs = v6 ? VerdictLab.v6 : VerdictLab.v4
        let icmp = v6 ? "ipv6-icmp" : "icmp"
        let nets = v6 ? ["fd77::/64", "fd77::/16", "::1/128"] : ["10.77.0.0/24", "10.77.0.0/31", "127.0.0.0/8"]
        func outMatch(_ proto: String?) -> String {
            var o = [
                "-d \(pick(addrs))", "! -d \(pick(addrs))", "-d \(pick(nets))", "-o lo", "! -o lo",
                "-m conntrack --ctstate \(pick(["NEW", "ESTABLISHED", "NEW,ESTABLISHED", "INVALID"]))",
                "-m state --state \(pick(["NEW", "ESTABLISHED"]))", "-m owner --uid-owner \(pick(["0", "1000"]))",
                "-m mark --mark \(pick(["0x0", "0x1"]))", "-m comment --comment c\(int(0...9))",
            ]
            if proto != nil {
                o += [
                    "--dport \(pick(VerdictLab.ports))", "--dport \(pick(["8001:8004", "8003:8008"]))",
                    "--sport \(pick(["1024:65535", "1:44999", "45000:65535"]))", "! --dport \(pick(VerdictLab.ports))",
                    "-m multiport --dports \(pick(VerdictLab.ports)),\(pick(VerdictLab.ports))",
                ]
            }
            return pick(o)
        }
        func inMatch(_ proto: String?) -> String {
            var o = [
                "-s \(pick(addrs))", "! -s \(pick(addrs))", "-d \(pick(nets))", "-i lo", "! -i lo",
                "-m conntrack --ctstate \(pick(["ESTABLISHED", "RELATED", "ESTABLISHED,RELATED", "NEW", "INVALID"]))",
                "-m state --state \(pick(["ESTABLISHED", "RELATED"]))", "-m mark --mark \(pick(["0x0", "0x1"]))",
            ]
            if proto != nil {
                o += [
                    "--sport \(pick(VerdictLab.ports))", "--sport \(pick(["8001:8004", "8005:8008"]))",
                    "--dport \(pick(["1024:65535", "1:44999", "45000:65535"]))",
                    "-m multiport --sports \(pick(VerdictLab.ports)),\(pick(VerdictLab.ports))",
                ]
            }
            return pick(o)
        }
        func line(_ chain: String, input: Bool, targets: [String], mangle: Bool = false) -> String {
            let proto = pick([nil, "tcp", "udp", "tcp"] as [String?])
            var parts = ["-A \(chain)"]
            if let proto { parts.append("-p \(proto)") }
            var keys = Set<String>()
            for _ in 0..<int(0...2) {
                let m = input ? inMatch(proto) : outMatch(proto)
                // iptables takes each option once: key by the option's name.
                let words = m.split(separator: " ").map(String.init).filter { $0 != "!" }
                // After `-m multiport`, iptables reads a bare --dport/--sport as multiport's too: one port option per rule.
                let key = m.contains("port") ? "ports" : words.first == "-m" ? words.prefix(3).joined(separator: " ") : words.first ?? m
                if keys.insert(key).inserted { parts.append(m) }
            }
            var t = pick(["-j ACCEPT", "-j DROP", "-j DROP", "-j REJECT", ""] + targets)
            if t == "-j REJECT" && proto == "tcp" && chance(0.5) { t += " --reject-with tcp-reset" }
            if mangle && t.hasPrefix("-j REJECT") { t = "-j DROP" }
            parts.append(t)
            return parts.filter { !$0.isEmpty }.joined(separator: " ")
        }
        let outPolicy = chance(0.25) ? "DROP" : "ACCEPT"
        let inPolicy = chance(0.3) ? "DROP" : "ACCEPT"
        let users = (0..<int(0...2)).map { "u\($0)" }
        var f = "*filter\n:INPUT \(inPolicy) [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT \(outPolicy) [0:0]\n"
        for u in users { f += ":\(u) - [0:0]\n" }
        f += "-A OUTPUT -p tcp --tcp-flags ACK ACK -j ACCEPT\n-A OUTPUT -p \(icmp) -j ACCEPT\n"
        for _ in 0..<int(1...6) { f += line("OUTPUT", input: false, targets: users.map { "-j \($0)" } + users.map { "-g \($0)" }) + "\n" }
        for (i, u) in users.enumerated() {
            let later = users[(i + 1)...].map { "-j \($0)" }
            for _ in 0..<int(0...4) { f += line(u, input: false, targets: ["-j RETURN"] + later) + "\n" }
        }
        f += "-A INPUT -m conntrack --ctstate NEW -j ACCEPT\n-A INPUT -p \(icmp) -j ACCEPT\n-A INPUT -p tcp --tcp-flags RST RST -j ACCEPT\n"
        for _ in 0..<int(0...5) { f += line("INPUT", input: true, targets: []) + "\n" }
        f += "COMMIT\n"
        if chance(0.5) {
            f += "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
            f += "-A OUTPUT -p tcp --tcp-flags ACK ACK -j ACCEPT\n-A POSTROUTING -p tcp --tcp-flags ACK ACK -j ACCEPT\n"
            for _ in 0..<int(0...3) { f += line(pick(["OUTPUT", "POSTROUTING"]), input: false, targets: [], mangle: true) + "\n" }
            f += "COMMIT\n"
        }
        return f
    }

    /// One match; `l3` (ip/ip6/nil) and `l4` (tcp/udp/nil) keep a rule's protocols consistent.
    mutating func match(l3: String?, l4: String?) -> String {
        var options: [String] = [
            "th dport \(pick(VerdictLab.ports))",
            "th dport != \(pick(VerdictLab.ports))",
            "th dport \(pick(["8001-8004", "8003-8008", "8005-8006"]))",
            "th dport != \(pick(["8001-8004", "8003-8008"]))",
            "th dport { \(pick(VerdictLab.ports)), \(pick(VerdictLab.ports)) }",
            "th dport @p", "th dport @pr", "th dport != @p",
            "th sport \(pick(["< 45000", ">= 45000", "1024-65535"]))",
            "ct state \(pick(["new", "established", "{ new, established }", "!= new", "invalid"]))",
            "oifname \(pick(["\"lo\"", "!= \"lo\""]))",
            "meta mark \(pick(["0", "0x1"]))", "meta skuid \(pick(["0", "1000"]))",
        ]
        if let l4 {
            options += ["meta l4proto \(l4)", "\(l4) dport \(pick(VerdictLab.ports))", "\(l4) dport \(pick(["8001-8004", "8005-8008"]))"]
        }
        if l3 == "ip" {
            options += [
                "ip daddr \(pick(VerdictLab.v4))", "ip daddr != \(pick(VerdictLab.v4))",
                "ip daddr \(pick(["10.77.0.0/24", "10.77.0.0/31", "10.0.0.0/8", "127.0.0.0/8", "10.77.0.0/23"]))",
                "ip daddr { \(pick(VerdictLab.v4)), \(pick(VerdictLab.v4)) }", "ip daddr @a4", "ip daddr != @a4",
                "ip saddr \(pick(VerdictLab.v4))",
                "ip daddr \(pick(["10.77.0.1-10.77.0.2", "10.77.0.2-10.77.1.1"]))",
            ]
            if l4 == "tcp" { options.append("ip daddr . tcp dport @c4") }
        }
        if l3 == "ip6" {
            options += [
                "ip6 daddr \(pick(VerdictLab.v6))", "ip6 daddr != \(pick(VerdictLab.v6))",
                "ip6 daddr \(pick(["fd77::/64", "fd77::/16", "::1/128"]))", "ip6 daddr @a6",
                "ip6 daddr { \(pick(VerdictLab.v6)), \(pick(VerdictLab.v6)) }",
            ]
        }
        return pick(options)
    }

    mutating func rule(v4: Bool, v6: Bool, hook: String, targets: [UserChain], inUser: Bool) -> String {
        var parts: [String] = []
        var l3s: [String?] = [nil]
        if v4 { l3s.append("ip") }
        if v6 { l3s.append("ip6") }
        let l3 = pick(l3s)
        let l4 = pick([nil, "tcp", "udp"] as [String?])
        for _ in 0..<int(0...3) { parts.append(match(l3: l3, l4: l4)) }
        if chance(0.05) {
            usesLimit = true
            parts.append("limit rate \(pick(["1/second", "10/minute"]))")
        }
        if chance(0.3) { parts.append("counter") }
        var verdicts = ["accept", "drop", "accept", "drop", ""]
        if hook == "output" {
            let admin = v4 && v6 ? "icmpx admin-prohibited" : v4 ? "icmp type host-prohibited" : "icmpv6 type admin-prohibited"
            verdicts += ["reject", "reject with tcp reset", "reject with \(admin)"]
        }
        if inUser { verdicts += ["return"] }
        if let t = targets.randomElement(using: &rng) { verdicts += ["jump \(t.name)", "goto \(t.name)", "jump \(t.name)"] }
        var v = pick(verdicts)
        if chance(0.1) {
            var entries = ["\(pick(VerdictLab.ports)) : accept", "\(pick(VerdictLab.ports)) : drop"]
            if let t = targets.randomElement(using: &rng) { entries.append("\(pick(VerdictLab.ports)) : jump \(t.name)") }
            // Duplicate keys are an error: keep the first of each port.
            var seen = Set<String>()
            entries = entries.filter { seen.insert(String($0.split(separator: " ")[0])).inserted }
            v = "th dport vmap { \(entries.joined(separator: ", ")) }"
        }
        if v == "reject with tcp reset" {
            if l4 == "udp" { v = "reject" } else { parts.insert("meta l4proto tcp", at: 0) }
        }
        parts.append(v)
        return parts.filter { !$0.isEmpty }.joined(separator: " ")
    }
}

@Suite(.serialized) struct VerdictDifferentialTests {
    /// Rulesets × flows; CI gets at least 1,000 cases.
    static let rulesets = Int(ProcessInfo.processInfo.environment["HOSTAUDIT_VERDICT_RULESETS"] ?? "") ?? 26
    static let flowsPerRuleset = 40

    @Test(.privileged) func staticVerdictMatchesKernelTraceAndRealPackets() throws {
        var cases = 0
        var failures: [String] = []
        var unknowns = 0
        var replyCases = 0
        var legacyCases = 0
        for i in 0..<Self.rulesets {
            let seed = 0x5eed_0000 + UInt64(i)
            var gen = RulesetGenerator(seed: seed)
            let isLegacy = i % 4 == 3
            let withInput = !isLegacy && gen.chance(0.75)
            let text = isLegacy ? "" : gen.ruleset(withInput: withInput)
            let legacy4 = isLegacy ? gen.legacy(v6: false) : ""
            let legacy6 = isLegacy ? gen.legacy(v6: true) : ""
            var flows: [String] = []
            for _ in 0..<Self.flowsPerRuleset {
                let proto = gen.pick(["tcp", "udp"])
                let dst = gen.chance(0.6) ? gen.pick(VerdictLab.v4) : gen.pick(VerdictLab.v6)
                flows.append("\(proto) \(dst) \(gen.pick(VerdictLab.ports))")
            }
            try NetNamespace.with(tag: "vdiff") { ns in
                try VerdictLab.prepare(ns)
                if isLegacy {
                    for (tool, rules) in [("iptables-legacy-restore", legacy4), ("ip6tables-legacy-restore", legacy6)] {
                        let load = try ns.run([tool], stdin: rules)
                        guard load.status == 0 else {
                            failures.append("seed \(seed): \(tool) failed: \(load.stderr)\n\(rules)")
                            return
                        }
                    }
                } else {
                    let load = try ns.run(["nft", "-f", "-"], stdin: text)
                    guard load.status == 0 else {
                        failures.append("seed \(seed): nft -f failed: \(load.stderr)\n\(text)")
                        return
                    }
                }
                let rows = try VerdictLab.run(ns, flows: flows)
                if rows.count != flows.count { failures.append("seed \(seed): \(rows.count) rows for \(flows.count) flows") }
                for row in rows {
                    cases += 1
                    var problems: [String] = []
                    if isLegacy { legacyCases += 1 }
                    if row.staticVerdict == "unknown" {
                        unknowns += 1
                        if !gen.usesLimit { problems.append("static unknown without an unknowable construct: \(row.notes)") }
                    } else if !isLegacy {
                        // The kernel's trace sees nf_tables only; legacy rows are checked against the packets.
                        if row.staticVerdict != row.traceVerdict { problems.append("verdict static \(row.staticVerdict) ≠ trace \(row.traceVerdict)") }
                        let branchesDiffer = gen.usesLimit && row.staticRule == "-" && row.notes.contains("different rules decide")
                        if row.staticRule != row.traceRule && !branchesDiffer { problems.append("rule static [\(row.staticRule)] ≠ trace [\(row.traceRule)]") }
                    }
                    // The fate of the real connection: the first packet going out, then (TCP) the SYN-ACK coming back.
                    var expected = isLegacy ? row.staticVerdict : row.traceVerdict
                    if expected == "accept" && row.replyVerdict != "-" && (withInput || isLegacy) {
                        replyCases += 1
                        if row.replyVerdict == "unknown" {
                            if !gen.usesLimit { problems.append("reply static unknown without an unknowable construct") }
                            expected = "unknown"
                        } else {
                            // A rejected SYN-ACK is answered towards the server; the client just waits.
                            expected = row.replyVerdict == "reject" ? "drop" : row.replyVerdict
                        }
                    }
                    if expected != "unknown" && !VerdictLab.probeAgrees(expected, row.probe) {
                        problems.append("expected \(expected) (out \(row.staticVerdict)/trace \(row.traceVerdict), reply \(row.replyVerdict) [\(row.replyRule)]) but the real packet: \(row.probe)")
                    }
                    if !problems.isEmpty {
                        failures.append("seed \(seed) \(row.flow): " + problems.joined(separator: "; "))
                    }
                }
                if failures.count > 0 && failures.last!.hasPrefix("seed \(seed)") {
                    failures.append("ruleset of seed \(seed):\n\(text)\(legacy4)\(legacy6)")
                }
            }
        }
        print("verdict differential: \(cases) cases (\(legacyCases) legacy, \(replyCases) with the SYN-ACK's way back in), \(unknowns) unknown (limit), \(failures.count) problems")
        #expect(cases >= Self.rulesets * Self.flowsPerRuleset)
        #expect(legacyCases >= Self.rulesets / 4 * Self.flowsPerRuleset / 2)
        #expect(replyCases > 0)
        #expect(failures.isEmpty, "\(failures.prefix(30).joined(separator: "\n"))")
    }
}
