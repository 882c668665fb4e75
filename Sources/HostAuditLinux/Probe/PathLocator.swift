#if canImport(Glibc)
import Glibc
#endif
import HostAuditCore

/// One blocked flow to locate on the path.
struct LocateRequest: Sendable, Hashable {
    var address: String
    var port: Int
    /// A port of the same address that the destination itself answered (open or closed).
    var contrastPort: Int?
    /// The sender of the ICMP unreachable the full probe drew, for a reject.
    var offender: String?
    /// The blocked flow's transport; the contrast port uses the same one.
    var proto: EgressProtocol = .tcp

    init(address: String, port: Int, contrastPort: Int?, offender: String?, proto: EgressProtocol = .tcp) {
        self.proto = proto
        self.address = address
        self.port = port
        self.contrastPort = contrastPort
        self.offender = offender
    }
}

/// One hop-limited probe: TCP (a SYN) or UDP (the flow's datagram).
struct HopProbe: Sendable, Hashable {
    var address: String
    var port: Int
    var ttl: Int
    var proto: EgressProtocol
}

/// Locates where blocked TCP and UDP flows stop, all at once, within one time-out window.
///
/// UDP flows are probed the same way with hop-limited datagrams (`UDPProber`);
/// their contrast is another UDP port of the destination.
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
struct PathLocator: Sendable {
    var window: Double
    var maxTTL: Int

    init(window: Double, maxTTL: Int = 16) {
        self.window = window
        self.maxTTL = maxTTL
    }

    func locate(_ requests: [LocateRequest]) async -> [PathLocation] {
        guard !requests.isEmpty else { return [] }
        let maxTTL = self.maxTTL
        let round1 = window * 0.45
        let round2 = window * 0.4

        // Round one: every TTL of every flow and contrast flow, once.
        var probes: [HopProbe] = []
        var seen = Set<HopProbe>()
        func add(_ r: HopProbe) { if seen.insert(r).inserted { probes.append(r) } }
        for r in requests {
            for t in 1...maxTTL {
                add(HopProbe(address: r.address, port: r.port, ttl: t, proto: r.proto))
                if let c = r.contrastPort { add(HopProbe(address: r.address, port: c, ttl: t, proto: r.proto)) }
            }
        }
        let first = probes
        let list1 = await Self.run(first, window: round1)
        var answers1: [HopProbe: HopAnswer] = [:]
        for (r, a) in zip(first, list1) { answers1[r] = a }

        var sets: [PathProbeSet] = requests.map { r in
            var flow: [Int: HopAnswer] = [:]
            var contrast: [Int: HopAnswer] = [:]
            for t in 1...maxTTL {
                flow[t] = answers1[HopProbe(address: r.address, port: r.port, ttl: t, proto: r.proto)] ?? .silent
                if let c = r.contrastPort {
                    contrast[t] = answers1[HopProbe(address: r.address, port: c, ttl: t, proto: r.proto)] ?? .silent
                }
            }
            var set = PathProbeSet(
                destination: r.address, port: r.port, flow: flow, contrastPort: r.contrastPort, contrast: contrast,
                offender: r.offender, maxTTL: maxTTL)
            set.proto = r.proto.rawValue
            return set
        }

        // Round two: re-check each silent boundary with contrast, blocked flow,
        // contrast sent back to back in one batch (in that order on the wire).
        var before: [HopProbe] = []
        var blocked: [HopProbe] = []
        var recheckAt: [Int: (HopProbe, HopProbe)] = [:]
        for (i, s) in sets.enumerated() where s.offender == nil {
            guard let c = s.contrastPort else { continue }
            let (h, k) = PathAnalysis.boundary(s)
            guard let k, k == h + 1 else { continue }
            let proto = requests[i].proto
            let f = HopProbe(address: s.destination, port: s.port, ttl: k, proto: proto)
            let cr = HopProbe(address: s.destination, port: c, ttl: k, proto: proto)
            if !blocked.contains(f) { blocked.append(f) }
            if !before.contains(cr) { before.append(cr) }
            recheckAt[i] = (f, cr)
        }
        if !recheckAt.isEmpty {
            let batch = before + blocked + before
            let answers = await Self.run(batch, window: round2)
            func answer(_ r: HopProbe, offset: Int, in list: [HopProbe]) -> HopAnswer {
                list.firstIndex(of: r).map { answers[offset + $0] } ?? .silent
            }
            for (i, pair) in recheckAt {
                sets[i].recheck = PathProbeSet.Recheck(
                    ttl: pair.0.ttl, flow: answer(pair.0, offset: before.count, in: blocked),
                    contrast: answer(pair.1, offset: 0, in: before),
                    contrastAfter: answer(pair.1, offset: before.count + blocked.count, in: before))
            }
        }
        return sets.map(PathAnalysis.locate)
    }

