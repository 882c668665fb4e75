import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

/// Hand-written rulesets, one construct each, run through
/// `hostaudit firewall verdict … --format json` inside a namespace; every case
/// names the rule that must decide (and `--trace` must agree).
@Suite(.serialized) struct VerdictCommandTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var ruleset: String
        var args: [String]
        var verdict: String
        /// `table chain` and the position of the deciding rule among the chain's rules
        /// (1-based), or 0 for the chain's policy.
        var table: String
        var chain: String
        var ruleIndex: Int
        var iptables: [String] = []
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "priorities: lower priority chain decides first",
            ruleset: """
                table inet a { chain o { type filter hook output priority 10; policy accept; tcp dport 8001 accept; }; }
                table inet b { chain o { type filter hook output priority -10; policy accept; tcp dport 8001 drop; }; }
                """, args: ["--dst", "10.77.0.1", "--dport", "8001"], verdict: "drop", table: "inet b", chain: "o", ruleIndex: 1),
        Case(
            name: "accept passes to the next base chain, postrouting drops",
            ruleset: """
                table inet a {
                  chain o { type filter hook output priority 0; policy accept; tcp dport 8001 accept; }
                  chain p { type filter hook postrouting priority 0; policy accept; ip daddr 10.77.0.1 tcp dport 8001 drop; }
                }
                """, args: ["--dst", "10.77.0.1", "--dport", "8001"], verdict: "drop", table: "inet a", chain: "p", ruleIndex: 1),
        Case(
            name: "jump and return",
            ruleset: """
                table inet a {
                  chain sub { ip daddr 10.77.0.1 return
                              tcp dport 8001 reject with tcp reset; }
                  chain o { type filter hook output priority 0; policy accept; jump sub; tcp dport 8001 drop; }
                }
                """, args: ["--dst", "10.77.0.1", "--dport", "8001"], verdict: "drop", table: "inet a", chain: "o", ruleIndex: 2),
        Case(
            name: "goto skips the rest of the calling chain",
            ruleset: """
                table inet a {
                  chain sub { udp dport 8002 accept; }
                  chain o { type filter hook output priority 0; policy drop; udp dport 8002 goto sub; udp dport 8002 drop; }
                }
                """, args: ["--dst", "10.77.0.1", "--dport", "8002", "--proto", "udp"], verdict: "accept", table: "inet a",
            chain: "sub", ruleIndex: 1),
        Case(
            name: "verdict map",
            ruleset: """
                table inet a {
                  chain deny { reject; }
                  chain o { type filter hook output priority 0; policy accept; tcp dport vmap { 8001 : accept, 8003 : jump deny }; }
                }
                """, args: ["--dst", "10.77.0.1", "--dport", "8003"], verdict: "reject", table: "inet a", chain: "deny", ruleIndex: 1),
        Case(
            name: "interval set",
            ruleset: """
                table ip a {
                  set nets { type ipv4_addr; flags interval; elements = { 10.77.0.0/30, 192.168.0.0/16 } }
                  chain o { type filter hook output priority 0; policy accept; ip daddr @nets tcp dport 8004 drop; }
                }
                """, args: ["--dst", "10.77.0.2", "--dport", "8004"], verdict: "drop", table: "ip a", chain: "o", ruleIndex: 1),
        Case(
            name: "concatenation",
            ruleset: """
                table inet a {
                  set pairs { type ipv4_addr . inet_service; elements = { 10.77.0.2 . 8005, 10.77.0.1 . 8001 } }
                  chain o { type filter hook output priority 0; policy accept; ip daddr . tcp dport @pairs reject; }
                }
                """, args: ["--dst", "10.77.0.2", "--dport", "8005"], verdict: "reject", table: "inet a", chain: "o", ruleIndex: 1),
        Case(
            name: "concatenated ranges",
            ruleset: """
                table inet a {
                  set r { type ipv4_addr . inet_service; flags interval; elements = { 10.77.0.0/24 . 8000-8010 } }
                  chain o { type filter hook output priority 0; policy accept; ip daddr . tcp dport @r drop; }
                }
                """, args: ["--dst", "10.77.0.3", "--dport", "8006"], verdict: "drop", table: "inet a", chain: "o", ruleIndex: 1),
        Case(
            name: "inet and ip tables together",
            ruleset: """
                table inet a { chain o { type filter hook output priority 0; policy accept; tcp dport 8001 accept; }; }
                table ip b { chain o { type filter hook output priority 5; policy drop; ip daddr 10.77.0.9 accept; }; }
                """, args: ["--dst", "10.77.0.1", "--dport", "8001"], verdict: "drop", table: "ip b", chain: "o", ruleIndex: 0),
        Case(
            name: "ip6 flow skips ip tables",
            ruleset: """
                table ip b { chain o { type filter hook output priority 0; policy drop; }; }
                table inet a { chain o { type filter hook output priority 0; policy accept; ip6 daddr fd77::1 tcp dport 8001 reject; }; }
                """, args: ["--dst", "fd77::1", "--dport", "8001"], verdict: "reject", table: "inet a", chain: "o", ruleIndex: 1),
        Case(
            name: "policy drop",
            ruleset: """
                table inet a { chain o { type filter hook output priority 0; policy drop; tcp dport 9 accept; }; }
                """, args: ["--dst", "10.77.0.1", "--dport", "8001"], verdict: "drop", table: "inet a", chain: "o", ruleIndex: 0),
        Case(
            name: "ct state new",
            ruleset: """
                table inet a { chain o { type filter hook output priority 0; policy accept;
                  ct state established accept
                  ct state new tcp dport 8001 drop; }; }
                """, args: ["--dst", "10.77.0.1", "--dport", "8001"], verdict: "drop", table: "inet a", chain: "o", ruleIndex: 2),
        Case(
            name: "dnat rewrites the port for later chains",
            ruleset: """
                table ip n { chain o { type nat hook output priority -100; tcp dport 8007 dnat to 10.77.0.1:8001; }; }
                table inet a { chain o { type filter hook output priority 0; policy accept; tcp dport 8001 drop; }; }
                """, args: ["--dst", "10.77.0.1", "--dport", "8007"], verdict: "drop", table: "inet a", chain: "o", ruleIndex: 1),
        Case(
            name: "iptables-nft rules (conntrack, multiport, REJECT)",
            ruleset: "",
            args: ["--dst", "10.77.0.1", "--dport", "8003"], verdict: "reject", table: "ip filter", chain: "OUTPUT", ruleIndex: 3,
            iptables: [
                "-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                "-A OUTPUT -p tcp -m multiport --dports 8001,8002 -j ACCEPT",
                "-A OUTPUT -p tcp -m multiport --dports 8003,8004 -m comment --comment blocked -j REJECT --reject-with icmp-admin-prohibited",
            ]),
        Case(
            name: "iptables-nft user chain and owner",
            ruleset: "",
            args: ["--dst", "10.77.0.1", "--dport", "8005", "--uid", "0"], verdict: "drop", table: "ip filter", chain: "CHK", ruleIndex: 1,
            iptables: [
                "-N CHK", "-A CHK -m owner --uid-owner 0 -j DROP", "-A OUTPUT -p tcp --dport 8005 -j CHK",
            ]),
    ]

    static func run(_ c: Case, trace: Bool) throws -> (JSONValue, CommandResult) {
        try NetNamespace.with(tag: "vcase") { ns in
            try VerdictLab.prepare(ns)
            if !c.ruleset.isEmpty { try ns.check(["nft", "-f", "-"], stdin: c.ruleset) }
            for rule in c.iptables {
                try ns.check(["iptables-nft"] + rule.split(separator: " ").map(String.init))
            }
            let r = try HostAuditCLI.run(in: ns, ["firewall", "verdict"] + c.args + ["--format", "json"] + (trace ? ["--trace"] : []))
            let doc = try #require(JSONTestParse.parse(r.stdout), "\(r)")
            // The handle of the expected rule, from the kernel's own listing.
            return (doc, r)
        }
    }

    @Test(.privileged, arguments: cases) func namesTheDecidingRule(_ c: Case) throws {
        for trace in [false, true] {
            let (doc, r) = try Self.run(c, trace: trace)
            #expect(doc["schema"]?.stringValue == "hostaudit.verdict/v1")
            #expect(doc["verdict"]?.stringValue == c.verdict, "\(c.name) trace=\(trace)\n\(r.stdout)")
            #expect(r.status == (c.verdict == "accept" ? 0 : 1), "\(r)")
            #expect(doc["traced"]?.boolValue == trace)
            let d = doc["decided_by"]
            #expect(d?["table"]?.stringValue == c.table, "\(c.name) trace=\(trace)\n\(r.stdout)")
            #expect(d?["chain"]?.stringValue == c.chain, "\(c.name) trace=\(trace)\n\(r.stdout)")
            if c.ruleIndex == 0 {
                #expect(d?["handle"]?.isNull == true, "\(c.name): policy expected\n\(r.stdout)")
            } else {
                let handle = try #require(d?["handle"]?.intValue, "\(c.name) trace=\(trace)\n\(r.stdout)")
                #expect(Self.position(of: handle, in: doc) == c.ruleIndex || trace, "\(c.name)\n\(r.stdout)")
            }
        }
    }

    /// The 1-based position of a rule handle among the evaluated rules of its chain in the static path.
    static func position(of handle: Int64, in doc: JSONValue) -> Int? {
        guard let path = doc["path"]?.arrayValue, let d = doc["decided_by"] else { return nil }
        let same = path.filter { $0["table"] == d["table"] && $0["chain"] == d["chain"] && !($0["handle"]?.isNull ?? true) }
        var seen: [Int64] = []
        for s in same { if let h = s["handle"]?.intValue, !seen.contains(h) { seen.append(h) } }
        return seen.firstIndex(of: handle).map { $0 + 1 }
    }

    @Test(.privileged) func noRouteIsAnAnswer() throws {
        try NetNamespace.with(tag: "vnoroute") { ns in
            let r = try HostAuditCLI.run(in: ns, ["firewall", "verdict", "--dst", "192.0.2.1", "--dport", "80", "--format", "json"])
            #expect(r.status == 1, "\(r)")
            let doc = try #require(JSONTestParse.parse(r.stdout))
            #expect(doc["route"]?["status"]?.stringValue == "no-route")
            #expect(doc["verdict"]?.stringValue == "accept")
        }
    }

    @Test(.privileged) func limitIsUnknownUnlessBranchesAgree() throws {
        try NetNamespace.with(tag: "vlimit") { ns in
            try VerdictLab.prepare(ns)
            try ns.check(["nft", "-f", "-"], stdin: """
                table inet a { chain o { type filter hook output priority 0; policy accept;
                  tcp dport 8001 limit rate 1/second counter
                  tcp dport 8002 limit rate 1/second drop; }; }
                """)
            var r = try HostAuditCLI.run(in: ns, ["firewall", "verdict", "--dst", "10.77.0.1", "--dport", "8001", "--format", "json"])
            var doc = try #require(JSONTestParse.parse(r.stdout))
            #expect(doc["verdict"]?.stringValue == "accept", "\(r)")
            r = try HostAuditCLI.run(in: ns, ["firewall", "verdict", "--dst", "10.77.0.1", "--dport", "8002", "--format", "json"])
            doc = try #require(JSONTestParse.parse(r.stdout))
            #expect(doc["verdict"]?.stringValue == "unknown", "\(r)")
            #expect(r.status == 1)
            #expect(doc["notes"]?.arrayValue?.contains { $0.stringValue?.contains("limit") == true } == true, "\(r)")
        }
    }

    @Test(.privileged) func withoutCapNetAdminExits3() throws {
        try NetNamespace.with(tag: "vcap") { ns in
            let r = try ns.run(
                ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                 HostAuditCLI.binaryPath, "firewall", "verdict", "--dst", "127.0.0.1", "--dport", "80"])
            #expect(r.status == 3, "\(r)")
            #expect(r.stderr.contains("CAP_NET_ADMIN"), "\(r)")
        }
    }

    @Test(.privileged) func traceLeavesNoTableBehind() throws {
        try NetNamespace.with(tag: "vtrace") { ns in
            try VerdictLab.prepare(ns)
            _ = try HostAuditCLI.run(in: ns, ["firewall", "verdict", "--dst", "10.77.0.1", "--dport", "8001", "--trace"])
            let tables = try ns.check(["nft", "list", "tables"]).stdout
            #expect(!tables.contains("hostaudit_trace"), "\(tables)")
        }
    }
}

