import HostAuditCore
import Testing

/// glibc's resolver decisions over gathered answers (res_search, res_send, nsswitch).
@Suite struct GlibcLookupTests {
    @Test func searchListAndNdots() {
        #expect(GlibcLookup.candidates(name: "mirror", search: ["lab.example", "corp"], ndots: 1) == ["mirror.lab.example", "mirror.corp", "mirror"])
        #expect(GlibcLookup.candidates(name: "a.b", search: ["lab.example"], ndots: 1) == ["a.b", "a.b.lab.example"])
        #expect(GlibcLookup.candidates(name: "a.b", search: ["lab.example"], ndots: 2) == ["a.b.lab.example", "a.b"])
        #expect(GlibcLookup.candidates(name: "a.b.", search: ["lab.example"], ndots: 5) == ["a.b"])
        #expect(GlibcLookup.candidates(name: "x", search: [], ndots: 1) == ["x"])
    }

    func server(_ name: String, _ statuses: [DNSStatus], addrs: [String] = []) -> DNSServerResult {
        DNSServerResult(
            server: name,
            queries: statuses.enumerated().map { i, s in
                DNSQueryResult(type: i == 0 ? "A" : "AAAA", status: s, addresses: i == 0 ? addrs : [], elapsedMs: 1)
            })
    }

    @Test func firstDecidingServerWins() {
        // A dead first server: the second decides.
        let d = GlibcLookup.decide([server("a", [.timeout, .timeout]), server("b", [.answered, .answered], addrs: ["192.0.2.1"])])
        #expect(d.outcome == .found && d.server == "b" && d.addresses == ["192.0.2.1"])
        // NXDOMAIN from the first server ends the lookup, whatever the second knows.
        let nx = GlibcLookup.decide([server("a", [.nxdomain, .nxdomain]), server("b", [.answered, .answered], addrs: ["192.0.2.1"])])
        #expect(nx.outcome == .notFound && nx.server == "a")
        // SERVFAIL and REFUSED move on; nobody deciding is TRY_AGAIN.
        #expect(GlibcLookup.decide([server("a", [.servfail, .servfail]), server("b", [.refused, .refused])]).outcome == .tryAgain)
        // NODATA (NOERROR, no address) is not found.
        #expect(GlibcLookup.decide([server("a", [.answered, .answered])]).outcome == .notFound)
    }

    @Test func nsswitchOrderDecidesTheAddresses() {
        let dns = CandidateLookup(name: "m", servers: [server("a", [.answered, .answered], addrs: ["192.0.2.9"])])
        let filesFirst = NameResolution(name: "m", hostsFileAddresses: ["192.0.2.1"], servers: dns.servers, lookups: [dns], order: ["files", "dns"])
        #expect(filesFirst.addresses == ["192.0.2.1"])
        let dnsFirst = NameResolution(name: "m", hostsFileAddresses: ["192.0.2.1"], servers: dns.servers, lookups: [dns], order: ["dns", "files"])
        #expect(dnsFirst.addresses == ["192.0.2.9"])
        let nx = CandidateLookup(name: "m", servers: [server("a", [.nxdomain, .nxdomain])])
        let fallback = NameResolution(name: "m", hostsFileAddresses: ["192.0.2.1"], servers: nx.servers, lookups: [nx], order: ["dns", "files"])
        #expect(fallback.addresses == ["192.0.2.1"])
        let returns = NameResolution(
            name: "m", hostsFileAddresses: ["192.0.2.1"], servers: nx.servers, lookups: [nx], order: ["dns", "files"], dnsNotFoundReturns: true)
        #expect(returns.addresses.isEmpty)
        // Search completion: the second candidate resolves.
        let completed = NameResolution(name: "m", servers: [], lookups: [nx, CandidateLookup(name: "m.lab", servers: dns.servers)], order: ["dns"])
        #expect(completed.resolvedAs == "m.lab" && completed.addresses == ["192.0.2.9"])
    }

    @Test func anyAnswerMeansAlive() {
        #expect(DNSStatus.nxdomain.isAnswer && DNSStatus.refused.isAnswer && DNSStatus.servfail.isAnswer && DNSStatus.answered.isAnswer)
        #expect(!DNSStatus.timeout.isAnswer && !DNSStatus.unreachable.isAnswer)
    }

    // MARK: - The host name's domain as the search list

    struct SL: Equatable {
        var domains: [String]
        var fromHostName: Bool
        init(_ d: [String], _ f: Bool) { (domains, fromHostName) = (d, f) }
    }

