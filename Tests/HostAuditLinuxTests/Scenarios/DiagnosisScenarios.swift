import Foundation
import HostAuditTestSupport
import Testing

/// Built-truth diagnosis scenarios (client → router → server namespaces,
/// IPv4 and IPv6): each builds its truth, proves it with a plain connect()
/// or getent in the client namespace, then checks `hostaudit egress`'s
/// cause, confidence and (where it matters) the named offender or route.
/// Outcomes are tallied right / unknown / wrong; wrong fails the test.
@Suite(.privileged) struct DiagnosisScenarios {
    let tally = ScenarioTally.shared

    // MARK: Router ICMP errors, every unreachable code, with and without ping

    static let v4Codes: [(nft: String, port: Int)] = [
        ("net-unreachable", 7001), ("host-unreachable", 7002), ("prot-unreachable", 7003), ("port-unreachable", 7004),
        ("net-prohibited", 7005), ("host-prohibited", 7006), ("admin-prohibited", 7007),
    ]
    static let v6Codes: [(nft: String, port: Int)] = [
        ("no-route", 7011), ("admin-prohibited", 7012), ("addr-unreachable", 7013), ("port-unreachable", 7014),
        ("policy-fail", 7015), ("reject-route", 7016),
    ]

    @Test func routerUnreachableCodes() throws {
        try ScenarioLab.with { s in
            var rules: [String] = []
            for c in Self.v4Codes { rules.append("meta nfproto ipv4 tcp dport \(c.port) reject with icmp type \(c.nft)") }
            for c in Self.v6Codes { rules.append("meta nfproto ipv6 tcp dport \(c.port) reject with icmpv6 type \(c.nft)") }
            try s.routerForward(rules)
            let groups: [(String, Bool, [(nft: String, port: Int)], String)] = [
                (EgressLab.serverV4, true, Self.v4Codes, EgressLab.routerClientV4),
                (ScenarioLab.noPingV4, false, Self.v4Codes, EgressLab.routerClientV4),
                (EgressLab.serverV6, true, Self.v6Codes, EgressLab.routerClientV6),
                (ScenarioLab.noPingV6, false, Self.v6Codes, EgressLab.routerClientV6),
            ]
            for (address, pings, codes, router) in groups {
                // Truth: every port is refused by the router at once.
                for c in codes {
                    let truth = try s.connectTruth(address, c.port)
                    #expect(truth != "open" && truth != "timeout", "\(address):\(c.port) \(c.nft): \(truth)")
                }
                let host = address.contains(":") ? "[\(address)]" : address
                let run = try s.egress(codes.map { "\(host):\($0.port)" })
                for c in codes {
                    let p = run.probe(address, c.port)
                    let name = "router \(c.nft) to \(address)\(pings ? "" : " (no ping)")"
                    // Without ping, a net-unreachable cannot be told from a router without a route:
                    // the tool may say no-route (likely) as long as it names the reject as a candidate.
                    let hedged = !pings && (c.nft == "net-unreachable" || c.nft == "no-route")
                    if hedged {
                        let o = tally.grade(name, p, .notConfidently("no-route", truth: "upstream-reject"))
                        #expect(o != .wrong)
                        #expect(p?.candidates.contains("upstream-reject") == true, "\(name): \(p?.explanation ?? "")")
                    } else {
                        tally.grade(name, p, .cause("upstream-reject", confidence: pings ? ["proven"] : ["proven", "likely"]))
                    }
                    #expect(p?.offender == router, "\(name): offender \(p?.offender ?? "nil")")
                    #expect(p?.cause != "host-down", "\(name)")
                }
            }
        }
    }

