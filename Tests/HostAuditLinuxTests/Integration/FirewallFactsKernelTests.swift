import Foundation
import HostAuditTestSupport
import Testing

/// `hostaudit facts firewall` against the real kernel, in throw-away namespaces.
@Suite(.privileged) struct FirewallFactsKernelTests {
    func facts(_ ns: NetNamespace) throws -> [String: Any] {
        let r = try HostAuditCLI.run(in: ns, ["facts", "firewall", "--format", "json"])
        #expect(r.status == 0, "\(r)")
        let doc = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        return try #require(doc["firewall"] as? [String: Any])
    }

    @Test func countersMoveWithRealTrafficAndHooksAreOrdered() throws {
        try NetNamespace.with(tag: "fwfacts") { ns in
            try ns.check(
                ["nft", "-f", "-"],
                stdin: """
                    table inet filter {
                        chain input { type filter hook input priority 0; policy drop;
                            iif lo counter accept comment "loopback"
                        }
                        chain output { type filter hook output priority 10; policy accept;
                            tcp dport 9 counter drop
                        }
                    }
                    table ip early {
                        chain out { type filter hook output priority -150; policy accept; }
                    }
                    """)
            // Real packets on the namespace's loopback: a UDP datagram to 127.0.0.1 passes `iif lo accept`.
            try ns.check([
                "python3", "-c",
                "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'x', ('127.0.0.1', 5353))",
            ])
            let f = try facts(ns)
            #expect(f["available"] as? Bool == true)
            let hooks = try #require(f["hooks"] as? [String: Any])
            let output = try #require(hooks["output"] as? [[String: Any]])
            #expect(output.map { $0["table"] as? String } == ["early", "filter"])
            let input = try #require(hooks["input"] as? [[String: Any]])
            #expect(input.first?["policy"] as? String == "drop")
            let summary = try #require(f["summary"] as? [String: Any])
            #expect(summary["input_default_deny"] as? Bool == true)
            #expect(summary["output_wide_open"] as? Bool == false)
            let rules = try #require(f["rules"] as? [[String: Any]])
            let loopback = try #require(rules.first { $0["comment"] as? String == "loopback" })
            #expect((loopback["packets"] as? Int ?? 0) >= 1, "\(loopback)")
            #expect(loopback["verdict"] as? String == "accept")
        }
    }

    @Test func legacyAndNftablesTogetherIsAConflict() throws {
        try NetNamespace.with(tag: "fwlegacy") { ns in
            try ns.check(["iptables-legacy", "-A", "OUTPUT", "-p", "tcp", "--dport", "25", "-j", "DROP"])
            let before = try facts(ns)
            let b1 = try #require(before["backends"] as? [String: Any])
            #expect(b1["iptables_legacy"] as? Bool == true)
            #expect(b1["conflict"] as? Bool == false)
            // An empty nft table filters nothing: still no conflict. A rule makes one.
            try ns.check(["nft", "add", "table", "inet", "t"])
            let empty = try #require(try facts(ns)["backends"] as? [String: Any])
            #expect(empty["conflict"] as? Bool == false)
            try ns.check(["nft", "add", "chain", "inet", "t", "o", "{ type filter hook output priority 0; }"])
            try ns.check(["nft", "add", "rule", "inet", "t", "o", "tcp", "dport", "25", "drop"])
            let after = try facts(ns)
            let b2 = try #require(after["backends"] as? [String: Any])
            #expect(b2["conflict"] as? Bool == true)
            #expect((b2["legacy_tables"] as? [String])?.contains("ip filter") == true)
            #expect(b2["legacy_rules"] as? Int == 1)
            #expect((b2["note"] as? String)?.contains("both") == true)
        }
    }

    @Test func withoutCapNetAdminTheSectionSaysWhy() throws {
        try NetNamespace.with(tag: "fwnocap") { ns in
            let r = try CommandRunner.run([
                "ip", "netns", "exec", ns.name, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", try UnprivilegedCopy.of(HostAuditCLI.binaryPath), "facts", "firewall", "--format",
                "json",
            ])
            #expect(r.status == 0, "\(r)")
            let doc = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let f = try #require(doc["firewall"] as? [String: Any])
            #expect(f["available"] as? Bool == false)
            #expect((f["error"] as? String)?.contains("CAP_NET_ADMIN") == true, "\(f)")
        }
    }
}
