#if canImport(Glibc)
import Glibc
#endif
import HostAuditCore

/// Runs `hostaudit egress`: resolves target names through each configured
/// name server, probes every address each name resolves to (and literal
/// addresses) with TCP or UDP (per target) and ICMP echo at the same time,
/// probes the name servers the lookups asked as 53/udp, and explains each result.
///
/// Files (resolv.conf, /etc/hosts, nsswitch.conf) are read through `scope`;
/// the probes are always sent from this machine's current network namespace.
struct EgressRunner: Sendable {
    var scope: CollectionScope
    var timeout: Double
    /// The static verdict per flow, once the verdict layer provides one.
    var verdicts: (any LocalVerdictSource)?
    /// SELinux on this machine (the probes leave from here): enforcing or not; nil when unknown.
    var selinuxEnforcing: Bool?
    /// Locate where blocked flows stop on the path (TTL-limited probes), within one more time-out window.
    var locate: Bool = false

    init(
        scope: CollectionScope = .live, timeout: Double, verdicts: (any LocalVerdictSource)? = nil,
        selinuxEnforcing: Bool? = nil
    ) {
        self.scope = scope
        self.timeout = timeout
        self.verdicts = verdicts
        self.selinuxEnforcing = selinuxEnforcing
    }

    func run(_ targets: [EgressTarget], progress: (@Sendable (String) -> Void)? = nil) async -> EgressDocument {
        // 1. Names, per name server (and the hosts file when nsswitch reads it).
        var names: [String] = []
        for t in targets where t.hostKind == .name && !names.contains(t.host) { names.append(t.host) }
        var resolutions: [String: NameResolution] = [:]
        if !names.isEmpty {
            progress?("resolving \(names.count) name\(names.count == 1 ? "" : "s")…")
            let facts = ResolverCollector(scope: scope).collect()
            let collector = ResolverCollector(scope: scope)
            let config = Self.glibcConfig(names: names, facts: facts, hostName: collector.hostName())
            let prober = DNSProber(timeout: timeout)
            let asked = names
            let found = await onDedicatedThread("egress-dns") { prober.resolveLikeGlibc(names: asked, config: config) }
            for r in found { resolutions[r.name] = r }
        }
        // The name servers the lookups asked, each probed as 53/udp like a UDP target.
        var serverTargets: [EgressTarget] = []
        for n in names {
            for srv in resolutions[n]?.servers ?? [] where !serverTargets.contains(where: { $0.host == srv.server }) {
                guard let sa = SocketAddress(srv.server, port: 53), !srv.server.contains("%") else { continue }
                let v6 = sa.family == AF_INET6
                serverTargets.append(
                    EgressTarget(
                        text: v6 ? "udp://[\(sa.text)]:53" : "udp://\(sa.text):53", host: sa.text, hostKind: v6 ? .ipv6 : .ipv4,
                        port: 53, scheme: "udp", proto: .udp))
            }
        }

        // 2. Every (address, port) once, per transport.
        var requests: [ProbeRequest] = []
        var seen = Set<ProbeRequest>()
        var udpRequests: [ProbeRequest] = []
        var udpSeen = Set<ProbeRequest>()
        var plan: [(EgressTarget, [String])] = []
        for t in targets + serverTargets {
            let addresses = t.hostKind == .name ? resolutions[t.host]?.addresses ?? [] : [t.host]
            plan.append((t, addresses))
            for a in addresses {
                let r = ProbeRequest(address: a, port: t.port)
                if t.proto == .udp {
                    if udpSeen.insert(r).inserted { udpRequests.append(r) }
                } else {
                    if seen.insert(r).inserted { requests.append(r) }
                }
            }
        }

        // 3. TCP, UDP and ICMP echo concurrently, each on its own thread.
        let timeout = self.timeout
        let work = requests
        let udpWork = udpRequests
        let addresses = Array(Set(requests.map(\.address) + udpRequests.map(\.address)))
        let total = requests.count + udpRequests.count
        if total > 0 {
            progress?("probing \(total) address\(total == 1 ? "" : "es")/port\(total == 1 ? "" : "s"), up to \(Int(timeout.rounded(.up))) s…")
        }
        async let tcp = onDedicatedThread("egress-tcp") {
            TCPProber(timeout: timeout).probe(work) { p in
                progress?("probing: \(p.done) of \(p.total) done, up to \(Int(p.secondsLeft.rounded(.up))) s left…")
            }
        }
        async let udp = onDedicatedThread("egress-udp") { UDPProber(timeout: timeout).probe(udpWork) }
        async let echo = onDedicatedThread("egress-icmp") { ICMPEchoProber(timeout: timeout).ping(addresses) }
        let evidence = await tcp
        let udpEvidence = await udp
        let echoes = await echo
        var byRequest: [ProbeRequest: TCPProbeEvidence] = [:]
        for (r, e) in zip(requests, evidence) { byRequest[r] = e }
        var byUDPRequest: [ProbeRequest: UDPProbeEvidence] = [:]
        for (r, e) in zip(udpRequests, udpEvidence) { byUDPRequest[r] = e }
        // The host's own evidence, for the whole batch at once, with each flow as the
        // kernel saw it (one counter snapshot after the batch).
        var localEvidence: [ProbeRequest: LocalEvidence] = [:]
        var udpLocal: [ProbeRequest: LocalEvidence] = [:]
        if let verdicts {
            let udpFlows = udpEvidence.map {
                ProbeFlow(
                    address: $0.address, port: $0.port, proto: .udp, localAddress: $0.localAddress, localPort: $0.localPort,
                    packetsSent: UInt64($0.datagramsSent))
            }
            let all = verdicts.verdicts(for: evidence.map(ProbeFlow.init) + udpFlows)
            for (r, l) in zip(requests, all.prefix(requests.count)) { localEvidence[r] = l }
            for (r, l) in zip(udpRequests, all.dropFirst(requests.count)) { udpLocal[r] = l }
        }

        // 4. Classify and explain.
        var answeredPorts: [String: Set<Int>] = [:]
        var rejectedPorts: [String: Set<Int>] = [:]
        for e in evidence where EgressClassifier.classify(e).reason != .noResponse && e.phase != .connect {
            // Only the destination's own answer shows it is up: a router's
            // ICMP error for another port does not.
            if e.icmp == nil || e.icmp?.offender == e.address {
                answeredPorts[e.address, default: []].insert(e.port)
            }
            if e.icmp != nil { rejectedPorts[e.address, default: []].insert(e.port) }
        }
        // Routing refused some connects at once: name the route or rule that refuses.
        var routes: [String: RouteEvidence] = [:]
        let routeErrors: Set<String> = ["EACCES", "EPERM", "ENETUNREACH", "EHOSTUNREACH", "EINVAL"]
        for e in evidence where e.phase == .connect && routeErrors.contains(e.error?.name ?? "") && routes[e.address] == nil {
            if let r = RouteLookup().evidence(for: e.address, uid: geteuid()) { routes[e.address] = r }
        }
        // UDP: the destination's own answers (a reply, its port-unreachable) show it is up.
        var udpAnswered: [String: Set<Int>] = [:]
        for e in udpEvidence where e.replyBytes != nil || (e.icmp?.reason == .portUnreach && e.icmp?.offender == e.address) {
            udpAnswered[e.address, default: []].insert(e.port)
        }
        var probes: [EgressProbeResult] = []
        var udpRows: [Int: UDPRow] = [:]
        for (t, addrs) in plan {
            if addrs.isEmpty {
                let res = resolutions[t.host] ?? NameResolution(name: t.host, servers: [], note: "not resolved")
                probes.append(.dnsFailure(target: t, resolution: res))
                continue
            }
            if t.proto == .udp {
                for a in addrs {
                    let r = ProbeRequest(address: a, port: t.port)
                    guard let e = byUDPRequest[r] else { continue }
                    var route: RouteEvidence?
                    if e.phase == .send, routeErrors.contains(e.error?.name ?? "") {
                        route = RouteLookup().evidence(for: a, uid: geteuid())
                    }
                    let siblings = !(answeredPorts[a, default: []].union(udpAnswered[a, default: []]).subtracting([t.port])).isEmpty
                    let row = UDPRow(
                        target: t, evidence: e, echo: echoes[a] ?? .notTested("not sent"), local: udpLocal[r],
                        siblings: siblings, route: route, contrast: Self.udpContrast(a, port: t.port, answered: udpAnswered))
                    udpRows[probes.count] = row
                    probes.append(row.result(location: nil))
                }
                continue
            }
            for a in addrs {
                let r = ProbeRequest(address: a, port: t.port)
                guard let e = byRequest[r] else { continue }
                let siblings = !(answeredPorts[a, default: []].subtracting([t.port])).isEmpty
                let rejected = !(rejectedPorts[a, default: []].subtracting([t.port])).isEmpty
                probes.append(
                    .from(
                        target: t, evidence: e, icmpEcho: echoes[a] ?? .notTested("not sent"),
                        siblingsAnswered: siblings, siblingsRejected: rejected, selinuxEnforcing: selinuxEnforcing,
                        local: localEvidence[r], route: routes[a]))
            }
        }
        if locate {
            probes = await Self.locate(probes, evidence: evidence, udpRows: udpRows, timeout: timeout, progress: progress)
        }
        // The name servers' rows came last (one per server: each is an address).
        let nameServers = Array(probes.suffix(serverTargets.count))
        probes.removeLast(serverTargets.count)
        var doc = EgressDocument(probes: probes, resolutions: names.compactMap { resolutions[$0] })
        doc.nameServers = nameServers
        return doc
    }

