import Foundation
import HostAuditTestSupport
import Testing

/// `hostaudit egress` against real sockets in a client/router/server namespace
/// lab (see `EgressLab`). Every scenario checks state, reason and cause in
/// JSON, and the same verdict in the text output.
@Suite(.privileged) struct EgressLabTests {
    struct Run {
        var result: CommandResult
        var document: [String: Any]
        var probes: [[String: Any]] { document["probes"] as? [[String: Any]] ?? [] }
        var dns: [[String: Any]] { document["dns"] as? [[String: Any]] ?? [] }
        func probe(_ address: String, _ port: Int) -> [String: Any]? {
            probes.first { $0["address"] as? String == address && $0["port"] as? Int == port }
        }
    }

    func egress(_ lab: EgressLab, _ args: [String]) throws -> Run {
        let r = try lab.hostaudit(["egress"] + args + ["--format", "json"])
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let doc = try #require(obj, "\(r)")
        #expect(doc["schema"] as? String == "hostaudit.egress/v1")
        return Run(result: r, document: doc)
    }

    func text(_ lab: EgressLab, _ args: [String]) throws -> CommandResult {
        try lab.hostaudit(["egress"] + args + ["--format", "text"])
    }

    /// A lab whose client has `rules` in the output chain of `table ip labclient`.
    func withClientOutputRules(_ rules: String, _ body: (EgressLab) throws -> Void) throws {
        try EgressLab.with { lab in
            try lab.clientRules("""
                table ip labclient {
                  chain output { type filter hook output priority filter; policy accept;
                \(rules)
                  }
                }
                """)
            try body(lab)
        }
    }

    func expectProbe(
        _ p: [String: Any]?, state: String, reason: String, cause: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(p?["state"] as? String == state, "\(p ?? [:])", sourceLocation: sourceLocation)
        #expect(p?["reason"] as? String == reason, "\(p ?? [:])", sourceLocation: sourceLocation)
        #expect(p?["cause"] as? String == cause, "\(p ?? [:])", sourceLocation: sourceLocation)
        #expect((p?["explanation"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(p?.keys.contains("local_verdict") == true, sourceLocation: sourceLocation)
    }

    @Test func openPort() throws {
        try EgressLab.with { lab in
            try lab.listen([443])
            let run = try egress(lab, ["10.66.2.2:443"])
            #expect(run.result.status == 0, "\(run.result)")
            let p = run.probe("10.66.2.2", 443)
            expectProbe(p, state: "open", reason: "syn-ack", cause: "none")
            #expect(p?["icmp_reachable"] as? Bool == true)
            #expect(p?["syn_retransmits"] as? Int == 0)
            #expect(p?["protocol"] as? String == "tcp")
            let t = try text(lab, ["10.66.2.2:443"])
            #expect(t.status == 0)
            #expect(t.stdout.contains("OPEN (syn-ack)") && t.stdout.contains("cause: none"), "\(t)")
        }
    }

    @Test func closedPort() throws {
        try EgressLab.with { lab in
            let run = try egress(lab, ["10.66.2.2:81"])
            #expect(run.result.status == 1)
            expectProbe(run.probe("10.66.2.2", 81), state: "closed", reason: "reset", cause: "closed-port")
            let t = try text(lab, ["10.66.2.2:81"])
            #expect(t.stdout.contains("CLOSED (reset)") && t.stdout.contains("cause: closed-port"), "\(t)")
        }
    }

