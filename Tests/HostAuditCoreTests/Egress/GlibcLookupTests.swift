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
}
