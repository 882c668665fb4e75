import Foundation
import HostAuditTestSupport
import Testing

/// A table keeps the language it was written in: an iptables-nft rule whose
/// extension hostaudit cannot print is still printed in place in the
/// iptables-save block, with the undecoded part named, and a warning on stderr
/// and in the JSON `warnings` names the rule and the extension.
@Suite(.privileged) struct FirewallTableLanguageTests {
    static func save(_ ns: NetNamespace) throws -> String {
        try ns.check(["iptables-nft-save", "-t", "filter"]).stdout
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("# ") }.joined(separator: "\n")
    }

    /// ufw's `ufw limit 22/tcp` rules (`-m recent`): printed exactly as iptables-save does.
    @Test func ufwLimitRulesPrintAsIptablesSave() throws {
        try NetNamespace.with(tag: "ufwlimit") { ns in
            try ns.check(["iptables-nft", "-N", "ufw-user-input"])
            try ns.check(["iptables-nft", "-A", "INPUT", "-j", "ufw-user-input"])
            try ns.check([
                "iptables-nft", "-A", "ufw-user-input", "-p", "tcp", "--dport", "22", "-m", "conntrack", "--ctstate", "NEW",
                "-m", "recent", "--set", "--name", "DEFAULT", "--mask", "255.255.255.255", "--rsource",
            ])
            try ns.check([
                "iptables-nft", "-A", "ufw-user-input", "-p", "tcp", "--dport", "22", "-m", "conntrack", "--ctstate", "NEW",
                "-m", "recent", "--update", "--seconds", "30", "--hitcount", "6", "--name", "DEFAULT", "--mask",
                "255.255.255.255", "--rsource", "-j", "DROP",
            ])
            try ns.check(["iptables-nft", "-A", "ufw-user-input", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"])
            let ours = try HostAuditCLI.run(in: ns, ["firewall", "show"])
            #expect(ours.status == 0, "\(ours)")
            #expect(ours.stdout.contains("# table ip filter (iptables-nft)\n" + (try Self.save(ns))), "\(ours.stdout)")
            #expect(!ours.stdout.contains("xt match"))
            #expect(!ours.stderr.contains("warning"), "\(ours.stderr)")
        }
    }

    /// An extension hostaudit does not print (`u32`) stays in place, named; the
    /// rest of the table is still exactly iptables-save's, and the rule is named
    /// in a warning on stderr and in the JSON document.
    @Test func undecodedExtensionStaysInPlaceWithAWarning() throws {
        try NetNamespace.with(tag: "undecoded") { ns in
            try ns.check(["iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "80", "-j", "ACCEPT"])
            try ns.check([
                "iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "81", "-m", "u32", "--u32", "0x0=0x0&&0x0=0x1", "-j", "DROP",
            ])
            try ns.check(["iptables-nft", "-A", "OUTPUT", "-m", "comment", "--comment", "after", "-j", "ACCEPT"])
            let save = try Self.save(ns)
            let ours = try HostAuditCLI.run(in: ns, ["firewall", "show"])
            #expect(ours.status == 0, "\(ours)")
            let expected = save.replacingOccurrences(
                of: "-A INPUT -p tcp -m tcp --dport 81 -m u32 --u32 \"0x0=0x0&&0x0=0x1\" -j DROP",
                with: "-A INPUT -p tcp -m tcp --dport 81 -m u32 [undecoded: revision 0, 1984 bytes] -j DROP")
            #expect(expected != save)
            #expect(ours.stdout.contains("# table ip filter (iptables-nft)\n*filter\n"))
            #expect(ours.stdout.contains("# table ip filter (iptables-nft)\n" + expected), "\(ours.stdout)")
            #expect(!ours.stdout.contains("table ip filter {"))
            #expect(ours.stderr.contains("hostaudit: warning: table ip filter chain INPUT rule handle "), "\(ours.stderr)")
            #expect(ours.stderr.contains("options of match u32 not decoded"), "\(ours.stderr)")

            let json = try HostAuditCLI.run(in: ns, ["firewall", "show", "--format", "json"])
            let doc = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            let warnings = (doc?["hostaudit"] as? [String: Any])?["warnings"] as? [String] ?? []
            #expect(warnings.contains { $0.contains("chain INPUT") && $0.contains("match u32") }, "\(warnings)")
        }
    }
}
