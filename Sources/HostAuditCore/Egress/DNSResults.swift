/// How one name server answered (or did not answer) a query.
public enum DNSStatus: String, Sendable, Equatable {
    /// NOERROR (the answer may hold no address of the asked type).
    case answered
    case nxdomain
    case servfail
    case refused
    /// No answer before the deadline.
    case timeout
    /// The server could not be reached: ICMP unreachable, no route, nothing on port 53.
    case unreachable
    /// This host refused to send the query (EPERM/EACCES: a local firewall rule).
    case localDenied = "local-denied"
    /// Any other failure (a malformed answer, another rcode).
    case error

    /// A DNS message came back (NOERROR with or without data, NXDOMAIN,
    /// SERVFAIL, REFUSED): the server is alive, whatever it said.
    public var isAnswer: Bool { [.answered, .nxdomain, .servfail, .refused].contains(self) }
}

/// One query (A, AAAA, or NS for liveness) to one server.
public struct DNSQueryResult: Sendable, Equatable {
    public var type: String
    public var status: DNSStatus
    /// The DNS rcode of the answer, null when none arrived.
    public var rcode: Int?
    public var addresses: [String]
    public var elapsedMs: Double
    /// `udp`, or `tcp` after a truncated UDP answer.
    public var transport: String
    public var detail: String?

    public init(
        type: String, status: DNSStatus, rcode: Int? = nil, addresses: [String] = [], elapsedMs: Double,
        transport: String = "udp", detail: String? = nil
    ) {
        self.type = type
        self.status = status
        self.rcode = rcode
        self.addresses = addresses
        self.elapsedMs = elapsedMs
        self.transport = transport
        self.detail = detail
    }

    public func json() -> JSONValue {
        .object(
            JSONObject([
                ("type", .string(type)), ("status", .string(status.rawValue)),
                ("rcode", rcode.map { .int(Int64($0)) } ?? .null),
                ("addresses", .array(addresses.map(JSONValue.string))), ("elapsed_ms", .int(Int64(elapsedMs.rounded()))),
                ("transport", .string(transport)), ("detail", detail.map(JSONValue.string) ?? .null),
            ]))
    }
}

/// A name asked of one server: its A and AAAA queries, and their combined status.
public struct DNSServerResult: Sendable, Equatable {
    public var server: String
    public var queries: [DNSQueryResult]

    public init(server: String, queries: [DNSQueryResult]) {
        self.server = server
        self.queries = queries
    }

    /// `answered` if any query was answered; `nxdomain` if every answer said
    /// so; else the first failure (a dead server times out on both).
    public var status: DNSStatus {
        if queries.contains(where: { $0.status == .answered }) { return .answered }
        if !queries.isEmpty && queries.allSatisfy({ $0.status == .nxdomain }) { return .nxdomain }
        if let nx = queries.first(where: { $0.status == .nxdomain }) { return nx.status }
        return queries.first?.status ?? .error
    }

    public var addresses: [String] { queries.flatMap(\.addresses) }
    public var elapsedMs: Double { queries.map(\.elapsedMs).max() ?? 0 }

    public func json() -> JSONValue {
        .object(
            JSONObject([
                ("server", .string(server)), ("status", .string(status.rawValue)),
                ("addresses", .array(addresses.map(JSONValue.string))),
                ("elapsed_ms", .int(Int64(elapsedMs.rounded()))), ("queries", .array(queries.map { $0.json() })),
            ]))
    }
}

/// Everything learned about one target name: /etc/hosts, then each configured server.
public struct NameResolution: Sendable, Equatable {
    public var name: String
    /// Addresses from the hosts file, when nsswitch consults `files` (they win, as in glibc).
    public var hostsFileAddresses: [String]
    public var servers: [DNSServerResult]
    /// A note on how the addresses were chosen (e.g. no name server configured).
    public var note: String?
    /// Set when the lookup followed glibc (search list, server order,
    /// nsswitch order): each name tried, in order.
    public var lookups: [CandidateLookup]?
    /// nsswitch's `hosts:` sources followed, in order (`files`, `dns`).
    public var order: [String]
    /// nsswitch stops after DNS says NOTFOUND (`dns [NOTFOUND=return] files`).
    public var dnsNotFoundReturns: Bool

    public init(
        name: String, hostsFileAddresses: [String] = [], servers: [DNSServerResult], note: String? = nil,
        lookups: [CandidateLookup]? = nil, order: [String] = ["files", "dns"], dnsNotFoundReturns: Bool = false
    ) {
        self.name = name
        self.hostsFileAddresses = hostsFileAddresses
        self.servers = servers
        self.note = note
        self.lookups = lookups
        self.order = order
        self.dnsNotFoundReturns = dnsNotFoundReturns
    }

    /// The name that resolved (the bare name or a search-list completion).
    public var resolvedAs: String? { lookups?.first { $0.outcome == .found }?.name }

    /// What DNS gives, the way glibc takes it: the first name of the search
    /// list that a deciding server answers with addresses. Without `lookups`,
    /// every address any server returned.
    public var dnsAddresses: [String] {
        guard let lookups else { return servers.flatMap(\.addresses) }
        guard let hit = lookups.first(where: { $0.outcome == .found }) else { return [] }
        return hit.addresses
    }

    /// The addresses to probe, by nsswitch's order: the first source that
    /// finds the name wins, without duplicates.
    public var addresses: [String] {
        var seen = Set<String>()
        for source in order {
            let found = source == "files" ? hostsFileAddresses : dnsAddresses
            if !found.isEmpty { return found.filter { seen.insert($0).inserted } }
            if source == "dns" && dnsNotFoundReturns && lookups?.contains(where: { $0.outcome == .notFound }) == true { return [] }
        }
        return []
    }

    public func json() -> JSONValue {
        .object(
            JSONObject([
                ("name", .string(name)), ("addresses", .array(addresses.map(JSONValue.string))),
                ("hosts_file_addresses", .array(hostsFileAddresses.map(JSONValue.string))),
                ("servers", .array(servers.map { $0.json() })), ("note", note.map(JSONValue.string) ?? .null),
                ("resolved_as", resolvedAs.map(JSONValue.string) ?? .null),
                ("lookups", lookups.map { .array($0.map { $0.json() }) } ?? .null),
                ("order", .array(order.map(JSONValue.string))),
            ]))
    }

    /// `10.0.0.53 timed out after 1000 ms; 10.0.0.54 NXDOMAIN in 1 ms`.
    public var summary: String {
        if servers.isEmpty { return note ?? "no name server was asked" }
        return servers.map { s in
            let ms = Int(s.elapsedMs.rounded())
            switch s.status {
            case .answered:
                return s.addresses.isEmpty
                    ? "\(s.server) answered with no address in \(ms) ms"
                    : "\(s.server) answered \(s.addresses.joined(separator: ", ")) in \(ms) ms"
            case .nxdomain: return "\(s.server) says NXDOMAIN (no such name) in \(ms) ms"
            case .servfail: return "\(s.server) returned SERVFAIL in \(ms) ms"
            case .refused: return "\(s.server) REFUSED the query in \(ms) ms"
            case .timeout: return "\(s.server) did not answer within \(ms) ms"
            case .unreachable:
                return "\(s.server) is unreachable (\(s.queries.first?.detail ?? "no route or nothing on port 53"))"
            case .localDenied: return "this host refused to send the query to \(s.server) (a local firewall rule)"
            case .error: return "\(s.server): \(s.queries.first?.detail ?? "error")"
            }
        }.joined(separator: "; ")
    }
}
