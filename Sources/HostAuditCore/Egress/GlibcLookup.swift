/// glibc's resolver decisions, as pure functions over answers gathered
/// concurrently: which names a short name becomes (`search`, `ndots`), which
/// server's answer counts (the first in order that answers NOERROR or
/// NXDOMAIN; SERVFAIL, REFUSED, silence and errors move on to the next), and
/// the order of `/etc/hosts` and DNS from nsswitch's `hosts:` line.
public enum GlibcLookup {
    /// The names `res_search` tries, in order: an absolute name (trailing dot)
    /// only as is; with at least `ndots` dots as is first, then with each
    /// search domain; with fewer, the search domains first and the bare name last.
    public static func candidates(name: String, search: [String], ndots: Int) -> [String] {
        if name.hasSuffix(".") { return [String(name.dropLast())] }
        let dots = name.filter { $0 == "." }.count
        let searched = search.map { d -> String in
            let domain = d.hasSuffix(".") ? String(d.dropLast()) : d
            return domain.isEmpty ? name : "\(name).\(domain)"
        }
        var out: [String] = []
        if dots >= ndots { out.append(name) }
        for s in searched where !out.contains(s) { out.append(s) }
        if dots < ndots && !out.contains(name) { out.append(name) }
        return out
    }

    /// How one looked-up name ended, the way glibc sees it.
    public enum Outcome: String, Sendable, Equatable {
        /// A server answered with addresses.
        case found
        /// The deciding server said NXDOMAIN, or NOERROR without an address (NODATA).
        case notFound = "not-found"
        /// No server gave a deciding answer (SERVFAIL, REFUSED, silence, errors): TRY_AGAIN.
        case tryAgain = "try-again"
    }

    /// The server whose answer glibc takes for one name (A and AAAA asked
    /// of the same server), and what it says, asking the servers in the
    /// order given (resolv.conf's order without `rotate`).
    public static func decide(_ servers: [DNSServerResult]) -> (outcome: Outcome, server: String?, addresses: [String]) {
        for s in servers where isDecisive(s) {
            let addrs = s.queries.flatMap(\.addresses)
            return (addrs.isEmpty ? .notFound : .found, s.server, addrs)
        }
        return (.tryAgain, nil, [])
    }

    /// NOERROR (with or without data) or NXDOMAIN to A or AAAA: res_send stops here.
    static func isDecisive(_ s: DNSServerResult) -> Bool {
        s.queries.contains { $0.status == .answered || $0.status == .nxdomain }
    }

    // MARK: - The search list when resolv.conf has none

    /// The search list glibc uses: resolv.conf's (from its last `search` or
    /// `domain` line), or, when it has neither, the host name's domain part —
    /// everything after the host name's first dot (res_init's
    /// `domain_from_hostname`); none when the host name has no dot.
    /// `fromHostName` tells the caller which applied.
    public static func searchList(_ conf: ResolvConf, hostName: String?) -> (domains: [String], fromHostName: Bool) {
        if conf.search.from != nil { return (conf.search.domains, false) }
        guard let domain = hostNameDomain(hostName) else { return ([], false) }
        return ([domain], true)
    }

    /// The part after the first dot of a host name (gethostname's buffer is
    /// 255 bytes; a name cut there is cut the same way), or nil without a dot.
    public static func hostNameDomain(_ hostName: String?) -> String? {
        guard let hostName else { return nil }
        let bytes = Array(hostName.utf8.prefix(255))
        guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")) else { return nil }
        return String(decoding: bytes[(dot + 1)...], as: UTF8.self)
    }

    // MARK: - res_send's query plan

    /// What res_send follows when it asks the servers: `options attempts`
    /// (rounds over the servers), `timeout` (the base wait), `rotate`
    /// (the start server moves from query to query) and `use-vc` (TCP,
    /// one round only).
    public struct QueryPolicy: Sendable, Equatable {
        public var attempts: Int
        public var timeout: Int
        public var rotate: Bool
        public var useVC: Bool