    /// Sends the probes (TCP and UDP on their own threads, at the same time)
    /// and reads each one's answer (aligned with `probes`).
    static func run(_ probes: [HopProbe], window: Double) async -> [HopAnswer] {
        let tcp = probes.indices.filter { probes[$0].proto == .tcp }
        let udp = probes.indices.filter { probes[$0].proto == .udp }
        let tcpList = tcp.map { ProbeRequest(address: probes[$0].address, port: probes[$0].port, ttl: probes[$0].ttl) }
        let udpList = udp.map { ProbeRequest(address: probes[$0].address, port: probes[$0].port, ttl: probes[$0].ttl) }
        async let t = onDedicatedThread("egress-locate") { Self.run(tcpList, window: window) }
        async let u = onDedicatedThread("egress-locate-udp") {
            UDPProber(timeout: window).probe(udpList).map { (e: UDPProbeEvidence) in Self.answer(e) }
        }
        let (ta, ua) = await (t, u)
        var out = [HopAnswer](repeating: .silent, count: probes.count)
        for (i, a) in zip(tcp, ta) { out[i] = a }
        for (i, a) in zip(udp, ua) { out[i] = a }
        return out
    }

    /// Sends the probes, in order, and reads each one's answer (aligned with `probes`).
    static func run(_ probes: [ProbeRequest], window: Double) -> [HopAnswer] {
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
            if icmp.reason == .timeExceeded { return HopAnswer(.timeExceeded, address: icmp.offender, rttMs: e.elapsedMs) }
            if icmp.offenderIsLocal { return HopAnswer(.error, address: icmp.offender, reason: icmp.reason.rawValue) }
            return HopAnswer(.unreachable, address: icmp.offender, rttMs: e.elapsedMs, reason: icmp.reason.rawValue)
        }
        let (state, reason) = EgressClassifier.classify(e)
        if e.phase != .connect && (state == .open || (state == .closed && reason == .reset)) {
            return HopAnswer(.destination, address: e.address, rttMs: e.elapsedMs)
        }
        if reason == .noResponse { return .silent }
        return HopAnswer(.error, reason: e.error?.name)
    }

    /// What one hop-limited UDP probe drew: a reply or the destination's own
    /// port-unreachable shows the destination.
    static func answer(_ e: UDPProbeEvidence) -> HopAnswer {
        if e.replyBytes != nil { return HopAnswer(.destination, address: e.address, rttMs: e.elapsedMs) }
        if let icmp = e.icmp {
            if icmp.reason == .timeExceeded { return HopAnswer(.timeExceeded, address: icmp.offender, rttMs: e.elapsedMs) }
            if icmp.reason == .portUnreach && icmp.offender == e.address {
                return HopAnswer(.destination, address: e.address, rttMs: e.elapsedMs)
            }
            if icmp.offenderIsLocal { return HopAnswer(.error, address: icmp.offender, reason: icmp.reason.rawValue) }
            return HopAnswer(.unreachable, address: icmp.offender, rttMs: e.elapsedMs, reason: icmp.reason.rawValue)
        }
        if e.phase == .deadline { return .silent }
        return HopAnswer(.error, reason: e.error?.name)
    }
}
