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
    /// of the same server), and what it says.
    public static func decide(_ servers: [DNSServerResult]) -> (outcome: Outcome, server: String?, addresses: [String]) {
        for s in servers {
            let decisive = s.queries.contains { $0.status == .answered || $0.status == .nxdomain }
            guard decisive else { continue }
            let addrs = s.queries.flatMap(\.addresses)
            return (addrs.isEmpty ? .notFound : .found, s.server, addrs)
        }
        return (.tryAgain, nil, [])
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

    public init(name: String, servers: [DNSServerResult]) {
        self.name = name
        self.servers = servers
        let d = GlibcLookup.decide(servers)
        outcome = d.outcome
        decidedBy = d.server
    }

    public func json() -> JSONValue {
        .object(
            JSONObject([
                ("name", .string(name)), ("outcome", .string(outcome.rawValue)),
                ("decided_by", decidedBy.map(JSONValue.string) ?? .null),
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
