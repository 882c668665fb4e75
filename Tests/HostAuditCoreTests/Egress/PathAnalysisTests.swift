import HostAuditCore
import Testing

/// `PathAnalysis.locate` on hand-built TTL answers: a hop is named only from
/// an answer, silent hops and rate limits make the location `unknown`.
@Suite struct PathAnalysisTests {
    static let routers = ["10.0.1.1", "10.0.2.1", "10.0.3.1"]
    static let dest = "10.0.4.2"

    /// Answers of a flow that stops after `reached` routers (0: not even hop 1),
    /// on a path of three routers; `silent` routers never answer time-exceeded.
    static func flow(reached: Int, silent: Set<Int> = [], destination: Bool = false) -> [Int: HopAnswer] {
        var out: [Int: HopAnswer] = [:]
        for t in 1...8 {
            if t <= 3 && t <= reached && !silent.contains(t) {
                out[t] = HopAnswer(.timeExceeded, address: routers[t - 1], rttMs: 0.2)
            } else if t >= 4 && destination {
                out[t] = HopAnswer(.destination, address: dest, rttMs: 0.4)
            } else {
                out[t] = .silent
            }
        }
        return out
    }

    static func set(
        reached: Int, silent: Set<Int> = [], recheck: PathProbeSet.Recheck? = nil, contrast: Bool = true
    ) -> PathProbeSet {
        PathProbeSet(
            destination: dest, port: 80, flow: flow(reached: reached, silent: silent), contrastPort: contrast ? 443 : nil,
            contrast: contrast ? flow(reached: 3, silent: silent, destination: true) : [:], recheck: recheck, maxTTL: 8)
    }

    @Test func dropAtEachRouterWithConfirmedBoundary() {
        for h in 1...3 {
            let k = h + 1
            let contrastAnswer = k == 4 ? HopAnswer(.destination, address: Self.dest) : HopAnswer(.timeExceeded, address: Self.routers[k - 1])
            let l = PathAnalysis.locate(Self.set(reached: h, recheck: .init(ttl: k, flow: .silent, contrast: contrastAnswer)))
            #expect(l.blockedAt?.hop == h)
            #expect(l.blockedAt?.address == Self.routers[h - 1])
            #expect(l.blockedAt?.confidence == .proven)
            #expect(l.blockedAt?.place == (h == 1 ? .gateway : h == 3 ? .destination : .network))
            #expect(l.summary.hasPrefix("dropped after hop \(h) (\(Self.routers[h - 1]))"), "\(l.summary)")
            #expect(l.summary.contains("the same path carries port 443 to the destination"))
            #expect(l.hops.count == 4)
            #expect(l.hops.last?.isDestination == true)
            #expect(l.hops.first { $0.ttl == h }?.passed == false)
            #expect(l.hops.filter { $0.ttl < h }.allSatisfy { $0.passed == true })
        }
    }

    @Test func withoutRecheckTheBoundaryIsLikely() {
        let l = PathAnalysis.locate(Self.set(reached: 2))
        #expect(l.blockedAt?.hop == 2)
        #expect(l.blockedAt?.confidence == .likely)
    }

    @Test func rateLimitedRecheckIsUnknown() {
        let l = PathAnalysis.locate(Self.set(reached: 1, recheck: .init(ttl: 2, flow: .silent, contrast: .silent)))
        #expect(l.blockedAt?.confidence == .unknown)
        #expect(l.summary.contains("rate limit"))
    }

    @Test func recheckThatReachesTheHopMovesTheBoundary() {
        // Round one lost hop 2's answer to a rate limit; the re-check got it.
        let l = PathAnalysis.locate(
            Self.set(reached: 1, recheck: .init(ttl: 2, flow: HopAnswer(.timeExceeded, address: Self.routers[1]), contrast: .silent)))
        #expect(l.blockedAt?.hop == 2)
        #expect(l.blockedAt?.confidence != .proven)
    }

    @Test func silentRouterLeavesTheHopUnknown() {
        // Router 2 never answers; the flow is seen at hop 1 and the contrast at hop 3.
        let l = PathAnalysis.locate(Self.set(reached: 2, silent: [2]))
        #expect(l.blockedAt?.hop == 1)
        #expect(l.blockedAt?.confidence == .unknown)
        #expect(l.blockedAt?.place == nil)  // gateway (hop 1) or the network (hop 2)
        #expect(l.blockedAt?.beforeHop == 3)
        #expect(l.hops.first { $0.ttl == 2 }?.address == nil)
        #expect(l.hops.first { $0.ttl == 1 }?.passed == nil)
        #expect(l.summary.contains("hop 2 answers no time-exceeded"), "\(l.summary)")
    }

    @Test func noContrastMeansUnknown() {
        let l = PathAnalysis.locate(Self.set(reached: 2, contrast: false))
        #expect(l.blockedAt?.hop == 2)
        #expect(l.blockedAt?.confidence == .unknown)
        #expect(l.summary.contains("unknown"))
    }

    @Test func noHopAnswerNamesNoHop() {
        let l = PathAnalysis.locate(Self.set(reached: 0))
        #expect(l.blockedAt == nil)
        #expect(l.summary.contains("not even hop 1"))
    }

    @Test func rejectLocatedByItsSender() {
        // Router 2 rejects: TTL 1-2 time-exceeded, TTL 3+ the unreachable from router 2.
        var f = Self.flow(reached: 2)
        for t in 3...8 { f[t] = HopAnswer(.unreachable, address: Self.routers[1], reason: "admin-prohibited") }
        let s = PathProbeSet(
            destination: Self.dest, port: 82, flow: f, contrastPort: 443, contrast: Self.flow(reached: 3, destination: true),
            offender: Self.routers[1], maxTTL: 8)
        let l = PathAnalysis.locate(s)
        #expect(l.blockedAt?.hop == 2)
        #expect(l.blockedAt?.confidence == .proven)
        #expect(l.blockedAt?.place == .network)

        // The destination rejects: its own address is the sender.
        var g = Self.flow(reached: 3)
        for t in 4...8 { g[t] = HopAnswer(.unreachable, address: Self.dest, reason: "port-unreach") }
        let d = PathAnalysis.locate(
            PathProbeSet(destination: Self.dest, port: 90, flow: g, contrastPort: nil, contrast: [:], offender: Self.dest, maxTTL: 8))
        #expect(d.blockedAt?.hop == 4)
        #expect(d.blockedAt?.place == .destination)
        #expect(d.blockedAt?.confidence == .proven)
    }

    @Test func jsonHasTheContractFields() {
        let l = PathAnalysis.locate(Self.set(reached: 2))
        guard case .object(let o)? = l.blockedAt?.json() else {
            Issue.record("no blocked_at")
            return
        }
        #expect(o.entries.map(\.key).prefix(4) == ["hop", "address", "where", "confidence"])
        guard case .object(let h)? = l.hops.first?.json() else {
            Issue.record("no hop")
            return
        }
        #expect(h.entries.map(\.key).prefix(4) == ["ttl", "address", "rtt_ms", "passed"])
    }
}