    /// Context decides what an unreachable means: another port that answers
    /// shows the host is up (a filter), and a router that gives up on ARP/ND
    /// after about 3 s for an absent host is a down host.
    @Test func unreachableWithContext() throws {
        try ScenarioLab.with { s in
            try s.routerForward([
                "ip daddr 10.66.2.3 tcp dport 7002 reject with icmp type host-unreachable",
                "ip6 daddr fd66:2::3 tcp dport 7013 reject with icmpv6 type addr-unreachable",
            ])
            // The host does not answer ping, but its port 443 does: the unreachable is a filter.
            for (a, port) in [(ScenarioLab.noPingV4, 7002), (ScenarioLab.noPingV6, 7013)] {
                #expect(try s.connectTruth(a, 443) == "open")
                #expect(try s.connectTruth(a, port) == "EHOSTUNREACH")
                let host = a.contains(":") ? "[\(a)]" : a
                let run = try s.egress(["\(host):443", "\(host):\(port)"])
                let p = run.probe(a, port)
                tally.grade("host-unreachable for one port of \(a), another port answers", p, .cause("upstream-reject", confidence: ["proven"]))
                #expect(p?.offender == (a.contains(":") ? EgressLab.routerClientV6 : EgressLab.routerClientV4))
            }
            // An absent host: the router's neighbour resolution fails after about 3 s.
            for a in ["10.66.2.99", "fd66:2::99"] {
                let truth = try s.connectTruth(a, 80, timeout: 8)
                #expect(truth == "EHOSTUNREACH", "\(a): \(truth)")
                let host = a.contains(":") ? "[\(a)]" : a
                let p = try s.egress(["\(host):80"], timeout: 6).probe(a, 80)
                tally.grade("absent host \(a) (router's ARP/ND fails)", p, .cause("host-down", confidence: ["likely"]))
            }
        }
    }

    // MARK: Silence and resets upstream