        public init(
            attempts: Int = ResolvConf.Options.defaultAttempts, timeout: Int = ResolvConf.Options.defaultTimeout,
            rotate: Bool = false, useVC: Bool = false
        ) {
            self.attempts = attempts
            self.timeout = timeout
            self.rotate = rotate
            self.useVC = useVC
        }

        public init(_ o: ResolvConf.Options) {
            self.init(attempts: o.attempts, timeout: o.timeout, rotate: o.rotate, useVC: o.useVc)
        }
    }

    /// One query res_send sends: to which server (index in resolv.conf's
    /// order), in which round (1-based), over which transport, and how long
    /// it waits for the answer.
    public struct QueryStep: Sendable, Equatable {
        public var server: Int
        public var attempt: Int
        public var waitSeconds: Int
        public var transport: String

        public init(server: Int, attempt: Int, waitSeconds: Int, transport: String) {
            self.server = server
            self.attempt = attempt
            self.waitSeconds = waitSeconds
            self.transport = transport
        }
    }

    /// How long res_send waits for server `index` of `count` over UDP
    /// (send_dg): the timeout for the first server; for server i > 0,
    /// (timeout << i) / count; never less than 1 s. The index is the
    /// server's place in resolv.conf, also under `rotate`.
    public static func serverWait(index: Int, count: Int, timeout: Int) -> Int {
        var seconds = timeout << min(index, 16)
        if index > 0 && count > 0 { seconds /= count }
        return max(seconds, 1)
    }

    /// The start servers one lookup may begin at: only the first without
    /// `rotate` (or with one server); with it, any — glibc starts each query
    /// one server further, from a random point per process.
    public static func startOffsets(serverCount: Int, rotate: Bool) -> [Int] {
        rotate && serverCount > 1 ? Array(0..<serverCount) : [0]
    }

    /// The queries res_send sends for one question, in order, when no
    /// server gives a deciding answer: `attempts` rounds over every server,
    /// each round starting at `offset` (rotate), or a single round over TCP
    /// with `use-vc`. `attempts:0` sends nothing.
    public static func queryPlan(serverCount: Int, policy: QueryPolicy, offset: Int = 0) -> [QueryStep] {
        guard serverCount > 0 else { return [] }
        let rounds = policy.useVC ? min(policy.attempts, 1) : policy.attempts
        var steps: [QueryStep] = []
        for attempt in 0..<max(rounds, 0) {
            for shift in 0..<serverCount {
                let ns = (shift + offset) % serverCount
                // TCP (send_vc) waits for the connection and answer without send_dg's timer;
                // the base timeout is the closest bound.
                let wait = policy.useVC ? max(policy.timeout, 1) : serverWait(index: ns, count: serverCount, timeout: policy.timeout)
                steps.append(QueryStep(server: ns, attempt: attempt + 1, waitSeconds: wait, transport: policy.useVC ? "tcp" : "udp"))
            }
        }
        return steps
    }

    /// What one question comes to when res_send follows `plan` over the
    /// answers gathered from each server (`servers` in resolv.conf's order):
    /// the first step whose server answered NOERROR or NXDOMAIN decides. A
    /// silent server costs its wait on every round; an answer that moves on
    /// (SERVFAIL, REFUSED, port unreachable, a local error) costs nothing.
    public struct PlanWalk: Sendable, Equatable {
        public var outcome: Outcome
        /// Index of the deciding server, nil for try-again.
        public var decidedBy: Int?
        public var addresses: [String]
        /// Queries sent until the decision (or all of them).
        public var queriesSent: Int
        /// Seconds glibc waits on silent servers before the decision (or before giving up).
        public var waitedSeconds: Int
        /// The silent servers waited on (indices, first wait first).
        public var waitedOn: [Int] = []
    }

