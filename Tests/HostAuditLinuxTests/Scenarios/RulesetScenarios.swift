import Foundation
import HostAuditTestSupport
import Testing

/// Built-truth scenarios (29) for the local ruleset half of the diagnosis: rules
/// in the client namespace of an `EgressLab` (client — router — server),
/// IPv4 and IPv6, written with nft, iptables-nft and iptables-legacy, in
/// output, postrouting and input, depending on uid, output interface, source
/// port, mark and conntrack state — and rules that must *not* be blamed
/// because the block is the router's.
///
/// Each scenario first proves its truth with a plain `connect()` from the
/// client namespace, then runs `hostaudit egress --format json` there and
/// checks `cause`, `confidence` and, for a local rule, its
/// family/table/chain/handle (and whether it is a legacy rule). A stated
/// cause other than the truth is wrong; totals are printed as right /
/// unknown / wrong. One lab serves every scenario; the client's
/// rules are flushed between them.
@Suite(.privileged, .serialized) struct RulesetScenarios {
    /// Where a local rule is expected: in the outbound verdict or in the answer's (`syn-ack`).
    enum Where { case out, reply }

    struct Blame {
        var direction: Where
        var table: String
        var chain: String
        /// nil: a chain policy. For nft rules, found by the `blame` comment.
        var handle: Int?
        var legacy: Bool
    }

    struct Scenario: CustomStringConvertible {
        var name: String
        /// Commands run in the client namespace (argument vectors).
        var client: [[String]] = []
        /// An nft ruleset loaded in the client namespace.
        var nft: String?
        /// An nft ruleset loaded in the router namespace for this scenario only.
        var router: String?
        var address: String
        var port: Int
        /// What a plain connect() must show: `open`, or `blocked` (timeout or an error).
        var truth: String
        var cause: String
        var blame: Blame?
        /// The confidence the tool must state: `proven` for a rule that the
        /// static evaluation blames on the way out and for upstream filtering of
        /// a host that answers ping with both local directions accepting;
        /// `likely` for a dropped SYN-ACK whose rule has no counter that rose
        /// with the answer (an nft rule without `counter`, a chain policy).
        var confidence = "proven"
        var description: String { name }
    }

    static let v4 = EgressLab.serverV4, v6 = EgressLab.serverV6
    /// Ports the server listens on; the router silently drops 20000-29999.
    static let open = 8080, upstream = 20080

    static func nftTable(_ family: String, _ chains: String) -> String {
        "table \(family) scen {\n\(chains)\n}\n"
    }

    static func chain(_ name: String, hook: String, priority: Int = 0, policy: String = "accept", _ rules: [String]) -> String {
        "  chain \(name) {\n    type filter hook \(hook) priority \(priority); policy \(policy);\n"
            + rules.map { "    \($0)\n" }.joined() + "  }"
    }

    static func out(_ rules: [String]) -> String { chain("output", hook: "output", rules) }