    func sl(_ conf: ResolvConf, _ host: String?) -> SL {
        let r = GlibcLookup.searchList(conf, hostName: host)
        return SL(r.domains, r.fromHostName)
    }

    @Test func searchListFromTheHostName() {
        let none = ResolvConfParser.parse("nameserver 192.0.2.1\n")
        #expect(sl(none, "web1.lab.example") == SL(["lab.example"], true))
        // Everything after the first dot, trailing dot kept (candidates() drops it).
        #expect(sl(none, "a.b.c.") == SL(["b.c."], true))
        #expect(GlibcLookup.candidates(name: "mirror", search: GlibcLookup.searchList(none, hostName: "a.b.c.").domains, ndots: 1) == ["mirror.b.c", "mirror"])
        // No dot, or no host name: no search list.
        #expect(sl(none, "web1") == SL([], false))
        #expect(sl(none, nil) == SL([], false))
        // A search or domain line wins over the host name, also an explicit single domain.
        let search = ResolvConfParser.parse("search corp\nnameserver 192.0.2.1\n")
        #expect(sl(search, "web1.lab.example") == SL(["corp"], false))
        let domain = ResolvConfParser.parse("domain corp.example\n")
        #expect(sl(domain, "web1.lab.example") == SL(["corp.example"], false))
        // glibc reads the host name into a 255-byte buffer.
        let long = "h." + String(repeating: "x", count: 400)
        #expect(GlibcLookup.hostNameDomain(long)?.utf8.count == 253)
    }

    // MARK: - res_send's plan: which server, in which order, how many tries

    @Test func serverWaitsFollowSendDg() {
        // timeout 5, three servers: 5 s, (5<<1)/3 = 3 s, (5<<2)/3 = 6 s.
        #expect((0..<3).map { GlibcLookup.serverWait(index: $0, count: 3, timeout: 5) } == [5, 3, 6])
        // One server: the timeout as is; timeout:0 still waits 1 s.
        #expect(GlibcLookup.serverWait(index: 0, count: 1, timeout: 5) == 5)
        #expect(GlibcLookup.serverWait(index: 0, count: 2, timeout: 0) == 1)
        #expect(GlibcLookup.serverWait(index: 1, count: 2, timeout: 1) == 1)
    }

    @Test func planWithoutRotate() {
        let plan = GlibcLookup.queryPlan(serverCount: 3, policy: .init(attempts: 2, timeout: 5))
        #expect(plan.map(\.server) == [0, 1, 2, 0, 1, 2])
        #expect(plan.map(\.attempt) == [1, 1, 1, 2, 2, 2])
        #expect(plan.map(\.waitSeconds) == [5, 3, 6, 5, 3, 6])
        #expect(plan.allSatisfy { $0.transport == "udp" })
        // attempts:N rounds; attempts:0 sends nothing.
        #expect(GlibcLookup.queryPlan(serverCount: 2, policy: .init(attempts: 5, timeout: 1)).count == 10)
        #expect(GlibcLookup.queryPlan(serverCount: 2, policy: .init(attempts: 0, timeout: 1)).isEmpty)
        #expect(GlibcLookup.queryPlan(serverCount: 0, policy: .init()).isEmpty)
    }

    @Test func planWithRotateAndUseVC() {
        let p = GlibcLookup.QueryPolicy(attempts: 2, timeout: 2, rotate: true)
        #expect(GlibcLookup.startOffsets(serverCount: 3, rotate: true) == [0, 1, 2])
        #expect(GlibcLookup.startOffsets(serverCount: 3, rotate: false) == [0])
        #expect(GlibcLookup.startOffsets(serverCount: 1, rotate: true) == [0])
        let fromSecond = GlibcLookup.queryPlan(serverCount: 3, policy: p, offset: 1)
        #expect(fromSecond.map(\.server) == [1, 2, 0, 1, 2, 0])
        // The wait goes with the server's place in resolv.conf, not with the rotation.
        #expect(fromSecond.map(\.waitSeconds) == [1, 2, 2, 1, 2, 2])
        // use-vc: one round over TCP, whatever attempts says.
        let tcp = GlibcLookup.queryPlan(serverCount: 2, policy: .init(attempts: 4, timeout: 3, useVC: true))
        #expect(tcp.map(\.server) == [0, 1] && tcp.allSatisfy { $0.transport == "tcp" && $0.attempt == 1 && $0.waitSeconds == 3 })
    }