    /// The seed: the provider drops :80, the host still answers ICMP echo.
    @Test func upstreamSilentDropWithICMPAnswered() throws {
        try EgressLab.with { lab in
            let start = Date()
            let run = try egress(lab, ["10.66.2.2:80", "--timeout", "1.5"])
            #expect(Date().timeIntervalSince(start) < 10)
            #expect(run.result.status == 1)
            let p = run.probe("10.66.2.2", 80)
            expectProbe(p, state: "filtered", reason: "no-response", cause: "upstream-filter")
            #expect(p?["icmp_reachable"] as? Bool == true)
            #expect((p?["syn_retransmits"] as? Int ?? 0) >= 1)
            #expect((p?["elapsed_ms"] as? Int ?? 0) >= 1400)
            #expect((p?["explanation"] as? String)?.contains("answers ICMP echo") == true)
            let t = try text(lab, ["10.66.2.2:80", "--timeout", "1"])
            #expect(t.stdout.contains("FILTERED (no-response)") && t.stdout.contains("cause: upstream-filter"), "\(t)")
        }
    }

    @Test func upstreamAdminProhibitedNamesTheRouter() throws {
        try EgressLab.with { lab in
            let run = try egress(lab, ["10.66.2.2:82", "[fd66:2::2]:82"])
            for addr in ["10.66.2.2", "fd66:2::2"] {
                let p = run.probe(addr, 82)
                expectProbe(p, state: "filtered", reason: "admin-prohibited", cause: "upstream-reject")
                let icmp = p?["icmp_error"] as? [String: Any]
                #expect(icmp?["offender"] as? String == (addr.contains(":") ? "fd66:1::1" : "10.66.1.1"), "\(p ?? [:])")
                #expect(icmp?["offender_is_local"] as? Bool == false)
                #expect((p?["explanation"] as? String)?.contains(addr.contains(":") ? "fd66:1::1" : "10.66.1.1") == true)
            }
            let t = try text(lab, ["10.66.2.2:82"])
            #expect(t.stdout.contains("FILTERED (admin-prohibited)") && t.stdout.contains("cause: upstream-reject"), "\(t)")
            #expect(t.stdout.contains("ICMP 3/13 from 10.66.1.1"), "\(t)")
        }
    }

    /// A local output drop is silent like an upstream one; the static verdict
    /// tells them apart and names the rule, and the rule's own counter shows
    /// it caught the probe.
    @Test func localOutputDrop() throws {
        try withClientOutputRules(#"    ip daddr 10.66.2.2 tcp dport 87 counter drop comment "local egress drop""#) { lab in
            let run = try egress(lab, ["10.66.2.2:87", "--timeout", "1"])
            let p = run.probe("10.66.2.2", 87)
            expectProbe(p, state: "filtered", reason: "no-response", cause: "local-firewall")
            let v = try #require(p?["local_verdict"] as? [String: Any])
            #expect(v["verdict"] as? String == "drop")
            #expect(v["table"] as? String == "ip labclient")
            #expect(v["chain"] as? String == "output")
            #expect(v["hook"] as? String == "output")
            #expect((v["rule"] as? String)?.contains("tcp dport 87") == true)
            #expect(v["traced"] as? Bool == false)
            // The SYN and its retransmissions were counted by the dropping rule.
            #expect((v["counter_delta_packets"] as? Int ?? 0) >= 1, "\(v)")
            let explanation = p?["explanation"] as? String ?? ""
            #expect(explanation.contains("drops it before it leaves"), "\(explanation)")
            #expect(explanation.contains("local egress drop"))
            let t = try text(lab, ["10.66.2.2:87", "--timeout", "1"])
            #expect(t.stdout.contains("FILTERED (no-response)"), "\(t)")
        }
    }