    static let scenarios: [Scenario] = [
        // Output, native nft, IPv4 and IPv6.
        Scenario(
            name: "nft output drop (v4)", nft: nftTable("inet", out(["tcp dport 8080 counter drop comment \"blame\""])),
            address: v4, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "inet scen", chain: "output", handle: 0, legacy: false)),
        Scenario(
            name: "nft output drop (v6)", nft: nftTable("ip6", out(["tcp dport 8080 counter drop comment \"blame\""])),
            address: v6, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "ip6 scen", chain: "output", handle: 0, legacy: false)),
        // iptables-nft.
        Scenario(
            name: "iptables-nft OUTPUT drop (v4)",
            client: [["iptables-nft", "-A", "OUTPUT", "-p", "tcp", "--dport", "8080", "-j", "DROP"]],
            address: v4, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "ip filter", chain: "OUTPUT", handle: 0, legacy: false)),
        Scenario(
            name: "ip6tables-nft OUTPUT drop (v6)",
            client: [["ip6tables-nft", "-A", "OUTPUT", "-p", "tcp", "--dport", "8080", "-j", "DROP"]],
            address: v6, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "ip6 filter", chain: "OUTPUT", handle: 0, legacy: false)),
        // Legacy x_tables.
        Scenario(
            name: "iptables-legacy OUTPUT drop (v4)",
            client: [
                ["iptables-legacy", "-A", "OUTPUT", "-p", "udp", "--dport", "53", "-j", "ACCEPT"],
                ["iptables-legacy", "-A", "OUTPUT", "-p", "tcp", "--dport", "8080", "-j", "DROP"],
            ],
            address: v4, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "ip filter", chain: "OUTPUT", handle: 2, legacy: true)),
        Scenario(
            name: "ip6tables-legacy OUTPUT drop (v6)",
            client: [["ip6tables-legacy", "-A", "OUTPUT", "-p", "tcp", "--dport", "8080", "-j", "DROP"]],
            address: v6, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "ip6 filter", chain: "OUTPUT", handle: 1, legacy: true)),
        // Postrouting, oif-dependent.
        Scenario(
            name: "nft postrouting oifname drop (v4)",
            nft: nftTable("inet", chain("post", hook: "postrouting", ["oifname \"c0\" tcp dport 8080 drop comment \"blame\""])),
            address: v4, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "inet scen", chain: "post", handle: 0, legacy: false)),
        Scenario(
            name: "legacy mangle POSTROUTING -o c0 drop (v6)",
            client: [["ip6tables-legacy", "-t", "mangle", "-A", "POSTROUTING", "-o", "c0", "-p", "tcp", "--dport", "8080", "-j", "DROP"]],
            address: v6, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "ip6 mangle", chain: "POSTROUTING", handle: 1, legacy: true)),
        // Source port: decided once the probe's port is known.
        Scenario(
            name: "nft sport range drop (v4)",
            nft: nftTable("ip", out(["tcp sport 1024-65535 tcp dport 8080 drop comment \"blame\""])),
            address: v4, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "ip scen", chain: "output", handle: 0, legacy: false)),
        Scenario(
            name: "legacy --sport 1024:65535 drop (v4)",
            client: [["iptables-legacy", "-A", "OUTPUT", "-p", "tcp", "--sport", "1024:65535", "--dport", "8080", "-j", "DROP"]],
            address: v4, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "ip filter", chain: "OUTPUT", handle: 1, legacy: true)),
        // uid, mark, ct state: blamed when they match the probe.
        Scenario(
            name: "nft skuid 0 drop (v6)", nft: nftTable("inet", out(["meta skuid 0 tcp dport 8080 drop comment \"blame\""])),
            address: v6, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "inet scen", chain: "output", handle: 0, legacy: false)),
        Scenario(
            name: "nft ct state new drop (v4)", nft: nftTable("inet", out(["ct state new tcp dport 8080 drop comment \"blame\""])),
            address: v4, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "inet scen", chain: "output", handle: 0, legacy: false)),
        Scenario(
            name: "legacy owner uid 0 drop (v4)",
            client: [["iptables-legacy", "-A", "OUTPUT", "-p", "tcp", "--dport", "8080", "-m", "owner", "--uid-owner", "0", "-j", "DROP"]],
            address: v4, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "ip filter", chain: "OUTPUT", handle: 1, legacy: true)),
        Scenario(
            name: "legacy mark 0x0 drop (v6)",
            client: [["ip6tables-legacy", "-A", "OUTPUT", "-p", "tcp", "--dport", "8080", "-m", "mark", "--mark", "0x0", "-j", "DROP"]],
            address: v6, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "ip6 filter", chain: "OUTPUT", handle: 1, legacy: true)),
        Scenario(
            name: "legacy raw OUTPUT drop before conntrack (v4)",
            client: [["iptables-legacy", "-t", "raw", "-A", "OUTPUT", "-p", "tcp", "--dport", "8080", "-j", "DROP"]],
            address: v4, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .out, table: "ip raw", chain: "OUTPUT", handle: 1, legacy: true)),
        // Rules that must not be blamed: the router drops 20000-29999.
        Scenario(
            name: "drop for another uid, block upstream (v4)",
            nft: nftTable("inet", out(["meta skuid 1000 tcp dport 20080 drop"])),
            address: v4, port: upstream, truth: "blocked", cause: "upstream-filter"),
        Scenario(
            name: "drop for another port, block upstream (v6)",
            nft: nftTable("inet", out(["tcp dport 20081 drop"])),
            address: v6, port: upstream, truth: "blocked", cause: "upstream-filter"),
        Scenario(
            name: "drop for another mark, block upstream (v4)",
            nft: nftTable("inet", out(["meta mark 0x2 tcp dport 20080 drop"])),
            address: v4, port: upstream, truth: "blocked", cause: "upstream-filter"),
        Scenario(
            name: "drop for another interface, block upstream (v4)",
            nft: nftTable("inet", out(["oifname \"lo\" tcp dport 20080 drop"])),
            address: v4, port: upstream, truth: "blocked", cause: "upstream-filter"),
        Scenario(
            name: "drop for established only, block upstream (v6)",
            nft: nftTable("inet", out(["ct state established tcp dport 20080 drop"])),
            address: v6, port: upstream, truth: "blocked", cause: "upstream-filter"),
        Scenario(
            name: "legacy drop for another uid, block upstream (v4)",
            client: [["iptables-legacy", "-A", "OUTPUT", "-p", "tcp", "--dport", "20080", "-m", "owner", "--uid-owner", "1000", "-j", "DROP"]],
            address: v4, port: upstream, truth: "blocked", cause: "upstream-filter"),
        Scenario(
            name: "legacy drop for low source ports, block upstream (v4)",
            client: [["iptables-legacy", "-A", "OUTPUT", "-p", "tcp", "--sport", "1:1023", "--dport", "20080", "-j", "DROP"]],
            address: v4, port: upstream, truth: "blocked", cause: "upstream-filter"),
        // The answer's way back in.
        Scenario(
            name: "nft input drops the SYN-ACK (v4)",
            nft: nftTable("inet", chain("input", hook: "input", ["tcp sport 8080 counter drop comment \"blame\""])),
            address: v4, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .reply, table: "inet scen", chain: "input", handle: 0, legacy: false)),
        Scenario(
            name: "nft input drops the SYN-ACK (v6)",
            nft: nftTable("ip6", chain("input", hook: "input", ["ct state established tcp sport 8080 drop comment \"blame\""])),
            address: v6, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .reply, table: "ip6 scen", chain: "input", handle: 0, legacy: false), confidence: "likely"),
        Scenario(
            name: "legacy INPUT drops the SYN-ACK (v4)",
            client: [["iptables-legacy", "-A", "INPUT", "-p", "tcp", "--sport", "8080", "-m", "conntrack", "--ctstate", "ESTABLISHED", "-j", "DROP"]],
            address: v4, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .reply, table: "ip filter", chain: "INPUT", handle: 1, legacy: true)),
        Scenario(
            name: "ip6tables-nft INPUT drops the SYN-ACK (v6)",
            client: [["ip6tables-nft", "-A", "INPUT", "-p", "tcp", "--sport", "8080", "-j", "DROP"]],
            address: v6, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .reply, table: "ip6 filter", chain: "INPUT", handle: 0, legacy: false)),
        Scenario(
            name: "legacy -P INPUT DROP without an established rule (v6)",
            client: [["ip6tables-legacy", "-P", "INPUT", "DROP"]],
            address: v6, port: open, truth: "blocked", cause: "local-firewall",
            blame: Blame(direction: .reply, table: "ip6 filter", chain: "INPUT", handle: nil, legacy: true), confidence: "likely"),
        Scenario(
            name: "input default deny with established accept is open (v4)",
            client: [
                ["iptables-legacy", "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
                ["iptables-legacy", "-P", "INPUT", "DROP"],
            ],
            nft: nftTable("inet", chain("input", hook: "input", policy: "drop", ["ct state established,related accept"])),
            address: v4, port: open, truth: "open", cause: "none"),
        Scenario(
            name: "SYN-ACK dropped upstream, not locally (v4)",
            nft: nftTable("inet", chain("input", hook: "input", ["tcp sport 8081 drop"])),
            router: "table inet scen {\n  chain fw {\n    type filter hook forward priority 10; policy accept;\n    tcp sport 8080 drop\n  }\n}\n",
            address: v4, port: open, truth: "blocked", cause: "upstream-filter"),
    ]

    /// A plain connect() from the client: `open`, or `blocked` (time-out, refusal or an error).
    static func connect(_ lab: EgressLab, _ address: String, _ port: Int) throws -> String {
        let script = """
            import socket, sys
            a, p = sys.argv[1], int(sys.argv[2])
            s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(1.0)
            try:
                s.connect((a, p)); print("open")
            except OSError as e:
                print("blocked", e)
            """
        let r = try lab.client.check(["/usr/bin/python3", "-c", script, address, String(port)])
        return r.stdout.hasPrefix("open") ? "open" : "blocked"
    }

    /// Handle of the rule commented `blame` in the client's nft ruleset, or
    /// of the only rule of `chain` (iptables-nft rules carry no comment).
    static func handle(_ lab: EgressLab, table: String, chain: String) throws -> Int? {
        let parts = table.split(separator: " ").map(String.init)
        let r = try lab.client.check(["nft", "-a", "list", "chain", parts[0], parts[1], chain])
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let ruleLines = lines.filter { $0.contains("# handle") && !$0.contains("chain \(chain) {") }
        let line = ruleLines.first { $0.contains("\"blame\"") } ?? (ruleLines.count == 1 ? ruleLines[0] : nil)
        guard let line, let range = line.range(of: "# handle ") else { return nil }
        return Int(line[range.upperBound...].prefix(while: \.isNumber))
    }

    static func reset(_ lab: EgressLab) throws {
        try lab.client.check(["nft", "flush", "ruleset"])
        for tool in ["iptables-legacy", "ip6tables-legacy"] {
            for table in ["filter", "mangle", "raw"] {
                _ = try lab.client.run([tool, "-t", table, "-F"])
                _ = try lab.client.run([tool, "-t", table, "-X"])
            }
            for chain in ["INPUT", "OUTPUT", "FORWARD"] { _ = try lab.client.run([tool, "-P", chain, "ACCEPT"]) }
        }
        _ = try lab.router.run(["nft", "delete", "table", "inet", "scen"])
    }

    /// A legacy `-P INPUT DROP` is an input chain with policy drop in the facts,
    /// so `firewall-input-default-deny` sees it.
    @Test func legacyInputPolicyInFacts() throws {
        try NetNamespace.with(tag: "legfacts") { ns in
            try ns.check(["iptables-legacy", "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED", "-j", "ACCEPT"])
            try ns.check(["iptables-legacy", "-P", "INPUT", "DROP"])
            let r = try HostAuditCLI.run(in: ns, ["facts", "firewall", "--format", "json"])
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
            let fw = try #require((doc["firewall"] as? [String: Any]) ?? doc["facts"] as? [String: Any])
            let summary = fw["summary"] as? [String: Any]
            #expect(summary?["input_default_deny"] as? Bool == true, "\(fw)")
            let input = (fw["hooks"] as? [String: Any])?["input"] as? [[String: Any]]
            #expect(input?.count == 1)
            #expect(input?.first?["policy"] as? String == "drop" && input?.first?["legacy"] as? Bool == true)
            #expect(input?.first?["priority"] as? Int == 0)
            let rules = fw["rules"] as? [[String: Any]]
            #expect(rules?.first?["iptables"] as? String == "-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT")
            #expect(rules?.first?["legacy"] as? Bool == true && rules?.first?["handle"] as? Int == 1)
        }
    }

    @Test func scenariosNameTheRightCauseAndRule() throws {
        var right = 0, unknown = 0
        var problems: [String] = []
        var confidentlyWrong: [String] = []
        try EgressLab.with { lab in
            try lab.listen([Self.open, 8081])
            for s in Self.scenarios {
                try Self.reset(lab)
                for cmd in s.client { try lab.client.check(cmd) }
                if let nft = s.nft { try lab.client.check(["nft", "-f", "-"], stdin: nft) }
                if let router = s.router { try lab.router.check(["nft", "-f", "-"], stdin: router) }
                // 1. The truth, with a plain connect().
                let truth = try Self.connect(lab, s.address, s.port)
                guard truth == s.truth else {
                    problems.append("\(s): the lab is not as built (connect: \(truth), expected \(s.truth))")
                    continue
                }
                // 2. What hostaudit says.
                let target = s.address.contains(":") ? "[\(s.address)]:\(s.port)" : "\(s.address):\(s.port)"
                let r = try lab.hostaudit(["egress", target, "--timeout", "1", "--format", "json"])
                let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
                let p = (doc?["probes"] as? [[String: Any]])?.first
                let cause = p?["cause"] as? String
                var wrong: [String] = []
                let confidence = p?["confidence"] as? String
                if cause != s.cause { wrong.append("cause \(cause ?? "nil"), expected \(s.cause)") }
                if confidence != s.confidence { wrong.append("confidence \(confidence ?? "nil"), expected \(s.confidence)") }
                // Never confidently wrong: a stated cause other than the truth is wrong,
                // an unknown/ambiguous answer with candidates is an honest unknown.
                if confidence == "unknown" && cause != s.cause {
                    unknown += 1
                } else if cause != s.cause {
                    confidentlyWrong.append("\(s): \(cause ?? "nil") (\(confidence ?? "nil"))")
                }
                if let b = s.blame {
                    let lv = p?["local_verdict"] as? [String: Any]
                    let decided: [String: Any]?
                    switch b.direction {
                    case .out: decided = lv
                    case .reply:
                        decided = (lv?["replies"] as? [[String: Any]])?.first { $0["kind"] as? String == "syn-ack" }
                    }
                    let want = b.legacy || b.handle == nil ? b.handle : try Self.handle(lab, table: b.table, chain: b.chain)
                    if decided?["table"] as? String != b.table { wrong.append("table \(decided?["table"] ?? "nil"), expected \(b.table)") }
                    if decided?["chain"] as? String != b.chain { wrong.append("chain \(decided?["chain"] ?? "nil"), expected \(b.chain)") }
                    if decided?["handle"] as? Int != want { wrong.append("handle \(decided?["handle"] ?? "nil"), expected \(want.map(String.init) ?? "nil")") }
                    if (decided?["legacy"] as? Bool ?? false) != b.legacy { wrong.append("legacy flag \(decided?["legacy"] ?? "nil")") }
                    // A legacy rule's counter rose while the probe ran (the kernel saw the packets there).
                    if b.legacy, b.handle != nil, (decided?["counter_delta_packets"] as? Int ?? 0) < 1 {
                        wrong.append("counter of the blamed legacy rule did not rise: \(decided?["counter_delta_packets"] ?? "nil")")
                    }
                    // The counter witness of a blamed rule: the probe was the only one, so its rise is exact or consistent.
                    if b.handle != nil {
                        let witnesses = (lv?["counters"] as? [[String: Any]]) ?? []
                        let mine = witnesses.first { $0["direction"] as? String == (b.direction == .out ? "out" : "reply") }
                        let strength = mine?["strength"] as? String
                        if b.legacy || !s.client.isEmpty || s.nft?.contains("counter drop") == true {
                            if strength != "exact" && strength != "consistent" {
                                wrong.append("counter witness \(strength ?? "missing"), expected exact or consistent")
                            }
                        }
                    }
                }
                if wrong.isEmpty { right += 1 } else { problems.append("\(s): " + wrong.joined(separator: "; ") + "\n\(r.stdout)") }
            }
        }
        print(
            "ruleset scenarios: \(Self.scenarios.count): right \(right) / unknown \(unknown) / wrong \(confidentlyWrong.count)"
                + " (checks failed: \(problems.count))")
        #expect(Self.scenarios.count >= 18)
        #expect(confidentlyWrong.isEmpty, "\(confidentlyWrong)")
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }
}