    @Test func walkingThePlan() {
        let silent = server("a", [.timeout, .timeout])
        let good = server("b", [.answered, .answered], addrs: ["192.0.2.1"])
        let refused = server("c", [.refused, .refused])
        let plan = GlibcLookup.queryPlan(serverCount: 3, policy: .init(attempts: 2, timeout: 5))
        // The silent first server costs its 5 s, then the second decides.
        let w = GlibcLookup.walk(plan, servers: [silent, good, refused])
        #expect(w.outcome == .found && w.decidedBy == 1 && w.queriesSent == 2 && w.waitedSeconds == 5)
        // Nobody decides: every round costs the silent server's wait; REFUSED costs nothing.
        let dead = GlibcLookup.walk(plan, servers: [silent, refused, refused])
        #expect(dead.outcome == .tryAgain && dead.decidedBy == nil && dead.queriesSent == 6 && dead.waitedSeconds == 10)
        // attempts:1 halves it.
        let once = GlibcLookup.walk(GlibcLookup.queryPlan(serverCount: 3, policy: .init(attempts: 1, timeout: 5)), servers: [silent, refused, refused])
        #expect(once.waitedSeconds == 5 && once.queriesSent == 3)
        // attempts:0: nothing asked, nothing found.
        #expect(GlibcLookup.walk([], servers: [good]).outcome == .tryAgain)
    }

    @Test func rotateDecidesPerStartServer() {
        let nx = server("a", [.nxdomain, .nxdomain])
        let good = server("b", [.answered, .answered], addrs: ["192.0.2.1"])
        // Without rotate the first server's NXDOMAIN decides.
        let plain = CandidateLookup(name: "m", servers: [nx, good], policy: .init())
        #expect(plain.outcome == .notFound && plain.decidedBy == "a" && plain.outcomeByStart.isEmpty)
        // With rotate a lookup starting at b finds it: found (some lookups
        // succeed), and the outcome per start is kept.
        let rotating = CandidateLookup(name: "m", servers: [nx, good], policy: .init(rotate: true))
        #expect(rotating.outcome == .found && rotating.decidedBy == "b" && rotating.addresses == ["192.0.2.1"])
        #expect(rotating.outcomeByStart == [.notFound, .found])
        let notes = GlibcLookup.planNotes(shown: rotating, policy: .init(rotate: true), serverCount: 2)
        #expect(notes.contains { $0.contains("options rotate") && $0.contains("from a: not-found") && $0.contains("from b: found") })
        // Servers that agree: no per-start outcomes, no rotate note.
        let agree = CandidateLookup(name: "m", servers: [good, good], policy: .init(rotate: true))
        #expect(agree.outcome == .found && agree.outcomeByStart.isEmpty)
        #expect(GlibcLookup.planNotes(shown: agree, policy: .init(rotate: true), serverCount: 2).isEmpty)
        // Only the silent servers before the deciding one are waited on.
        let late = CandidateLookup(name: "m", servers: [server("s1", [.timeout, .timeout]), good, server("s2", [.timeout, .timeout])])
        #expect(late.waitedOn == ["s1"] && late.waitedSeconds == 5)
        #expect(GlibcLookup.planNotes(shown: late, policy: .init(), serverCount: 3).first?.hasPrefix("glibc waits 5 s on s1 before b answers") == true)
        // Rotate with a silent server: the worst start's wait is reported.
        let silent = server("s", [.timeout, .timeout])
        let slow = CandidateLookup(name: "m", servers: [good, silent], policy: .init(attempts: 2, timeout: 4, rotate: true))
        #expect(slow.outcome == .found && slow.waitedSeconds == 4)
        #expect(GlibcLookup.planNotes(shown: slow, policy: .init(attempts: 2, timeout: 4, rotate: true), serverCount: 2).contains {
            $0.contains("glibc waits 4 s on s before b answers")
        })
    }

    @Test func attemptsZeroAndGivingUp() {
        let zero = GlibcLookup.planNotes(shown: nil, policy: .init(attempts: 0), serverCount: 1)
        #expect(zero.count == 1 && zero[0].contains("attempts:0"))
        let lookup = CandidateLookup(name: "m", servers: [], policy: .init(attempts: 0))
        #expect(lookup.outcome == .tryAgain && lookup.plannedQueries == 0)
        let dead = CandidateLookup(name: "m", servers: [server("a", [.timeout, .timeout])], policy: .init(attempts: 3, timeout: 2))
        #expect(dead.outcome == .tryAgain && dead.waitedSeconds == 6 && dead.plannedQueries == 3)
        #expect(GlibcLookup.planNotes(shown: dead, policy: .init(attempts: 3, timeout: 2), serverCount: 1) == [
            "glibc gives up after 6 s on a (options timeout:2 attempts:3)"
        ])
    }
}