    /// `reject with tcp reset` in the client's output chain: a reset that
    /// never left the host. Alone, the probe sees a reset; the explanation
    /// says a local reset rule looks the same. The default `reject` (ICMP
    /// port-unreachable) is recognised as local by its offender address.
    @Test func localRejects() throws {
        try withClientOutputRules("""
                tcp dport 88 counter reject with tcp reset
                tcp dport 89 counter reject
                tcp dport 91 counter reject with icmp type admin-prohibited
            """) { lab in
            let run = try egress(lab, ["10.66.2.2:88", "10.66.2.2:89", "10.66.2.2:91"])
            let rst = run.probe("10.66.2.2", 88)
            // A reset from a local rule is not a closed port: the verdict proves which it is.
            #expect(rst?["reason"] as? String == "reset")
            #expect(rst?["cause"] as? String == "local-firewall")
            #expect((rst?["local_verdict"] as? [String: Any])?["verdict"] as? String == "reject")
            #expect((rst?["explanation"] as? String)?.contains("not by a closed port") == true)
            for port in [89, 91] {
                let p = run.probe("10.66.2.2", port)
                expectProbe(
                    p, state: "filtered", reason: port == 89 ? "port-unreach" : "admin-prohibited", cause: "local-firewall")
                let icmp = p?["icmp_error"] as? [String: Any]
                #expect(icmp?["offender_is_local"] as? Bool == true, "\(p ?? [:])")
            }
            let t = try text(lab, ["10.66.2.2:89"])
            #expect(t.stdout.contains("FILTERED (port-unreach)") && t.stdout.contains("cause: local-firewall"), "\(t)")
            #expect(t.stdout.contains("(this host)"), "\(t)")
        }
    }

    @Test func noRoute() throws {
        try EgressLab.with { lab in
            let run = try egress(lab, ["10.66.50.1:80"])
            let p = run.probe("10.66.50.1", 80)
            expectProbe(p, state: "unreachable", reason: "net-unreach", cause: "no-route")
            #expect(p?["errno"] as? String == "ENETUNREACH")
            #expect((p?["elapsed_ms"] as? Int ?? 99) < 50)
            let t = try text(lab, ["10.66.50.1:80"])
            #expect(t.stdout.contains("UNREACHABLE (net-unreach)") && t.stdout.contains("cause: no-route"), "\(t)")
        }
    }

    /// The first name server is dropped silently; the second answers. Every
    /// address (IPv4 and IPv6) is probed.
    @Test func firstNameserverDeadSecondAnswers() throws {
        try EgressLab.with { lab in
            try lab.listen([443])
            try lab.startDNS(["mirror.lab.test": ["10.66.2.2", "fd66:2::2"]])
            let root = try lab.resolverRoot(["10.66.2.54", "10.66.2.53"])
            let run = try egress(lab, ["mirror.lab.test:443", "--root", root, "--timeout", "1"])
            #expect(run.result.status == 0, "\(run.result)")
            #expect(run.probes.count == 2)
            expectProbe(run.probe("10.66.2.2", 443), state: "open", reason: "syn-ack", cause: "none")
            expectProbe(run.probe("fd66:2::2", 443), state: "open", reason: "syn-ack", cause: "none")
            #expect(run.probes.allSatisfy { $0["host"] as? String == "mirror.lab.test" })
            let servers = run.dns.first?["servers"] as? [[String: Any]] ?? []
            #expect(servers.map { $0["server"] as? String } == ["10.66.2.54", "10.66.2.53"])
            #expect(servers.map { $0["status"] as? String } == ["timeout", "answered"])
            #expect(servers.last?["addresses"] as? [String] == ["10.66.2.2", "fd66:2::2"])
            // Programs resolve, but glibc waits out the dead server first on every lookup.
            #expect((run.dns.first?["note"] as? String)?.contains("glibc waits 5 s on 10.66.2.54 before 10.66.2.53 answers (options timeout:5 attempts:2)") == true, "\(run.dns)")
            // Each name server is probed as 53/udp: the live one answers, the
            // dropped one stays open|filtered (silence alone proves no filter).
            let ns = run.document["name_servers"] as? [[String: Any]] ?? []
            #expect(ns.map { $0["address"] as? String } == ["10.66.2.54", "10.66.2.53"], "\(ns)")
            #expect(ns.allSatisfy { $0["protocol"] as? String == "udp" && $0["port"] as? Int == 53 }, "\(ns)")
            #expect(ns.last?["state"] as? String == "open" && ns.last?["reason"] as? String == "udp-response", "\(ns)")
            #expect(ns.first?["state"] as? String == "open|filtered", "\(ns)")
            #expect(ns.first?["cause"] as? String == "unknown", "\(ns)")
            let b = ns.first?["blocked_at"] as? [String: Any]
            #expect(b == nil || b?["confidence"] as? String == "unknown", "\(ns)")
            let t = try text(lab, ["mirror.lab.test:443", "--root", root, "--timeout", "1"])
            #expect(t.stdout.contains("10.66.2.54: timeout") && t.stdout.contains("10.66.2.53: answered"), "\(t)")
            #expect(t.stdout.contains("Name servers (53/udp):\n  10.66.2.54  OPEN|FILTERED (no-response)"), "\(t)")
        }
    }