    /// Which probes are located: a silent flow or an upstream filter/reject
    /// that left this host (not a local reject or a connect that failed here).
    static func shouldLocate(_ p: EgressProbeResult) -> Bool {
        if let u = p.udp {
            guard u.phase != .send, u.icmp?.offenderIsLocal != true, p.cause != .localFirewall else { return false }
            return p.cause == .upstreamReject || p.reason == .noResponse
        }
        guard p.address != nil, let e = p.evidence, e.phase != .connect, e.icmp?.offenderIsLocal != true else { return false }
        return p.cause == .upstreamFilter || p.cause == .upstreamReject || p.reason == .noResponse
    }

    /// Runs the path location for every blocked probe at once and attaches
    /// `hops`/`blocked_at` and a sentence to the explanation.
    static func locate(
        _ probes: [EgressProbeResult], evidence: [TCPProbeEvidence], udpRows: [Int: UDPRow] = [:], timeout: Double,
        progress: (@Sendable (String) -> Void)?
    ) async -> [EgressProbeResult] {
        // Contrast per address: a port the destination itself answered, open first.
        var contrast: [String: Int] = [:]
        var contrastIsOpen: [String: Bool] = [:]
        for e in evidence.sorted(by: { $0.port < $1.port }) where e.phase != .connect && e.icmp == nil {
            let state = EgressClassifier.classify(e).state
            guard state == .open || state == .closed, contrastIsOpen[e.address] != true else { continue }
            if state == .open || contrast[e.address] == nil {
                contrast[e.address] = e.port
                contrastIsOpen[e.address] = state == .open
            }
        }
        var requests: [LocateRequest] = []
        var index: [Int: Int] = [:]
        for (i, p) in probes.enumerated() where shouldLocate(p) {
            guard let address = p.address else { continue }
            var r = LocateRequest(
                address: address, port: p.target.port, contrastPort: contrast[address],
                offender: p.evidence?.icmp?.offender)
            if let row = udpRows[i] {
                r = LocateRequest(
                    address: row.evidence.address, port: row.evidence.port, contrastPort: row.contrast,
                    offender: row.evidence.icmp?.offender, proto: .udp)
            }
            if let j = requests.firstIndex(of: r) {
                index[i] = j
            } else {
                index[i] = requests.count
                requests.append(r)
            }
        }
        guard !requests.isEmpty else { return probes }
        // One poll set holds all probes of a round (16 TTLs per flow and contrast):
        // past this many flows a round would need a second wave and overrun its window.
        let maxFlows = 240
        if requests.count > maxFlows {
            requests = Array(requests.prefix(maxFlows))
            index = index.filter { $0.value < maxFlows }
        }
        progress?("locating \(requests.count) blocked flow\(requests.count == 1 ? "" : "s") on the path, up to \(Int(timeout.rounded(.up))) s…")
        let found = await PathLocator(window: timeout).locate(requests)
        var out = probes
        for (i, j) in index {
            if let row = udpRows[i] {
                // UDP: the location can decide the cause, so the probe is explained again with it.
                out[i] = row.result(location: found[j])
                continue
            }
            out[i].location = found[j]
            out[i].explanation += " " + found[j].sentence
        }
        return out
    }