/// Legacy x_tables rules and the answer's way back in, through the CLI.
@Suite(.serialized) struct VerdictLocalPathCommandTests {
    func verdict(_ ns: NetNamespace, _ args: [String]) throws -> (Int32, [String: Any]) {
        let r = try HostAuditCLI.run(in: ns, ["firewall", "verdict", "--format", "json"] + args)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
        return (r.status, doc)
    }

    @Test(.privileged) func legacyRulesDecideAtTheirHooks() throws {
        try NetNamespace.with(tag: "vlegacy") { ns in
            try VerdictLab.prepare(ns)
            try ns.check(["iptables-legacy", "-A", "OUTPUT", "-p", "udp", "-j", "ACCEPT"])
            try ns.check(["iptables-legacy", "-A", "OUTPUT", "-p", "tcp", "--sport", "1024:65535", "--dport", "8001", "-j", "DROP"])
            // nf_tables accepts at priority 10: the legacy filter table (priority 0) still drops.
            try ns.check(["nft", "add table inet a; add chain inet a o { type filter hook output priority 10; policy accept; }; add rule inet a o accept"])
            let (status, doc) = try verdict(ns, ["--dst", "10.77.0.1", "--dport", "8001", "--sport", "40000"])
            #expect(status == 1)
            #expect(doc["verdict"] as? String == "drop")
            let d = doc["decided_by"] as? [String: Any]
            #expect(d?["table"] as? String == "ip filter" && d?["chain"] as? String == "OUTPUT")
            #expect(d?["handle"] as? Int == 2 && d?["legacy"] as? Bool == true)
            // Without the source port the rule may or may not match.
            let (_, unknown) = try verdict(ns, ["--dst", "10.77.0.1", "--dport", "8001"])
            #expect(unknown["verdict"] as? String == "unknown")
            let (ok, accepted) = try verdict(ns, ["--dst", "10.77.0.1", "--dport", "8002", "--sport", "40000"])
            #expect(ok == 0 && accepted["verdict"] as? String == "accept")
        }
    }

