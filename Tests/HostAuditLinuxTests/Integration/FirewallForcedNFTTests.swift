import Foundation
import HostAuditTestSupport
import Testing

/// `hostaudit firewall show --nft` on iptables-nft tables: each decoded xt
/// match or target with an exact nft equivalent prints as that equivalent
/// (nft's own listing prints libxtables' lossy translation, e.g. dropping
/// comments); the rest stays `xt match "name"`. Default text is unchanged.
@Suite(.privileged) struct FirewallForcedNFTTests {
    static let filterRules = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        -A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW,ESTABLISHED -m comment --comment "ssh in" -j ACCEPT
        -A INPUT -m conntrack ! --ctstate INVALID -j ACCEPT
        -A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
        -A INPUT -m conntrack --ctstate ESTABLISHED --ctdir REPLY -j ACCEPT
        -A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT
        -A INPUT -p udp -m multiport ! --sports 53,123 -j DROP
        -A INPUT -p tcp -m multiport --ports 25,587 -j DROP
        -A INPUT -p icmp -m icmp --icmp-type 3/4 -j ACCEPT
        -A INPUT -m conntrack --ctstate NEW -m conntrack --ctorigsrc 10.0.0.0/8 -j ACCEPT
        -A INPUT -j LOG --log-prefix "drop: " --log-level 6
        -A INPUT -j REJECT --reject-with icmp-host-prohibited
        -A INPUT -p tcp -j REJECT --reject-with tcp-reset
        -A OUTPUT -m owner --uid-owner 1000 -j ACCEPT
        -A OUTPUT -m owner ! --uid-owner 1000 -j DROP
        -A OUTPUT -j MARK --set-xmark 0x20/0xf0
        COMMIT
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        -A PREROUTING -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080
        -A PREROUTING -p tcp -m tcp --dport 81 -j REDIRECT --to-ports 8081
        -A POSTROUTING -o eth0 -j MASQUERADE --random-fully
        -A POSTROUTING -o eth1 -j SNAT --to-source 1.2.3.0-1.2.3.255
        COMMIT

        """

    /// Rule lines of the forced-nft text, indentation dropped.
    static func ruleLines(_ text: String) -> [String] {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    @Test func decodedExtensionsPrintAsTheirNftEquivalents() throws {
        try NetNamespace.with(tag: "shownft") { ns in
            try ns.check(["iptables-restore"], stdin: Self.filterRules)
            let forced = try HostAuditCLI.run(in: ns, ["firewall", "show", "--nft"])
            #expect(forced.status == 0, "\(forced)")
            let lines = Self.ruleLines(forced.stdout)
            let c = "counter packets 0 bytes 0"
            let expected = [
                // conntrack/state (bit order as nft prints flags), comment at the end.
                "tcp dport 22 ct state established,new \(c) accept comment \"ssh in\"",
                "ct state != invalid \(c) accept",
                "ct state established,related \(c) accept",
                "ct state established ct direction reply \(c) accept",
                // multiport with the rule's protocol; `-p tcp`'s dependency folded away as nft does.
                "tcp dport { 80, 443, 8000-8080 } \(c) accept",
                "udp sport != { 53, 123 } \(c) drop",
                "icmp type destination-unreachable icmp code frag-needed \(c) accept",
                "\(c) log prefix \"drop: \" level info",
                "\(c) reject with icmp host-prohibited",
                "meta l4proto tcp \(c) reject with tcp reset",
                "meta skuid 1000 \(c) accept",
                "\(c) meta mark set meta mark & 0xffffff2f | 0x00000020",
                "tcp dport 80 \(c) dnat to 10.0.0.2:8080",
                "tcp dport 81 \(c) redirect to :8081",
                "oifname \"eth0\" \(c) masquerade fully-random",
                "oifname \"eth1\" \(c) snat to 1.2.3.0/24",
            ]
            for e in expected {
                #expect(lines.contains(e), "missing `\(e)` in\n\(forced.stdout)")
            }
            // No exact equivalent: stays opaque, whole. `--ports` matches either port;
            // an inverted owner match also matches packets without a socket (nft's
            // `meta skuid !=` does not); conntrack addresses are not translated.
            #expect(lines.contains("meta l4proto tcp xt match \"multiport\" \(c) drop"))
            #expect(lines.contains("xt match \"owner\" \(c) drop"))
            #expect(lines.contains("ct state new xt match \"conntrack\" \(c) accept"))
            // Nothing of nft's lossy translation.
            #expect(!forced.stdout.contains("ct status"))
            #expect(!forced.stdout.contains("*filter"))

            // Default text is still iptables-save's.
            let plain = try HostAuditCLI.run(in: ns, ["firewall", "show"])
            let save = try ns.check(["iptables-save", "-t", "filter"]).stdout
                .split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("# ") }.joined(separator: "\n")
            #expect(plain.stdout.contains("# table ip filter (iptables-nft)\n" + save))
            #expect(!plain.stdout.contains("table ip filter {"))
        }
    }

    /// The translations are nft's own syntax: the translated rules, loaded
    /// natively with `nft -f`, list back exactly as we printed them.
    @Test func translationsRoundTripThroughNft() throws {
        let forced = try NetNamespace.with(tag: "shownft1") { ns -> String in
            try ns.check(["iptables-restore"], stdin: Self.filterRules)
            return try HostAuditCLI.run(in: ns, ["firewall", "show", "--nft"]).stdout
        }
        let native = forced.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("xt match") && !$0.contains("xt target") && !$0.hasPrefix("#") }
            .joined(separator: "\n")
        try NetNamespace.with(tag: "shownft2") { ns in
            try ns.check(["nft", "-f", "-"], stdin: native)
            let listed = try ns.check(["nft", "list", "ruleset"]).stdout
            #expect(listed == native)
        }
    }
}
