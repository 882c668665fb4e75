import Foundation
import HostAuditTestSupport
import Testing

/// `hostaudit firewall show` as a user runs it, inside throw-away namespaces.
@Suite(.privileged) struct FirewallShowCLITests {
    static let native = """
        table inet filter {
            set blocked { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.0.2.1 } }
            chain output {
                type filter hook output priority filter; policy accept;
                ip daddr @blocked counter reject with icmpx admin-prohibited
                tcp dport { 25, 465 } drop comment "no smtp"
            }
        }
        """

    @Test func nativeTablesPrintExactlyAsNft() throws {
        try NetNamespace.with(tag: "show") { ns in
            try ns.check(["nft", "-f", "-"], stdin: Self.native)
            let ours = try HostAuditCLI.run(in: ns, ["firewall", "show"])
            #expect(ours.status == 0, "\(ours)")
            let nft = try ns.check(["nft", "list", "ruleset"])
            #expect(ours.stdout == nft.stdout)
        }
    }

    @Test func iptablesTablesPrintAsIptablesSaveAndNftTablesAsNft() throws {
        try NetNamespace.with(tag: "showmix") { ns in
            try ns.check(["nft", "-f", "-"], stdin: Self.native)
            try ns.check(["iptables", "-A", "OUTPUT", "-m", "conntrack", "--ctstate", "NEW", "-p", "tcp", "--dport", "80",
                "-m", "comment", "--comment", "web out", "-j", "ACCEPT"])
            let ours = try HostAuditCLI.run(in: ns, ["firewall", "show"])
            #expect(ours.status == 0, "\(ours)")
            let save = try ns.check(["iptables-save", "-t", "filter"]).stdout
                .split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("# ") }.joined(separator: "\n")
            #expect(ours.stdout.contains("# table ip filter (iptables-nft)\n" + save))
            // The native table is still there, in nft syntax.
            #expect(ours.stdout.contains("table inet filter {\n"))
            #expect(ours.stdout.contains("tcp dport { 25, 465 } drop comment \"no smtp\""))

            // iptables-save lists every built-in chain, even those iptables-nft never created.
            #expect(ours.stdout.contains(":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"))

            // --nft forces nft syntax everywhere. The native table is exactly nft's; for the
            // xt rule nft prints libxtables' lossy translation (the comment silently dropped),
            // which we deliberately do not repeat.
            let forced = try HostAuditCLI.run(in: ns, ["firewall", "show", "--nft"])
            let nft = try ns.check(["nft", "list", "ruleset"]).stdout
            func block(_ text: String, _ header: String) -> String {
                guard let start = text.range(of: header) else { return "" }
                let rest = text[start.lowerBound...]
                guard let end = rest.range(of: "\n}\n") else { return String(rest) }
                return String(rest[..<end.upperBound])
            }
            #expect(!block(forced.stdout, "table inet filter {").isEmpty)
            #expect(block(forced.stdout, "table inet filter {") == block(nft, "table inet filter {"))
            #expect(forced.stdout.contains("table ip filter {"))
            #expect(!forced.stdout.contains("*filter"))
        }
    }

    /// A native nft rule added to a table iptables-nft manages: the table stays
    /// iptables-save's, the rule stays in place in nft syntax, and a warning names it.
    @Test func nativeRuleInAnIptablesTableStaysInPlace() throws {
        try NetNamespace.with(tag: "shownative") { ns in
            try ns.check(["iptables", "-A", "OUTPUT", "-p", "tcp", "--dport", "25", "-m", "comment", "--comment", "smtp",
                "-j", "DROP"])
            try ns.check(["nft", "add", "rule", "ip", "filter", "OUTPUT", "udp", "dport", "53", "meta", "mark", "set", "0x2"])
            try ns.check(["iptables", "-A", "OUTPUT", "-j", "NFLOG", "--nflog-group", "3"])
            let ours = try HostAuditCLI.run(in: ns, ["firewall", "show"])
            #expect(ours.status == 0, "\(ours)")
            let nftRule = "udp dport 53 meta mark set 0x00000002"
            let want = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                + "-A OUTPUT -p tcp -m tcp --dport 25 -m comment --comment smtp -j DROP\n"
                + "# -A OUTPUT, in nft syntax (no iptables form): \(nftRule)\n"
                + "-A OUTPUT -j NFLOG --nflog-group 3\nCOMMIT\n"
            #expect(ours.stdout.contains("# table ip filter (iptables-nft)\n" + want), "\(ours.stdout)")
            #expect(!ours.stdout.contains("table ip filter {"))
            // nft itself prints the rule the same way.
            #expect(try ns.check(["nft", "list", "ruleset"]).stdout.contains("\t\t" + nftRule + "\n"))
            #expect(ours.stderr.contains("table ip filter chain OUTPUT rule handle"), "\(ours.stderr)")
            #expect(ours.stderr.contains("printed in place in nft syntax as `\(nftRule)`"), "\(ours.stderr)")
        }
    }

    @Test func jsonIsLibnftablesJSONEqualToNftJ() throws {
        try NetNamespace.with(tag: "showjson") { ns in
            try ns.check(["nft", "-f", "-"], stdin: Self.native)
            try ns.check(["iptables", "-A", "OUTPUT", "-p", "tcp", "--dport", "25", "-m", "conntrack", "--ctstate",
                "NEW", "-j", "REJECT"])
            let ours = try HostAuditCLI.run(in: ns, ["firewall", "show", "--format", "json"])
            #expect(ours.status == 0, "\(ours)")
            let nft = try ns.check(["nft", "-j", "list", "ruleset"])
            var a = try #require(JSONSerialization.jsonObject(with: Data(ours.stdout.utf8)) as? [String: Any])
            let b = try #require(JSONSerialization.jsonObject(with: Data(nft.stdout.utf8)) as? [String: Any])
            // Our extension sits beside `nftables`; metainfo names hostaudit instead of nft.
            let ext = try #require(a.removeValue(forKey: "hostaudit") as? [String: Any])
            #expect(ext["backends_conflict"] as? Bool == false)
            func strip(_ doc: [String: Any]) -> [Any] {
                ((doc["nftables"] as? [Any]) ?? []).map { item -> Any in
                    guard var o = item as? [String: Any] else { return item }
                    if var m = o["metainfo"] as? [String: Any] {
                        m["version"] = nil
                        m["release_name"] = nil
                        o["metainfo"] = m
                    }
                    // xt objects carry our decoded options; nft's carry type and name only.
                    return Self.removingKey("hostaudit", from: o)
                }
            }
            #expect(NSArray(array: strip(a)).isEqual(to: strip(b)))
            // The xt match/target carry what iptables would print.
            #expect(ours.stdout.contains("--ctstate NEW"))
        }
    }

    static func removingKey(_ key: String, from value: Any) -> Any {
        if var o = value as? [String: Any] {
            o[key] = nil
            for (k, v) in o { o[k] = removingKey(key, from: v) }
            return o
        }
        if let a = value as? [Any] { return a.map { removingKey(key, from: $0) } }
        return value
    }

    @Test func withoutCapNetAdminExits3WithAClearMessage() throws {
        try NetNamespace.with(tag: "shownocap") { ns in
            let r = try CommandRunner.run([
                "ip", "netns", "exec", ns.name, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", try UnprivilegedCopy.of(HostAuditCLI.binaryPath),
                "firewall", "show",
            ])
            #expect(r.status == 3, "\(r)")
            #expect(r.stderr.contains("CAP_NET_ADMIN"))
            #expect(r.stdout.isEmpty)
        }
    }
}