    @Test(.privileged) func replyThroughInput() throws {
        try NetNamespace.with(tag: "vreply") { ns in
            try VerdictLab.prepare(ns)
            try ns.check(["iptables-legacy", "-A", "INPUT", "-p", "tcp", "--sport", "8001", "-m", "conntrack", "--ctstate", "ESTABLISHED", "-j", "DROP"])
            let (status, doc) = try verdict(ns, ["--dst", "10.77.0.1", "--dport", "8001", "--reply", "syn-ack"])
            #expect(status == 1)
            #expect(doc["verdict"] as? String == "drop" && doc["reply"] as? String == "syn-ack")
            let d = doc["decided_by"] as? [String: Any]
            #expect(d?["chain"] as? String == "INPUT" && d?["handle"] as? Int == 1 && d?["legacy"] as? Bool == true)
            // An ICMP error about the flow is related, not established: the rule does not take it.
            let (icmpStatus, icmp) = try verdict(ns, ["--dst", "10.77.0.1", "--dport", "8001", "--reply", "icmp-error"])
            #expect(icmpStatus == 0 && icmp["verdict"] as? String == "accept")
            let misuse = try HostAuditCLI.run(in: ns, ["firewall", "verdict", "--dst", "10.77.0.1", "--dport", "8001", "--reply", "syn-ack", "--trace"])
            #expect(misuse.status == 64)
        }
    }