    /// The contrast port for a UDP flow: another UDP port the destination
    /// answered, else traceroute's first port (33434), which a host usually
    /// answers with port-unreachable.
    static func udpContrast(_ address: String, port: Int, answered: [String: Set<Int>]) -> Int {
        if let p = answered[address]?.subtracting([port]).sorted().first { return p }
        return port == 33434 ? 33435 : 33434
    }

    /// What a UDP probe's row is built from, kept so it can be explained again once located.
    struct UDPRow: Sendable {
        var target: EgressTarget
        var evidence: UDPProbeEvidence
        var echo: ICMPEchoResult
        var local: LocalEvidence?
        var siblings: Bool
        var route: RouteEvidence?
        var contrast: Int

        func result(location: PathLocation?) -> EgressProbeResult {
            .fromUDP(
                target: target, evidence: evidence, icmpEcho: echo, local: local, siblingsAnswered: siblings, route: route,
                location: location)
        }
    }

    /// How glibc resolves on the host below `scope`: resolv.conf's servers as
    /// written (the stub too), search list (or the host name's domain when
    /// resolv.conf has none), ndots, timeout/attempts/rotate/use-vc, hosts
    /// file and nsswitch order.
    static func glibcConfig(names: [String], facts: ResolverFacts, hostName: String? = nil) -> GlibcResolverConfig {
        let conf = facts.resolvConf.parsed
        var notes: [String] = []
        if let n = facts.stubUpstreamNote { notes.append(n) }
        let db = facts.nsswitch.hosts
        let search = GlibcLookup.searchList(conf, hostName: hostName)
        var config = GlibcResolverConfig(
            servers: facts.glibcNameservers, search: search.domains, ndots: conf.options.ndots,
            useTCP: conf.options.useVc, hostsFile: hostsFileAddresses(names: names, facts: facts),
            order: GlibcLookup.hostsOrder(db), dnsNotFoundReturns: GlibcLookup.stopsAfterNotFound(db, source: "dns"),
            note: notes.isEmpty ? nil : notes.joined(separator: "; "))
        config.policy = GlibcLookup.QueryPolicy(conf.options)
        config.searchFromHostName = search.fromHostName
        return config
    }

    /// Addresses /etc/hosts gives each name, when nsswitch's `hosts:` consults `files`.
    static func hostsFileAddresses(names: [String], facts: ResolverFacts) -> [String: [String]] {
        let usesFiles = facts.nsswitch.hosts?.sources.contains { $0.name == "files" } ?? true
        guard usesFiles else { return [:] }
        var out: [String: [String]] = [:]
        for entry in facts.hosts.entries {
            for n in [entry.canonicalName] + entry.aliases {
                let key = n.lowercased()
                if names.contains(key), !(out[key]?.contains(entry.address) ?? false) {
                    out[key, default: []].append(entry.address)
                }
            }
        }
        return out
    }
}