    public static func walk(_ plan: [QueryStep], servers: [DNSServerResult]) -> PlanWalk {
        var waited = 0
        var waitedOn: [Int] = []
        for (n, step) in plan.enumerated() where step.server < servers.count {
            let s = servers[step.server]
            if isDecisive(s) {
                let addrs = s.queries.flatMap(\.addresses)
                return PlanWalk(
                    outcome: addrs.isEmpty ? .notFound : .found, decidedBy: step.server, addresses: addrs,
                    queriesSent: n + 1, waitedSeconds: waited, waitedOn: waitedOn)
            }
            if s.queries.contains(where: { $0.status == .timeout }) {
                waited += step.waitSeconds
                if !waitedOn.contains(step.server) { waitedOn.append(step.server) }
            }
        }
        return PlanWalk(
            outcome: .tryAgain, decidedBy: nil, addresses: [], queriesSent: plan.count, waitedSeconds: waited, waitedOn: waitedOn)
    }

    /// `hosts:` sources hostaudit can follow, in order (`files`, `dns`); others are skipped.
    public static func hostsOrder(_ db: NSSwitchConf.Database?) -> [String] {
        guard let db else { return ["files", "dns"] }
        return db.sources.map(\.name).filter { $0 == "files" || $0 == "dns" }
    }

    /// Whether nsswitch stops after `source` when it did not find the name
    /// (`[NOTFOUND=return]`, or `[!SUCCESS=return]`).
    public static func stopsAfterNotFound(_ db: NSSwitchConf.Database?, source: String) -> Bool {
        guard let s = db?.sources.first(where: { $0.name == source }) else { return false }
        return s.criteria.contains { c in
            c.action == "return" && ((c.status == "NOTFOUND" && !c.negated) || (c.status == "SUCCESS" && c.negated))
        }
    }
}

/// One name tried through the search list, with each server's answers.
public struct CandidateLookup: Sendable, Equatable {
    public var name: String
    public var servers: [DNSServerResult]
    public var outcome: GlibcLookup.Outcome
    /// The server whose answer decided (nil for try-again).
    public var decidedBy: String?

    /// With `rotate`: the outcome for each start server (resolv.conf's
    /// order) when they differ, so a lookup's result depends on where glibc
    /// starts; empty when every start gives the same outcome.
    public var outcomeByStart: [GlibcLookup.Outcome]
    /// What glibc waits on silent servers before the deciding answer, or
    /// before it gives up (the worst start under `rotate`).
    public var waitedSeconds: Int
    /// The silent servers that wait is spent on.
    public var waitedOn: [String]
    /// Queries res_send sends for this name at most (per A/AAAA pair):
    /// 0 with `attempts:0`.
    public var plannedQueries: Int
    /// The deciding answer's addresses.
    public var addresses: [String]

    /// Follows res_send's plan (`policy`) over the answers; the default is
    /// glibc's default (no rotate, 2 attempts, 5 s). Under `rotate` every
    /// start server is walked: the name is `found` when any start finds it
    /// (some lookups on the host succeed), else `try-again` when any start
    /// gets no deciding answer, else `not-found`.
    public init(name: String, servers: [DNSServerResult], policy: GlibcLookup.QueryPolicy = .init()) {
        self.name = name
        self.servers = servers
        let walks = GlibcLookup.startOffsets(serverCount: servers.count, rotate: policy.rotate).map {
            GlibcLookup.walk(GlibcLookup.queryPlan(serverCount: servers.count, policy: policy, offset: $0), servers: servers)
        }
        let chosen =
            walks.first { $0.outcome == .found } ?? walks.first { $0.outcome == .tryAgain } ?? walks.first
            ?? GlibcLookup.PlanWalk(outcome: .tryAgain, decidedBy: nil, addresses: [], queriesSent: 0, waitedSeconds: 0)
        outcome = chosen.outcome
        decidedBy = chosen.decidedBy.map { servers[$0].server }
        addresses = chosen.addresses
        let outcomes = walks.map(\.outcome)
        outcomeByStart = Set(outcomes.map(\.rawValue)).count > 1 ? outcomes : []
        let worst = walks.max { $0.waitedSeconds < $1.waitedSeconds }
        waitedSeconds = worst?.waitedSeconds ?? 0
        waitedOn = (worst?.waitedOn ?? []).map { servers[$0].server }
        plannedQueries = GlibcLookup.queryPlan(serverCount: servers.count, policy: policy).count
    }