    /// `fib saddr . iif oif missing drop` in prerouting: the answer's
    /// reverse-path lookup is the kernel's route back to the peer. Through
    /// d0 (one end of a veth pair), where the answer arrives: accepted. With policy routing that sends
    /// lookups without ports (as nft_fib makes them) to an unreachable route:
    /// the filter drops the SYN-ACK and is named.
    @Test(.privileged) func replyThroughReversePathFilter() throws {
        try NetNamespace.with(tag: "vrpf") { ns in
            try ns.check(["ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1"])
            try ns.check(["ip", "link", "set", "d0", "up"])
            try ns.check(["ip", "link", "set", "d1", "up"])
            try ns.check(["ip", "addr", "add", "10.78.0.2/24", "dev", "d0"])
            try ns.check(["nft", "add table inet rpf; add chain inet rpf pre { type filter hook prerouting priority -150; policy accept; }; add rule inet rpf pre fib saddr . iif oif missing drop"])
            let args = ["--dst", "10.78.0.1", "--dport", "8001", "--sport", "40000", "--reply", "syn-ack"]
            let (status, doc) = try verdict(ns, args)
            #expect(status == 0 && doc["verdict"] as? String == "accept", "\(doc)")
            #expect((doc["notes"] as? [String])?.contains { $0.contains("route back to 10.78.0.1 is unicast via d0") } == true, "\(doc)")
            try ns.check(["ip", "route", "add", "unreachable", "10.78.0.1/32", "table", "100"])
            try ns.check(["ip", "rule", "add", "priority", "100", "not", "dport", "8001", "table", "100"])
            let (dropStatus, dropped) = try verdict(ns, args)
            #expect(dropStatus == 1 && dropped["verdict"] as? String == "drop", "\(dropped)")
            let d = dropped["decided_by"] as? [String: Any]
            #expect(d?["table"] as? String == "inet rpf" && d?["chain"] as? String == "pre", "\(dropped)")
        }
    }
}

/// Parses JSON text into the project's `JSONValue` (through Foundation).
enum JSONTestParse {
    static func parse(_ text: String) -> JSONValue? {
        guard let data = text.data(using: .utf8), let obj = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        return convert(obj)
    }

    static func convert(_ o: Any) -> JSONValue {
        switch o {
        case let d as [String: Any]:
            var out = JSONObject()
            for (k, v) in d { out[k] = convert(v) }
            return .object(out)
        case let a as [Any]: return .array(a.map(convert))
        case let s as String: return .string(s)
        case let b as Bool where type(of: o) == type(of: true as NSNumber) || "\(type(of: o))".contains("Bool"): return .bool(b)
        case let n as NSNumber:
            return n.doubleValue == n.doubleValue.rounded() ? .int(n.int64Value) : .double(n.doubleValue)
        default: return .null
        }
    }
}
