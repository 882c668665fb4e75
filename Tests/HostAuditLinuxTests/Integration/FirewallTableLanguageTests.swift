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

    /// `connmark`, the last extension of the corpora hostaudit printed as
    /// `[undecoded …]`, in each form: the table reads back exactly as
    /// iptables-save prints it, with no warning. (No extension iptables-nft
    /// 1.8.9 loads is left undecoded, so the in-place text and its warning for
    /// one are tested on decoded rules in UndecodedExtensionTests.)
    @Test func connmarkPrintsAsIptablesSave() throws {
        try NetNamespace.with(tag: "connmark") { ns in
            try ns.check(["iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "80", "-j", "ACCEPT"])
            for m in [["--mark", "0x1"], ["--mark", "1/0xff"], ["!", "--mark", "0x10/0xf0"], ["--mark", "0xffffffff"], ["--mark", "0/0"]] {
                try ns.check(["iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "81", "-m", "connmark"] + m + ["-j", "DROP"])
            }
            try ns.check(["iptables-nft", "-A", "OUTPUT", "-m", "comment", "--comment", "after", "-j", "ACCEPT"])
            let save = try Self.save(ns)
            #expect(save.contains("-m connmark ! --mark 0x10/0xf0"), "\(save)")
            let ours = try HostAuditCLI.run(in: ns, ["firewall", "show"])
            #expect(ours.status == 0, "\(ours)")
            #expect(ours.stdout.contains("# table ip filter (iptables-nft)\n" + save), "\(ours.stdout)")
            #expect(!ours.stdout.contains("undecoded"))
            #expect(!ours.stderr.contains("warning"), "\(ours.stderr)")
        }
    }

    /// `socket` (every flag combination, revision 3), `cgroup` (`--cgroup` and
    /// `--path`, plain and inverted, revision 2), `devgroup` (source and
    /// destination groups, with masks, inverted, a named group), `rpfilter`,
    /// `eui64`, `cluster`, TTL, HL, CLASSIFY, CONNSECMARK, CONNMARK (every mode
    /// and shift), TPROXY, TCPOPTSTRIP, NETMAP, DNPT, SNPT, ECN and CT zones print exactly as iptables-save / ip6tables-save print them,
    /// with no warning.
    @Test func socketCgroupDevgroupPrintAsIptablesSave() throws {
        try NetNamespace.with(tag: "sockcg") { ns in
            let socket: [[String]] = [
                [], ["--transparent"], ["--nowildcard"], ["--restore-skmark"], ["--transparent", "--nowildcard"],
                ["--nowildcard", "--restore-skmark"], ["--transparent", "--nowildcard", "--restore-skmark"],
            ]
            let cgroup: [[String]] = [
                ["--cgroup", "1"], ["!", "--cgroup", "0x10"], ["--cgroup", "4294967295"], ["--path", "/"], ["!", "--path", "/"],
            ]
            for tool in ["iptables-nft", "ip6tables-nft"] {
                for options in socket {
                    try ns.check([tool, "-t", "mangle", "-A", "PREROUTING", "-m", "socket"] + options + ["-j", "ACCEPT"])
                }
                for options in cgroup {
                    try ns.check([tool, "-t", "mangle", "-A", "OUTPUT", "-m", "cgroup"] + options)
                }
            }
            let devgroup: [(String, [String])] = [
                ("INPUT", ["--src-group", "1"]), ("INPUT", ["!", "--src-group", "0x10/0xff"]),
                ("FORWARD", ["--src-group", "2", "!", "--dst-group", "3/0xf"]), ("OUTPUT", ["--dst-group", "default"]),
                ("OUTPUT", ["--dst-group", "0xffffffff"]), ("FORWARD", ["!", "--src-group", "0", "--dst-group", "0/0"]),
            ]
            for (chain, options) in devgroup {
                try ns.check(["iptables-nft", "-A", chain, "-m", "devgroup"] + options + ["-j", "ACCEPT"])
            }
            try Self.addMangleExtensions(ns)
            let ours = try HostAuditCLI.run(in: ns, ["firewall", "show"])
            #expect(ours.status == 0, "\(ours)")
            #expect(!ours.stderr.contains("warning"), "\(ours.stderr)")
            #expect(!ours.stdout.contains("undecoded"), "\(ours.stdout)")
            for (family, save, table) in [
                ("ip", "iptables-nft-save", "mangle"), ("ip6", "ip6tables-nft-save", "mangle"), ("ip", "iptables-nft-save", "filter"),
                ("ip", "iptables-nft-save", "nat"), ("ip6", "ip6tables-nft-save", "nat"),
                ("ip", "iptables-nft-save", "raw"), ("ip6", "ip6tables-nft-save", "raw"),
            ] {
                let expected = try ns.check([save, "-t", table]).stdout.split(separator: "\n", omittingEmptySubsequences: false)
                    .filter { !$0.hasPrefix("#") }.joined(separator: "\n")
                #expect(expected.contains(["filter": "-m devgroup", "nat": "-j NETMAP", "raw": "--zone-reply mark"][table] ?? "-m cgroup"))
                #expect(ours.stdout.contains("# table \(family) \(table) (iptables-nft)\n" + expected), "\(family) \(table)\n\(ours.stdout)")
            }
        }
    }

    static func addMangleExtensions(_ ns: NetNamespace) throws {
        let both: [[String]] = [
            ["PREROUTING", "-m", "rpfilter"], ["PREROUTING", "-m", "rpfilter", "--loose"],
            ["PREROUTING", "-m", "rpfilter", "--validmark", "--accept-local", "--invert"],
            ["FORWARD", "-j", "CLASSIFY", "--set-class", "1:2"], ["FORWARD", "-j", "CLASSIFY", "--set-class", "ffff:abcd"],
            ["FORWARD", "-j", "CONNSECMARK", "--save"], ["FORWARD", "-j", "CONNSECMARK", "--restore"],
            ["FORWARD", "-j", "CONNMARK", "--set-mark", "5"], ["FORWARD", "-j", "CONNMARK", "--set-xmark", "0x5/0xf0"],
            ["FORWARD", "-j", "CONNMARK", "--and-mark", "0x3"], ["FORWARD", "-j", "CONNMARK", "--xor-mark", "0x3"],
            ["FORWARD", "-j", "CONNMARK", "--save-mark", "--mask", "0xff"],
            ["FORWARD", "-j", "CONNMARK", "--restore-mark", "--nfmask", "0xf", "--ctmask", "0xff"],
            ["FORWARD", "-j", "CONNMARK", "--set-mark", "0x10", "--left-shift-mark", "3"],
            ["FORWARD", "-j", "CONNMARK", "--save-mark", "--right-shift-mark", "8"],
            ["PREROUTING", "-p", "tcp", "-j", "TPROXY", "--on-port", "80"],
            ["PREROUTING", "-m", "cluster", "--cluster-total-nodes", "2", "--cluster-local-node", "1", "--cluster-hash-seed", "0xfeedcafe"],
            ["PREROUTING", "-m", "cluster", "--cluster-total-nodes", "3", "!", "--cluster-local-node", "3", "--cluster-hash-seed", "0"],
            ["PREROUTING", "-p", "tcp", "-j", "TCPOPTSTRIP"],
            ["PREROUTING", "-p", "tcp", "-j", "TCPOPTSTRIP", "--strip-options", "mss,wscale,sack-permitted,sack,timestamp,md5"],
            ["PREROUTING", "-p", "tcp", "-j", "TCPOPTSTRIP", "--strip-options", "2,31,32,33,64,254,255"],
            ["PREROUTING", "-p", "udp", "-j", "TPROXY", "--on-port", "53", "--tproxy-mark", "0x1/0x3"],
        ]
        for tool in ["iptables-nft", "ip6tables-nft"] {
            for rule in both { try ns.check([tool, "-t", "mangle", "-A"] + rule) }
        }
        for rule: [String] in [
            ["iptables-nft", "-A", "PREROUTING", "-p", "tcp", "-j", "TPROXY", "--on-port", "81", "--on-ip", "127.0.0.2"],
            ["ip6tables-nft", "-A", "PREROUTING", "-p", "tcp", "-j", "TPROXY", "--on-port", "81", "--on-ip", "::1"],
            ["iptables-nft", "-A", "POSTROUTING", "-j", "TTL", "--ttl-set", "0"],
            ["iptables-nft", "-A", "POSTROUTING", "-j", "TTL", "--ttl-inc", "255"],
            ["iptables-nft", "-A", "POSTROUTING", "-j", "TTL", "--ttl-dec", "3"],
            ["iptables-nft", "-A", "POSTROUTING", "-p", "tcp", "-j", "ECN", "--ecn-tcp-remove"],
            ["iptables-nft", "-A", "POSTROUTING", "-p", "tcp", "-j", "ECN", "--ecn-tcp-ece", "0", "--ecn-tcp-cwr", "1"],
            ["iptables-nft", "-A", "POSTROUTING", "-p", "tcp", "-j", "ECN", "--ecn-ip-ect", "2"],
            ["iptables-nft", "-A", "POSTROUTING", "-p", "tcp", "-j", "ECN", "--ecn-ip-ect", "0", "--ecn-tcp-cwr", "0"],
            ["ip6tables-nft", "-A", "POSTROUTING", "-j", "HL", "--hl-set", "64"],
            ["ip6tables-nft", "-A", "POSTROUTING", "-j", "HL", "--hl-dec", "2"],
            ["ip6tables-nft", "-A", "PREROUTING", "-m", "eui64", "-j", "HL", "--hl-inc", "1"],
            ["ip6tables-nft", "-A", "PREROUTING", "-j", "DNPT", "--src-pfx", "dead::/64", "--dst-pfx", "1c3::/64"],
            ["ip6tables-nft", "-A", "POSTROUTING", "-j", "SNPT", "--src-pfx", "2001:db8:1::/48", "--dst-pfx", "2001:db8:2::/48"],
            ["ip6tables-nft", "-A", "POSTROUTING", "-j", "SNPT", "--src-pfx", "dead::/64", "--dst-pfx", "::/0"],
            ["ip6tables-nft", "-A", "POSTROUTING", "-j", "SNPT", "--src-pfx", "::/0", "--dst-pfx", "::/0"],
        ] {
            try ns.check([rule[0], "-t", "mangle"] + rule.dropFirst())
        }
        for tool in ["iptables-nft", "ip6tables-nft"] {
            for options: [String] in [
                ["--zone", "1"], ["--zone-orig", "2"], ["--zone-reply", "3"], ["--zone", "mark"], ["--zone-orig", "mark"],
                ["--zone-reply", "mark"], ["--notrack", "--zone", "4"], ["--helper", "ftp", "--zone", "5"],
                ["--ctevents", "new,related", "--zone-orig", "6"], ["--zone", "0"], ["--zone", "65535"],
            ] {
                try ns.check([tool, "-t", "raw", "-A", "PREROUTING", "-p", "tcp", "-j", "CT"] + options)
            }
        }
        for rule: [String] in [
            ["iptables-nft", "-A", "PREROUTING", "-j", "NETMAP", "--to", "1.2.3.0/24"],
            ["iptables-nft", "-A", "POSTROUTING", "-j", "NETMAP", "--to", "1.2.3.4"],
            ["iptables-nft", "-A", "PREROUTING", "-j", "NETMAP", "--to", "10.0.0.0/255.0.255.0"],
            ["iptables-nft", "-A", "PREROUTING", "-j", "NETMAP", "--to", "0.0.0.0/0"],
            ["ip6tables-nft", "-A", "PREROUTING", "-j", "NETMAP", "--to", "dead::/64"],
            ["ip6tables-nft", "-A", "POSTROUTING", "-j", "NETMAP", "--to", "dead::beef"],
            ["ip6tables-nft", "-A", "POSTROUTING", "-j", "NETMAP", "--to", "::/0"],
        ] {
            try ns.check([rule[0], "-t", "nat"] + rule.dropFirst())
        }
    }
}
