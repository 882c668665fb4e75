/// The `exposure` section of `hostaudit facts`: every listening TCP socket
/// and unconnected UDP socket of the network namespace hostaudit runs in,
/// with the inbound verdict of the host's own ruleset for a new connection
/// from outside (`ExposureAnalyzer`).
///
/// Paths policies read: `exposure.list[].exposure` (`exposed`, `restricted`,
/// `blocked`, `loopback-only`, `unknown`), `exposure.list[].local_port`,
/// `exposure.list[].covered_by_rule`, `exposure.list[].sources[].source`,
/// `exposure.traffic.loopback_accepted.met` (and the other traffic checks).
public struct ExposureFacts: Encodable, Sendable, Equatable {
    public var available: Bool
    public var unavailableReason: String?
    /// `/proc/self/ns/net`: the namespace whose sockets and ruleset were read.
    public var netns: String?
    /// The representative outside addresses evaluated.
    public var outsideIpv4: String?
    public var outsideIpv6: String?
    /// Non-loopback interfaces a connection may arrive on, with their networks.
    public var interfaces: [Interface]
    public var count: Int
    public var list: [ExposureFact]
    /// Loopback, spoofed-loopback, outbound and reply traffic through the
    /// same ruleset; null when unavailable.
    public var traffic: TrafficControlFacts?
    public var errors: [String]

    public struct Interface: Encodable, Sendable, Equatable {
        public var name: String
        public var index: Int
        public var addresses: [String]
        public init(name: String, index: Int, addresses: [String]) {
            self.name = name
            self.index = index
            self.addresses = addresses
        }
    }

    public init(
        available: Bool, unavailableReason: String? = nil, netns: String?, outsideIpv4: String?, outsideIpv6: String?,
        interfaces: [Interface], list: [ExposureFact], traffic: TrafficControlFacts? = nil, errors: [String] = []
    ) {
        self.available = available
        self.unavailableReason = unavailableReason
        self.netns = netns
        self.outsideIpv4 = outsideIpv4
        self.outsideIpv6 = outsideIpv6
        self.interfaces = interfaces
        self.count = list.count
        self.list = list
        self.traffic = traffic
        self.errors = errors
    }

    public static func unavailable(_ reason: String) -> ExposureFacts {
        ExposureFacts(available: false, unavailableReason: reason, netns: nil, outsideIpv4: nil, outsideIpv6: nil, interfaces: [], list: [])
    }
}

public struct ExposureFact: Encodable, Sendable, Equatable {
    public enum Exposure: String, Encodable, Sendable {
        case exposed, restricted, blocked, unknown
        case loopbackOnly = "loopback-only"
    }

    /// A rule (or a chain's policy, `handle` null) that decided.
    public struct Location: Encodable, Sendable, Equatable {
        public var family: String
        public var table: String
        public var chain: String
        public var handle: Int?
        public var rule: String
        public var legacy: Bool
        public init(_ l: RuleLocation) {
            family = l.family.name
            table = l.table
            chain = l.chain
            handle = l.handle.map { Int(truncatingIfNeeded: $0) }
            rule = l.rule
            legacy = l.isLegacy
        }
    }

    /// A source the ruleset accepts a new connection from.
    public struct Source: Encodable, Sendable, Equatable {
        /// `10.0.0.0/8`, `192.0.2.7`, `198.51.100.1-198.51.100.9`.
        public var source: String
        /// `rule` (an address match in a rule), `set` (a member of a set), `local-network`.
        public var kind: String
        /// The set it is a member of (`inet filter @allowed`), for `set`.
        public var set: String?
        /// The address the evaluator accepted for it.
        public var testedAddress: String
        /// The rule that accepted.
        public var via: Location?
        public init(source: String, kind: String, set: String?, testedAddress: String, via: Location?) {
            self.source = source
            self.kind = kind
            self.set = set
            self.testedAddress = testedAddress
            self.via = via
        }
    }

    /// The classification of one socket (the part the analyzer computes).
    public struct Verdict: Sendable, Equatable {
        public var exposure: Exposure
        public var reason: String?
        public var outsideAddress: String? = nil
        public var decidedBy: Location? = nil
        public var acceptedOn: [String] = []
        public var sources: [Source] = []
        public var sourcesComplete: Bool = true
        public var coveredByRule: Bool = false
        public var notes: [String] = []
        public init(exposure: Exposure, reason: String?) {
            self.exposure = exposure
            self.reason = reason
        }
    }

    /// `tcp` or `udp`.
    public var protocolName: String
    /// `ipv4` or `ipv6` (of the socket).
    public var family: String
    public var localAddress: String
    public var localPort: Int
    /// Bound interface index (0 = any).
    public var interface: Int
    public var processes: [SocketFact.Owner]
    public var exposure: Exposure
    /// Why, in one sentence.
    public var reason: String?
    /// The outside address evaluated.
    public var outsideAddress: String?
    /// The rule or policy that decided for the outside address.
    public var decidedBy: Location?
    /// Interfaces a connection from outside is accepted on (for `exposed`).
    public var acceptedOn: [String]
    /// Sources accepted when the outside address is not (for `restricted`).
    public var sources: [Source]
    /// False when some source test could not be enumerated or evaluated (see notes).
    public var sourcesComplete: Bool
    /// A rule (not only a chain's policy, not the absence of a ruleset) decides for this socket.
    public var coveredByRule: Bool
    public var notes: [String]

    public init(
        protocolName: String, family: String, localAddress: String, localPort: Int, interface: Int,
        processes: [SocketFact.Owner], verdict: Verdict
    ) {
        self.protocolName = protocolName
        self.family = family
        self.localAddress = localAddress
        self.localPort = localPort
        self.interface = interface
        self.processes = processes
        exposure = verdict.exposure
        reason = verdict.reason
        outsideAddress = verdict.outsideAddress
        decidedBy = verdict.decidedBy
        acceptedOn = verdict.acceptedOn
        sources = verdict.sources
        sourcesComplete = verdict.sourcesComplete
        coveredByRule = verdict.coveredByRule
        notes = verdict.notes
    }

    enum CodingKeys: String, CodingKey {
        case protocolName = "protocol"
        case family, localAddress, localPort, interface, processes, exposure, reason, outsideAddress, decidedBy,
            acceptedOn, sources, sourcesComplete, coveredByRule, notes
    }
}