    @Test func nameNobodyResolves() throws {
        try EgressLab.with { lab in
            try lab.startDNS(["mirror.lab.test": ["10.66.2.2"]])
            let root = try lab.resolverRoot(["10.66.2.54", "10.66.2.53"])
            let run = try egress(lab, ["nowhere.lab.test:443", "--root", root, "--timeout", "1"])
            #expect(run.result.status == 1)
            let p = run.probes.first
            expectProbe(p, state: "error", reason: "dns-failure", cause: "dns-failure")
            #expect(p?["address"] is NSNull)
            let explanation = p?["explanation"] as? String ?? ""
            #expect(explanation.contains("10.66.2.54 did not answer") && explanation.contains("NXDOMAIN"), "\(explanation)")
            let t = try text(lab, ["nowhere.lab.test:443", "--root", root, "--timeout", "1"])
            #expect(t.stdout.contains("ERROR (dns-failure)") && t.stdout.contains("cause: dns-failure"), "\(t)")
        }
    }

    @Test func ipv6OpenPort() throws {
        try EgressLab.with { lab in
            try lab.listen([8443], addresses: [EgressLab.serverV6])
            let run = try egress(lab, ["[fd66:2::2]:8443"])
            #expect(run.result.status == 0, "\(run.result)")
            let p = run.probe("fd66:2::2", 8443)
            expectProbe(p, state: "open", reason: "syn-ack", cause: "none")
            #expect(p?["icmp_reachable"] as? Bool == true)
            let t = try text(lab, ["[fd66:2::2]:8443"])
            #expect(t.stdout.contains("[fd66:2::2]:8443  OPEN (syn-ack)"), "\(t)")
        }
    }

    @Test func urlTargets() throws {
        try EgressLab.with { lab in
            try lab.listen([443, 8080])
            try lab.startDNS(["mirror.lab.test": ["10.66.2.2"]])
            let root = try lab.resolverRoot(["10.66.2.53"])
            let run = try egress(
                lab, ["http://user:pw@10.66.2.2:8080/debian/dists/", "https://mirror.lab.test/os/", "--root", root])
            #expect(run.result.status == 0, "\(run.result)")
            let a = run.probe("10.66.2.2", 8080)
            expectProbe(a, state: "open", reason: "syn-ack", cause: "none")
            #expect(a?["target"] as? String == "http://user:pw@10.66.2.2:8080/debian/dists/")
            let b = run.probe("10.66.2.2", 443)
            expectProbe(b, state: "open", reason: "syn-ack", cause: "none")
            #expect(b?["host"] as? String == "mirror.lab.test")
        }
    }

