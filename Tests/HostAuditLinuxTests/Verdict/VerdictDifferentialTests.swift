import Foundation
import HostAuditTestSupport
import Testing

/// Random rulesets: several base chains (output and postrouting, priorities
/// around conntrack's, accept/drop policies), user chains with jump, goto and
/// return, named and anonymous sets (intervals, concatenations), prefixes,
/// port ranges, ct state, verdict maps, reject/drop/accept.
///
/// Every base chain starts with two rules that let replies and ICMP errors
/// through (`tcp flags & ack == ack accept`, ICMP accept), so a real connect's
/// outcome depends only on the first packet's fate.
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

    mutating func ruleset() -> String {
        var out = ""
        let families = (0..<int(1...3)).map { _ in pick(["inet", "inet", "ip", "ip6"]) }
        for (ti, family) in families.enumerated() {
            out += table(name: "t\(ti)", family: family)
        }
        return out
    }

    mutating func table(name: String, family: String) -> String {
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
        return s + "}\n"
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
        for i in 0..<Self.rulesets {
            let seed = 0x5eed_0000 + UInt64(i)
            var gen = RulesetGenerator(seed: seed)
            let text = gen.ruleset()
            var flows: [String] = []
            for _ in 0..<Self.flowsPerRuleset {
                let proto = gen.pick(["tcp", "udp"])
                let dst = gen.chance(0.6) ? gen.pick(VerdictLab.v4) : gen.pick(VerdictLab.v6)
                flows.append("\(proto) \(dst) \(gen.pick(VerdictLab.ports))")
            }
            try NetNamespace.with(tag: "vdiff") { ns in
                try VerdictLab.prepare(ns)
                let load = try ns.run(["nft", "-f", "-"], stdin: text)
                guard load.status == 0 else {
                    failures.append("seed \(seed): nft -f failed: \(load.stderr)\n\(text)")
                    return
                }
                let rows = try VerdictLab.run(ns, flows: flows)
                if rows.count != flows.count { failures.append("seed \(seed): \(rows.count) rows for \(flows.count) flows") }
                for row in rows {
                    cases += 1
                    var problems: [String] = []
                    if row.staticVerdict == "unknown" {
                        unknowns += 1
                        if !gen.usesLimit { problems.append("static unknown without an unknowable construct: \(row.notes)") }
                    } else {
                        if row.staticVerdict != row.traceVerdict { problems.append("verdict static \(row.staticVerdict) ≠ trace \(row.traceVerdict)") }
                        let branchesDiffer = gen.usesLimit && row.staticRule == "-" && row.notes.contains("different rules decide")
                        if row.staticRule != row.traceRule && !branchesDiffer { problems.append("rule static [\(row.staticRule)] ≠ trace [\(row.traceRule)]") }
                    }
                    if !VerdictLab.probeAgrees(row.traceVerdict, row.probe) {
                        problems.append("trace \(row.traceVerdict) but the real packet: \(row.probe)")
                    }
                    if !problems.isEmpty {
                        failures.append("seed \(seed) \(row.flow): " + problems.joined(separator: "; "))
                    }
                }
                if failures.count > 0 && failures.last!.hasPrefix("seed \(seed)") {
                    failures.append("ruleset of seed \(seed):\n\(text)")
                }
            }
        }
        print("verdict differential: \(cases) cases, \(unknowns) unknown (limit), \(failures.count) problems")
        #expect(cases >= Self.rulesets * Self.flowsPerRuleset)
        #expect(failures.isEmpty, "\(failures.prefix(30).joined(separator: "\n"))")
    }
}