    public func json() -> JSONValue {
        .object(
            JSONObject([
                ("name", .string(name)), ("outcome", .string(outcome.rawValue)),
                ("decided_by", decidedBy.map(JSONValue.string) ?? .null),
                ("glibc_wait_s", .int(Int64(waitedSeconds))), ("planned_queries", .int(Int64(plannedQueries))),
                ("outcome_by_start", outcomeByStart.isEmpty ? .null : .array(outcomeByStart.map { .string($0.rawValue) })),
                ("servers", .array(servers.map { $0.json() })),
            ]))
    }
}

extension ResolverFacts {
    /// The servers glibc itself queries, in order: the first three valid
    /// `nameserver` lines of resolv.conf as written — the systemd-resolved
    /// stub 127.0.0.53 included, never replaced by its upstreams — or
    /// 127.0.0.1 when there is none.
    public var glibcNameservers: [String] {
        let used = resolvConf.parsed.nameservers.filter(\.used).map { n in n.scope.map { "\(n.address)%\($0)" } ?? n.address }
        return used.isEmpty ? ["127.0.0.1"] : used
    }

    /// When glibc asks the systemd-resolved stub: the upstream servers it
    /// forwards to (from systemd-resolved's own file), to report beside the
    /// stub. They are not what programs ask, so they never make a name resolve.
    public var stubUpstreamNote: String? {
        guard resolvConf.parsed.usesSystemdStub else { return nil }
        let stubs = resolvConf.parsed.stubAddresses.joined(separator: ", ")
        guard let up = upstreamResolvConf else {
            return "glibc asks the systemd-resolved stub \(stubs); its upstream list was not read"
        }
        let servers = up.parsed.nameservers.filter(\.used).map(\.address)
        if servers.isEmpty {
            return "glibc asks the systemd-resolved stub \(stubs); its upstream list \(up.path) \(up.present ? "lists no server" : "is missing")"
        }
        return "glibc asks the systemd-resolved stub \(stubs), which forwards to \(servers.joined(separator: ", ")) (from \(up.path)); programs reach those only through the stub"
    }
}

extension GlibcLookup {
    /// What res_send's plan means for one name, in words: the time silent
    /// servers cost, a result that changes with `rotate`'s start server, and
    /// `attempts:0`. `shown` is the lookup the resolution reports (the one
    /// that found the name, else the name as given).
    public static func planNotes(shown: CandidateLookup?, policy: QueryPolicy, serverCount: Int) -> [String] {
        var notes: [String] = []
        guard serverCount > 0 else { return notes }
        if policy.attempts == 0 {
            notes.append("options attempts:0: glibc sends no DNS query at all, so no name resolves through DNS on this host")
            return notes
        }
        guard let hit = shown else { return notes }
        let how = "options timeout:\(policy.timeout) attempts:\(policy.attempts)\(policy.rotate ? " rotate" : "")\(policy.useVC ? " use-vc" : "")"
        let silent = hit.waitedOn
        if hit.waitedSeconds > 0 {
            let on = silent.isEmpty ? "" : " on \(silent.joined(separator: ", "))"
            if let d = hit.decidedBy, hit.outcome != .tryAgain {
                notes.append(
                    "glibc waits \(hit.waitedSeconds) s\(on) before \(d) answers (\(how)): every lookup on this host is that much slower")
            } else {
                notes.append("glibc gives up after \(hit.waitedSeconds) s\(on) (\(how))")
            }
        }
        if !hit.outcomeByStart.isEmpty {
            let per = zip(hit.servers, hit.outcomeByStart).map { "from \($0.server): \($1.rawValue)" }.joined(separator: ", ")
            notes.append(
                "options rotate: glibc starts each query at the next server, and the result depends on where it starts (\(per)): lookups of \(hit.name) succeed or fail from one to the next")
        }
        return notes
    }
}