    /// apt one-line, deb822 and yum sources read below --root; the router's
    /// :80 block shows up as the one failing target.
    @Test func packageSourceTargetsFromFixtureRoot() throws {
        try EgressLab.with { lab in
            try lab.listen([443, 8080])
            try lab.startDNS(["host.lab.test": ["10.66.2.2", "fd66:2::2"]])
            let root = Fixtures.root("pkgsrc-lab")
            let run = try egress(lab, ["--from-package-sources", "--root", root, "--timeout", "1"])
            #expect(run.result.status == 1, "\(run.result)")
            expectProbe(run.probe("10.66.2.2", 8080), state: "open", reason: "syn-ack", cause: "none")
            expectProbe(run.probe("10.66.2.2", 443), state: "open", reason: "syn-ack", cause: "none")
            expectProbe(run.probe("fd66:2::2", 443), state: "open", reason: "syn-ack", cause: "none")
            expectProbe(run.probe("fd66:2::2", 8080), state: "open", reason: "syn-ack", cause: "none")
            let blocked = run.probe("10.66.2.2", 80)
            expectProbe(blocked, state: "filtered", reason: "no-response", cause: "upstream-filter")
            #expect(blocked?["sources"] as? [String] == ["/etc/apt/sources.list.d/blocked.sources:2"])
            #expect(run.probes.count == 5)
            let t = try text(lab, ["--from-package-sources", "--root", root, "--timeout", "1"])
            #expect(t.stdout.contains("from /etc/apt/sources.list:1"), "\(t)")
            #expect(t.stdout.contains("4 of 5 targets open"), "\(t)")
        }
    }

    /// ICMP echo through an unprivileged ping socket when ping_group_range allows it.
    @Test func icmpEchoUsesAPingSocketWhenAllowed() throws {
        try EgressLab.with { lab in
            try lab.client.check(["sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"])
            let run = try egress(lab, ["10.66.2.2:81", "[fd66:2::2]:81"])
            for addr in ["10.66.2.2", "fd66:2::2"] {
                let p = run.probe(addr, 81)
                #expect(p?["icmp_reachable"] as? Bool == true)
                #expect((p?["icmp_echo"] as? [String: Any])?["method"] as? String == "datagram", "\(p ?? [:])")
            }
        }
    }

    /// Many ports against one deadline: 200 dropped ports finish in about one time-out.
    @Test func manyDroppedPortsShareOneDeadline() throws {
        try EgressLab.with { lab in
            let targets = (20000..<20200).map { "10.66.2.2:\($0)" }
            let start = Date()
            let run = try egress(lab, targets + ["--timeout", "1", "--no-locate"])
            let took = Date().timeIntervalSince(start)
            #expect(run.probes.count == 200)
            #expect(run.probes.allSatisfy { $0["reason"] as? String == "no-response" })
            // Not a speed measurement (Benchmarks/egress.sh is): probes taken one
            // after another would need 200 s; any bound far below that shows they
            // share one deadline without flaking on a loaded machine.
            #expect(took < 40, "took \(took) s")
        }
    }

    /// Routers send about 6 ICMP errors in a burst, then 1/s: of 20 rejected
    /// ports probed at once most fall silent. The silent ones are probed again
    /// alone and turn into admin-prohibited; those beyond the re-probe cap say
    /// their silence may be a rate-limited reject.
    @Test func icmpRateLimitedRejectsAreReprobed() throws {
        try EgressLab.with { lab in
            let run = try egress(lab, (30000..<30020).map { "10.66.2.2:\($0)" } + ["--timeout", "1.5"])
            let rejected = run.probes.filter { $0["reason"] as? String == "admin-prohibited" }
            let reprobed = rejected.filter { $0["reprobed"] as? Bool == true }
            #expect(rejected.count >= 12, "\(run.probes.map { $0["reason"] ?? "" })")
            #expect(reprobed.count >= 4)
            for p in run.probes where p["reason"] as? String == "no-response" {
                #expect((p["explanation"] as? String)?.contains("rate-limit") == true, "\(p)")
            }
        }
    }

    @Test func namespacesAreCleanedUp() throws {
        var names: [String] = []
        try EgressLab.with { lab in names = [lab.client.name, lab.router.name, lab.server.name] }
        let left = NetNamespace.existing()
        #expect(names.allSatisfy { !left.contains($0) })
    }
}
