#if canImport(Glibc)
import Glibc
#endif
import HostAuditCore

/// One blocked flow to locate on the path.
public struct LocateRequest: Sendable, Hashable {
    public var address: String
    public var port: Int
    /// A port of the same address that the destination itself answered (open or closed).
    public var contrastPort: Int?
    /// The sender of the ICMP unreachable the full probe drew, for a reject.
    public var offender: String?

    public init(address: String, port: Int, contrastPort: Int?, offender: String?) {
        self.address = address
        self.port = port
        self.contrastPort = contrastPort
        self.offender = offender
    }
}

/// Locates where blocked TCP flows stop, all at once, within one time-out window.
///
/// Round one (45 % of the window): for every blocked flow and every contrast
/// flow, one non-blocking connect per TTL 1…`maxTTL`, each socket with
/// `IP_TTL`/`IPV6_UNICAST_HOPS` set, time-exceeded read from the error queue
/// (`TCPProber` does the socket work). Round two (40 %, leaving room for setup): where the
/// blocked flow's last answering hop is followed directly by a hop the
/// contrast reached, that TTL is probed again as contrast, blocked flow,
/// contrast, back to back: a silent blocked probe between two answered
/// contrast probes shows the hop was answering (not rate-limited) when the
/// blocked probe would have arrived. `PathAnalysis` decides from the answers.
public struct PathLocator: Sendable {
    public var window: Double
    public var maxTTL: Int

    public init(window: Double, maxTTL: Int = 16) {
        self.window = window
        self.maxTTL = maxTTL
    }

    public func locate(_ requests: [LocateRequest]) async -> [PathLocation] {
        guard !requests.isEmpty else { return [] }
        let maxTTL = self.maxTTL
        let round1 = window * 0.45
        let round2 = window * 0.4

        // Round one: every TTL of every flow and contrast flow, once.
        var probes: [TCPProbeRequest] = []
        var seen = Set<TCPProbeRequest>()
        func add(_ r: TCPProbeRequest) { if seen.insert(r).inserted { probes.append(r) } }
        for r in requests {
            for t in 1...maxTTL {
                add(TCPProbeRequest(address: r.address, port: r.port, ttl: t))
                if let c = r.contrastPort { add(TCPProbeRequest(address: r.address, port: c, ttl: t)) }
            }
        }
        let first = probes
        let list1 = await onDedicatedThread("egress-locate") { Self.run(first, window: round1) }
        var answers1: [TCPProbeRequest: HopAnswer] = [:]
        for (r, a) in zip(first, list1) { answers1[r] = a }

        var sets: [PathProbeSet] = requests.map { r in
            var flow: [Int: HopAnswer] = [:]
            var contrast: [Int: HopAnswer] = [:]
            for t in 1...maxTTL {
                flow[t] = answers1[TCPProbeRequest(address: r.address, port: r.port, ttl: t)] ?? .silent
                if let c = r.contrastPort { contrast[t] = answers1[TCPProbeRequest(address: r.address, port: c, ttl: t)] ?? .silent }
            }
            return PathProbeSet(
                destination: r.address, port: r.port, flow: flow, contrastPort: r.contrastPort, contrast: contrast,
                offender: r.offender, maxTTL: maxTTL)
        }

        // Round two: re-check each silent boundary with contrast, blocked flow,
        // contrast sent back to back in one batch (in that order on the wire).
        var before: [TCPProbeRequest] = []
        var blocked: [TCPProbeRequest] = []
        var recheckAt: [Int: (TCPProbeRequest, TCPProbeRequest)] = [:]
        for (i, s) in sets.enumerated() where s.offender == nil {
            guard let c = s.contrastPort else { continue }
            let (h, k) = PathAnalysis.boundary(s)
            guard let k, k == h + 1 else { continue }
            let f = TCPProbeRequest(address: s.destination, port: s.port, ttl: k)
            let cr = TCPProbeRequest(address: s.destination, port: c, ttl: k)
            if !blocked.contains(f) { blocked.append(f) }
            if !before.contains(cr) { before.append(cr) }
            recheckAt[i] = (f, cr)
        }
        if !recheckAt.isEmpty {
            let batch = before + blocked + before
            let answers = await onDedicatedThread("egress-locate-recheck") { Self.run(batch, window: round2) }
            func answer(_ r: TCPProbeRequest, offset: Int, in list: [TCPProbeRequest]) -> HopAnswer {
                list.firstIndex(of: r).map { answers[offset + $0] } ?? .silent
            }
            for (i, pair) in recheckAt {
                sets[i].recheck = PathProbeSet.Recheck(
                    ttl: pair.0.ttl ?? 0, flow: answer(pair.0, offset: before.count, in: blocked),
                    contrast: answer(pair.1, offset: 0, in: before),
                    contrastAfter: answer(pair.1, offset: before.count + blocked.count, in: before))
            }
        }
        return sets.map(PathAnalysis.locate)
    }

    /// Sends the probes, in order, and reads each one's answer (aligned with `probes`).
    static func run(_ probes: [TCPProbeRequest], window: Double) -> [HopAnswer] {
        guard !probes.isEmpty else { return [] }
        let limit = FileLimit.raise()
        let open = FileLimit.openCount() ?? 16
        let cap = max(1, min(4096, limit - open - 32))
        let evidence = TCPProber(timeout: window).run(
            probes, cap: cap, perAddress: Int.max, local: LocalAddresses.current(), progress: nil)
        return evidence.map(answer)
    }

    /// What one hop-limited probe drew.
    static func answer(_ e: TCPProbeEvidence) -> HopAnswer {
        if let icmp = e.icmp {
            if icmp.reason == "time-exceeded" { return HopAnswer(.timeExceeded, address: icmp.offender, rttMs: e.elapsedMs) }
            if icmp.offenderIsLocal { return HopAnswer(.error, address: icmp.offender, reason: icmp.reason) }
            return HopAnswer(.unreachable, address: icmp.offender, rttMs: e.elapsedMs, reason: icmp.reason)
        }
        let (state, reason) = EgressClassifier.classify(e)
        if e.phase != .connect && (state == .open || (state == .closed && reason == "reset")) {
            return HopAnswer(.destination, address: e.address, rttMs: e.elapsedMs)
        }
        if reason == "no-response" { return .silent }
        return HopAnswer(.error, reason: e.error?.name)
    }
}