    @Test func upstreamSilenceAndResets() throws {
        try ScenarioLab.with { s in
            try s.routerForward([
                "ip6 daddr fd66:2::2 tcp dport 80 drop",
                "ip daddr 10.66.2.2 tcp dport 7100 reject with tcp reset",
                "ip6 daddr fd66:2::2 tcp dport 7100 reject with tcp reset",
                "ip saddr 10.66.2.2 tcp sport 7200 tcp flags & (syn | ack) == syn | ack drop",
                "ip6 saddr fd66:2::2 tcp sport 7200 tcp flags & (syn | ack) == syn | ack drop",
            ])
            // The seed: the provider drops port 80, the host answers ping, no local rule.
            for a in [EgressLab.serverV4, EgressLab.serverV6] {
                #expect(try s.connectTruth(a, 80) == "timeout")
                let host = a.contains(":") ? "[\(a)]" : a
                let p = try s.egress(["\(host):80"]).probe(a, 80)
                tally.grade("seed: provider drops :80 to \(a)", p, .cause("upstream-filter", confidence: ["proven"]))
                #expect(p?.explanation.contains("answers ICMP echo") == true, "\(p?.explanation ?? "")")
                // The evidence behind "proven": the socket, the echo, both local directions.
                let kinds = Set((p?.raw["evidence"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String })
                #expect(kinds.isSuperset(of: ["socket", "echo", "verdict", "reply"]), "\(kinds)")
                #expect((p?.raw["candidates"] as? [Any])?.isEmpty == true)
            }
            // A SYN-ACK dropped on the way back, upstream: still upstream filtering.
            for a in [EgressLab.serverV4, EgressLab.serverV6] {
                #expect(try s.connectTruth(a, 7200) == "timeout")
                let host = a.contains(":") ? "[\(a)]" : a
                let p = try s.egress(["\(host):7200"]).probe(a, 7200)
                tally.grade("SYN-ACK dropped upstream from \(a)", p, .cause("upstream-filter"))
            }
            // A reset forged by the router looks like a closed port: never a proven closed port.
            for a in [EgressLab.serverV4, EgressLab.serverV6] {
                #expect(try s.connectTruth(a, 7100) == "refused")
                let host = a.contains(":") ? "[\(a)]" : a
                let p = try s.egress(["\(host):7100"]).probe(a, 7100)
                tally.grade("forged upstream reset from \(a)", p, .notConfidently("closed-port", truth: "upstream-reject"))
                #expect(p?.candidates.contains("upstream-reject") == true, "\(p?.explanation ?? "")")
            }
        }
    }

    // MARK: A reverse-path filter (fib) on the answer's way in

    /// `fib saddr . iif oif missing drop` in the client's prerouting: the
    /// answer's reverse-path lookup is decided from the kernel's own route back
    /// to the server. Where that route leaves through the interface the answer
    /// arrives on, the filter passes the answer and the provider's drop stays
    /// proven; where policy routing sends lookups without ports nowhere (`not
    /// dport 443` → an unreachable route), the filter drops the SYN-ACK and is
    /// named, its counter the witness.
    @Test func reversePathFilterOnTheAnswer() throws {
        try ScenarioLab.with { s in
            try s.routerForward(["ip daddr 10.66.2.2 tcp dport 80 drop", "ip6 daddr fd66:2::2 tcp dport 80 drop"])
            let rpf = """
                table inet rpf {
                  chain pre {
                    type filter hook prerouting priority -150; policy accept;
                    fib saddr . iif oif missing counter drop
                  }
                }
                """
            try s.client.check(["nft", "-f", "-"], stdin: rpf)
            for a in [EgressLab.serverV4, EgressLab.serverV6] {
                let host = a.contains(":") ? "[\(a)]" : a
                #expect(try s.connectTruth(a, 443) == "open")
                #expect(try s.connectTruth(a, 80) == "timeout")
                let run = try s.egress(["\(host):80", "\(host):443"])
                tally.grade("reverse-path filter passes the answer, provider drops :80 to \(a)", run.probe(a, 80), .cause("upstream-filter", confidence: ["proven"]))
                tally.grade("reverse-path filter passes the answer, :443 open on \(a)", run.probe(a, 443), .cause("none", confidence: ["proven"]))
                let replies = (run.probe(a, 80)?.raw["local_verdict"] as? [String: Any])?["replies"] as? [[String: Any]] ?? []
                let synAck = replies.first { $0["kind"] as? String == "syn-ack" }
                #expect(synAck?["verdict"] as? String == "accept", "\(replies)")
            }
            // Lookups without ports (the reverse-path lookup) meet an unreachable route.
            try s.clientRoute(["unreachable", "10.66.2.2/32", "table", "100"])
            try s.clientRule(["priority", "100", "not", "dport", "443", "table", "100"])
            #expect(try s.connectTruth(EgressLab.serverV4, 443) == "timeout")
            let run = try s.egress(["10.66.2.2:443"])
            let p = run.probe(EgressLab.serverV4, 443)
            tally.grade("reverse-path filter drops the SYN-ACK (no route back without ports)", p, .cause("local-firewall", confidence: ["proven", "likely"]))
            let lv = p?.raw["local_verdict"] as? [String: Any]
            let synAck = (lv?["replies"] as? [[String: Any]])?.first { $0["kind"] as? String == "syn-ack" }
            #expect(synAck?["verdict"] as? String == "drop" && synAck?["table"] as? String == "inet rpf" && synAck?["chain"] as? String == "pre", "\(lv ?? [:])")
            #expect((synAck?["counter_delta_packets"] as? Int ?? 0) >= 1, "\(synAck ?? [:])")
            s.reset()
        }
    }

    // MARK: Legacy x_tables, once invisible

    /// The static evaluator reads legacy tables at their hooks: a legacy
    /// OUTPUT DROP is named as the cause, with its counter as a witness. The
    /// kernel's trace cannot see legacy tables; with `--trace` the legacy
    /// rule is still found statically, and the trace's own "no verdict seen"
    /// stays on record.
    @Test func legacyOutputDropIsNamed() throws {
        try ScenarioLab.with { s in
            try s.clientDo(["iptables-legacy", "-A", "OUTPUT", "-p", "tcp", "--dport", "7300", "-j", "DROP"])
            try s.clientDo(["ip6tables-legacy", "-A", "OUTPUT", "-p", "tcp", "--dport", "7300", "-j", "DROP"])
            for a in [EgressLab.serverV4, EgressLab.serverV6] {
                let truth = try s.connectTruth(a, 7300)
                #expect(truth == "timeout" || truth == "EPERM", "\(truth)")
                let host = a.contains(":") ? "[\(a)]" : a
                let p = try s.egress(["\(host):7300"]).probe(a, 7300)
                tally.grade("legacy OUTPUT DROP to \(a)", p, .cause("local-firewall", confidence: ["proven"]))
                #expect(p?.explanation.contains("--dport 7300 -j DROP") == true, "\(p?.explanation ?? "")")
                let verdict = p?.raw["local_verdict"] as? [String: Any]
                #expect(verdict?["legacy"] as? Bool == true && verdict?["chain"] as? String == "OUTPUT", "\(verdict ?? [:])")
                let counters = verdict?["counters"] as? [[String: Any]] ?? []
                #expect(counters.contains { ["exact", "consistent"].contains($0["strength"] as? String ?? "") }, "\(counters)")
            }
            // --trace cannot see legacy tables; it must not say accept.
            let p = try s.egress(["10.66.2.2:7300", "--trace"]).probe(EgressLab.serverV4, 7300)
            tally.grade("legacy OUTPUT DROP with --trace", p, .cause("local-firewall", confidence: ["proven"]))
            let verdict = p?.raw["local_verdict"] as? [String: Any]
            #expect(verdict?["verdict"] as? String == "drop" && verdict?["legacy"] as? Bool == true, "\(verdict ?? [:])")
            let notes = (verdict?["notes"] as? [String] ?? []).joined(separator: "; ")
            #expect(notes.contains("invisible to the trace") && notes.contains("no verdict seen"), "\(notes)")
        }
    }

    /// With `--trace`, a legacy OUTPUT chain that holds a DROP for another
    /// port is something the trace cannot see: a silent port there is not
    /// blamed upstream with confidence (the legacy table is a blind spot).
    @Test func legacyBlindSpotUnderTrace() throws {
        try ScenarioLab.with { s in
            try s.routerForward(["ip daddr 10.66.2.2 tcp dport 7301 drop"])
            try s.clientDo(["iptables-legacy", "-A", "OUTPUT", "-p", "tcp", "--dport", "7399", "-j", "DROP"])
            #expect(try s.connectTruth(EgressLab.serverV4, 7301) == "timeout")
            let p = try s.egress(["10.66.2.2:7301", "--trace"]).probe(EgressLab.serverV4, 7301)
            tally.grade("--trace beside a legacy DROP for another port", p, .notConfidently("upstream-filter", truth: "upstream-filter"))
            #expect(p?.confidence == "unknown", "\(p?.explanation ?? "")")
            #expect(p?.candidates.contains("upstream-filter") == true && p?.candidates.contains("local-firewall") == true)
            #expect(p?.explanation.contains("--dport 7399 -j DROP") == true, "\(p?.explanation ?? "")")
            // Without --trace the static evaluation reads the legacy table: upstream, proven.
            let q = try s.egress(["10.66.2.2:7301"]).probe(EgressLab.serverV4, 7301)
            tally.grade("silent port beside a legacy DROP for another port", q, .cause("upstream-filter", confidence: ["proven"]))
        }
    }

    // MARK: Routes

    @Test func refusingRoutesAreNamed() throws {
        try ScenarioLab.with { s in
            try s.clientRoute(["prohibit", "10.66.60.0/24"])
            try s.clientRoute(["unreachable", "10.66.61.0/24"])
            try s.clientRoute(["blackhole", "10.66.62.0/24"])
            try s.clientRoute(["throw", "10.66.63.0/24"])
            try s.clientRoute(["prohibit", "10.66.64.0/24", "table", "100"])
            try s.clientRule(["to", "10.66.64.0/24", "lookup", "100", "pref", "1000"])
            try s.clientRule(["to", "10.66.65.0/24", "unreachable", "pref", "1001"])
            try s.clientRoute(["prohibit", "fd66:60::/64"], v6: true)
            try s.clientRoute(["unreachable", "fd66:61::/64"], v6: true)
            let cases: [(String, String?, String?)] = [
                ("10.66.60.1", "prohibit 10.66.60.0/24 table main", nil),
                ("10.66.61.1", "unreachable 10.66.61.0/24 table main", nil),
                ("10.66.62.1", "blackhole 10.66.62.0/24 table main", nil),
                ("10.66.63.1", "throw 10.66.63.0/24 table main", nil),
                ("10.66.64.1", "prohibit 10.66.64.0/24 table 100", "1000: from all to 10.66.64.0/24 lookup 100"),
                ("10.66.65.1", nil, "1001: from all to 10.66.65.0/24 unreachable"),
                ("fd66:60::1", "prohibit fd66:60::/64 table main", nil),
                ("fd66:61::1", "unreachable fd66:61::/64 table main", nil),
            ]
            for (a, route, rule) in cases {
                let truth = try s.connectTruth(a, 80)
                #expect(["EACCES", "EHOSTUNREACH", "EINVAL", "ENETUNREACH"].contains(truth), "\(a): \(truth)")
                let host = a.contains(":") ? "[\(a)]" : a
                let p = try s.egress(["\(host):80"]).probe(a, 80)
                tally.grade("route to \(a) (\(route ?? rule ?? ""))", p, .cause("no-route", confidence: ["proven"]))
                if let route { #expect(p?.route == route, "\(a): \(p?.raw["route"] ?? "nil")") }
                if let rule { #expect(p?.routeRule == rule, "\(a): \(p?.raw["route"] ?? "nil")") }
                #expect(p?.explanation.contains(route ?? rule ?? "?") == true, "\(p?.explanation ?? "")")
            }
        }
    }

    // MARK: Names, resolved the way glibc resolves them

    @Test func resolutionLikeGlibc() throws {
        try ScenarioLab.with { s in
            struct Case {
                var name: String
                var resolvConf: String
                var target: String
                var lookup: String
                var resolves: Bool
                var hosts = "127.0.0.1 localhost\n"
                var nsswitch = "hosts: files dns\n"
                var extra: [String: String] = [:]
                var mention: String? = nil
                /// Rules in the router's forward chain (e.g. a silent name server).
                var routerRules: [String] = []
                /// getent (and, with `live`, hostaudit) run with this host name in a UTS namespace of their own.
                var hostName: String? = nil
                /// hostaudit reads the client's files live (no --root).
                var live = false
                /// Said in the name's DNS note (`dns[].note`).
                var dnsNote: String? = nil
            }
            let cases = [
                Case(name: "name server port closed", resolvConf: "nameserver \(ScenarioLab.dnsClosedV4)\n", target: "mirror.lab.example:443", lookup: "mirror.lab.example", resolves: false),
                Case(name: "SERVFAIL", resolvConf: "nameserver \(ScenarioLab.dnsServfailV4)\n", target: "mirror.lab.example:443", lookup: "mirror.lab.example", resolves: false, mention: "SERVFAIL"),
                Case(name: "REFUSED", resolvConf: "nameserver \(ScenarioLab.dnsRefusedV4)\n", target: "mirror.lab.example:443", lookup: "mirror.lab.example", resolves: false, mention: "REFUSED"),
                Case(
                    name: "dead systemd-resolved stub", resolvConf: "nameserver 127.0.0.53\noptions edns0 trust-ad\n", target: "mirror.lab.example:443",
                    lookup: "mirror.lab.example", resolves: false,
                    extra: ["/run/systemd/resolve/resolv.conf": "nameserver \(ScenarioLab.dnsGoodV4)\n"], mention: ScenarioLab.dnsGoodV4),
                Case(name: "TCP-only server with use-vc", resolvConf: "nameserver \(ScenarioLab.dnsTCPOnlyV4)\noptions use-vc\n", target: "mirror.lab.example:443", lookup: "mirror.lab.example", resolves: true),
                Case(name: "TCP-only server without use-vc", resolvConf: "nameserver \(ScenarioLab.dnsTCPOnlyV4)\n", target: "mirror.lab.example:443", lookup: "mirror.lab.example", resolves: false),
                Case(name: "search completion", resolvConf: "nameserver \(ScenarioLab.dnsGoodV4)\nsearch lab.example\n", target: "mirror:443", lookup: "mirror", resolves: true),
                Case(name: "NXDOMAIN", resolvConf: "nameserver \(ScenarioLab.dnsGoodV4)\n", target: "nope.example:443", lookup: "nope.example", resolves: false, mention: "does not exist"),
                Case(
                    name: "hosts file", resolvConf: "nameserver \(ScenarioLab.dnsGoodV4)\n", target: "hostsonly.example:443", lookup: "hostsonly.example", resolves: true,
                    hosts: "127.0.0.1 localhost\n10.66.2.2 hostsonly.example\n"),
                Case(
                    name: "hosts file after dns [NOTFOUND=return]", resolvConf: "nameserver \(ScenarioLab.dnsGoodV4)\n", target: "hostsonly.example:443",
                    lookup: "hostsonly.example", resolves: false, hosts: "127.0.0.1 localhost\n10.66.2.2 hostsonly.example\n",
                    nsswitch: "hosts: dns [NOTFOUND=return] files\n"),
                Case(name: "first server closed, second answers", resolvConf: "nameserver \(ScenarioLab.dnsClosedV4)\nnameserver \(ScenarioLab.dnsGoodV4)\n", target: "good.example:443", lookup: "good.example", resolves: true),
                Case(name: "IPv6-only name", resolvConf: "nameserver \(ScenarioLab.dnsGoodV4)\n", target: "mirror6.lab.example:443", lookup: "mirror6.lab.example", resolves: true),
                // No search/domain line: glibc searches the host name's domain.
                Case(
                    name: "search list from the host name (--root's /etc/hostname)", resolvConf: "nameserver \(ScenarioLab.dnsGoodV4)\n", target: "mirror:443",
                    lookup: "mirror", resolves: true, extra: ["/etc/hostname": "client.lab.example\n"], hostName: "client.lab.example",
                    dnsNote: "host name's domain lab.example"),
                Case(
                    name: "search list from the host name (live uname)", resolvConf: "nameserver \(ScenarioLab.dnsGoodV4)\n", target: "mirror:443",
                    lookup: "mirror", resolves: true, hostName: "client.lab.example", live: true, dnsNote: "host name's domain lab.example"),
                Case(
                    name: "host name without a domain: no search list", resolvConf: "nameserver \(ScenarioLab.dnsGoodV4)\n", target: "mirror:443",
                    lookup: "mirror", resolves: false, hostName: "client", live: true),
                // res_send's plan: attempts:0 sends nothing; a silent first server costs its wait.
                Case(
                    name: "options attempts:0", resolvConf: "nameserver \(ScenarioLab.dnsGoodV4)\noptions attempts:0\n", target: "good.example:443",
                    lookup: "good.example", resolves: false, mention: "attempts:0"),
                Case(
                    name: "silent first server, timeout:1 attempts:1",
                    resolvConf: "nameserver \(ScenarioLab.dnsClosedV4)\nnameserver \(ScenarioLab.dnsGoodV4)\noptions timeout:1 attempts:1\n",
                    target: "good.example:443", lookup: "good.example", resolves: true,
                    routerRules: ["ip daddr \(ScenarioLab.dnsClosedV4) udp dport 53 drop"],
                    dnsNote: "glibc waits 1 s on \(ScenarioLab.dnsClosedV4) before \(ScenarioLab.dnsGoodV4) answers"),
            ]
            for c in cases {
                defer { s.reset() }
                let root = try s.resolverFiles(resolvConf: c.resolvConf, hosts: c.hosts, nsswitch: c.nsswitch, extra: c.extra)
                if !c.routerRules.isEmpty { try s.routerForward(c.routerRules) }
                let truth = try s.getentTruth(c.lookup, hostName: c.hostName)
                #expect(truth.isEmpty != c.resolves, "\(c.name): getent gave \(truth)")
                let run = c.live ? try s.egress([c.target], hostName: c.hostName) : try s.egress([c.target, "--root", root])
                if let n = c.dnsNote {
                    #expect(run.dns.contains { ($0["note"] as? String)?.contains(n) == true }, "\(c.name): \(run.dns.map { $0["note"] ?? "" })")
                }
                if c.resolves {
                    // Every address glibc resolves is probed, and the port is open there.
                    let probed = Set(run.probes.compactMap(\.address))
                    #expect(Set(truth).isSubset(of: probed), "\(c.name): probed \(probed), glibc \(truth)")
                    let p = run.probes.first { truth.contains($0.address ?? "") }
                    tally.grade("DNS: \(c.name)", p, .cause("none", confidence: ["proven"]))
                    #expect(run.status == 0, "\(c.name): \(run.output)")
                } else {
                    let p = run.probes.first
                    tally.grade("DNS: \(c.name)", p, .cause("dns-failure", confidence: ["proven"]))
                    #expect(run.status == 1)
                    if let m = c.mention { #expect(p?.explanation.contains(m) == true, "\(c.name): \(p?.explanation ?? "")") }
                }
            }
            // rotate: the server glibc starts at decides. Proven without rotate in
            // both orders (getent); with rotate some lookups find the name and
            // some do not, and the tool says which start gives which.
            do {
                defer { s.reset() }
                let (nx, good) = (ScenarioLab.dnsNXV4, ScenarioLab.dnsGoodV4)
                try s.resolverFiles(resolvConf: "nameserver \(nx)\nnameserver \(good)\n")
                #expect(try s.getentTruth("good.example").isEmpty, "NXDOMAIN from the first server decides")
                try s.resolverFiles(resolvConf: "nameserver \(good)\nnameserver \(nx)\n")
                #expect(try s.getentTruth("good.example") == ["10.66.2.2"], "the good server first decides")
                let root = try s.resolverFiles(resolvConf: "nameserver \(nx)\nnameserver \(good)\noptions rotate\n")
                let run = try s.egress(["good.example:443", "--root", root])
                tally.grade("DNS: options rotate, NXDOMAIN server first (found from the second start)", run.probe(EgressLab.serverV4, 443), .cause("none", confidence: ["proven"]))
                let lookup = (run.dns.first?["lookups"] as? [[String: Any]])?.first
                #expect(lookup?["outcome_by_start"] as? [String] == ["not-found", "found"], "\(run.dns)")
                #expect(run.dns.contains { ($0["note"] as? String)?.contains("options rotate") == true }, "\(run.dns)")
            }
            // The dead stub: its upstream answers, but programs never reach it; the tool says so.
            let root = try s.resolverFiles(
                resolvConf: "nameserver 127.0.0.53\n", extra: ["/run/systemd/resolve/resolv.conf": "nameserver \(ScenarioLab.dnsGoodV4)\n"])
            let run = try s.egress(["mirror.lab.example:443", "--root", root])
            let text = run.probes.first?.explanation ?? ""
            #expect(text.contains("127.0.0.53") && text.contains("stub"), "\(text)")
            s.reset()
        }
    }

    // MARK: Package sources under --root

    @Test func packageSourcesUnderRoot() throws {
        try ScenarioLab.with { s in
            let root = try s.resolverFiles(
                resolvConf: "nameserver \(ScenarioLab.dnsGoodV4)\n",
                extra: [
                    "/etc/apt/sources.list": "deb http://good.example/debian bookworm main\n",
                    "/etc/yum.repos.d/lab.repo": "[lab]\nname=lab\nbaseurl=https://mirror.lab.example/os/\nenabled=1\n",
                ])
            #expect(try s.getentTruth("good.example") == ["10.66.2.2"])
            #expect(try s.connectTruth(EgressLab.serverV4, 80) == "timeout")
            #expect(try s.connectTruth(EgressLab.serverV4, 443) == "open")
            #expect(try s.connectTruth(EgressLab.serverV6, 443) == "open")
            let run = try s.egress(["--from-package-sources", "--root", root])
            // apt's mirror on :80 is the seed's provider block; yum's on :443 is open over both families.
            tally.grade("package source http://good.example (provider drops :80)", run.probe(EgressLab.serverV4, 80), .cause("upstream-filter", confidence: ["proven"]))
            tally.grade("package source https://mirror.lab.example over IPv4", run.probe(EgressLab.serverV4, 443), .cause("none", confidence: ["proven"]))
            tally.grade("package source https://mirror.lab.example over IPv6", run.probe(EgressLab.serverV6, 443), .cause("none", confidence: ["proven"]))
            #expect(run.status == 1)
        }
    }
}
