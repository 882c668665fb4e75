/// The transport protocol of a flow.
public enum FlowProtocol: String, Sendable, Hashable, CaseIterable {
    case tcp, udp

    /// The IP protocol number (`IPPROTO_TCP` 6, `IPPROTO_UDP` 17).
    public var number: UInt8 { self == .tcp ? 6 : 17 }
}

/// An outbound flow to evaluate: what the first packet of a new connection
/// looks like. Everything optional is unknown when nil, and a rule that
/// depends on an unknown value is explored both ways, never guessed.
public struct VerdictFlow: Sendable, Hashable {
    public var destination: IPAddress
    public var destinationPort: UInt16
    public var proto: FlowProtocol
    public var source: IPAddress?
    /// The ephemeral port is unknown unless the caller binds it.
    public var sourcePort: UInt16?
    public var outputInterface: String?
    public var outputInterfaceIndex: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?
    public var mark: UInt32?

    public init(
        destination: IPAddress, destinationPort: UInt16, proto: FlowProtocol = .tcp, source: IPAddress? = nil,
        sourcePort: UInt16? = nil, outputInterface: String? = nil, outputInterfaceIndex: UInt32? = nil,
        uid: UInt32? = nil, gid: UInt32? = nil, mark: UInt32? = nil
    ) {
        self.destination = destination
        self.destinationPort = destinationPort
        self.proto = proto
        self.source = source
        self.sourcePort = sourcePort
        self.outputInterface = outputInterface
        self.outputInterfaceIndex = outputInterfaceIndex
        self.uid = uid
        self.gid = gid
        self.mark = mark
    }

    public var isIPv6: Bool { destination.isIPv6 }

    /// `NFPROTO_IPV4` 2 or `NFPROTO_IPV6` 10.
    public var nfproto: UInt8 { isIPv6 ? 10 : 2 }

    public func json() -> JSONValue {
        var o = JSONObject()
        o["family"] = .string(isIPv6 ? "ip6" : "ip")
        o["protocol"] = .string(proto.rawValue)
        o["src"] = source.map { .string($0.description) } ?? .null
        o["sport"] = sourcePort.map { .int(Int64($0)) } ?? .null
        o["dst"] = .string(destination.description)
        o["dport"] = .int(Int64(destinationPort))
        o["oif"] = outputInterface.map { .string($0) } ?? .null
        o["uid"] = uid.map { .int(Int64($0)) } ?? .null
        o["gid"] = gid.map { .int(Int64($0)) } ?? .null
        o["mark"] = mark.map { .int(Int64($0)) } ?? .null
        return .object(o)
    }
}

/// What the evaluator knows about the host besides the ruleset: its own
/// addresses (for `addrtype` / `fib`-like questions).
public struct LocalKnowledge: Sendable, Hashable {
    /// Addresses configured on the host's interfaces.
    public var localAddresses: [IPAddress]
    /// Broadcast addresses of the host's IPv4 subnets.
    public var broadcastAddresses: [IPAddress]
    /// False when the addresses could not be read: address-type questions are then unknowable.
    public var isComplete: Bool
    /// The route back to the flow's peer, for `fib saddr …` on the answer's
    /// way in (reverse-path filters such as `fib saddr . iif oif missing
    /// drop`): the kernel's own lookup to the peer from the flow's local
    /// address with mark 0 and uid 0, as nft_fib asks it. Nil: unknown.
    public var peerRoute: PeerRoute?

    public struct PeerRoute: Sendable, Hashable {
        /// The peer the route leads to (the answer's source).
        public var peer: IPAddress
        /// The route's type (`unicast`, `local`, `blackhole`, …).
        public var type: String
        public var outputInterfaceIndex: UInt32
        public var outputInterface: String

        public init(peer: IPAddress, type: String, outputInterfaceIndex: UInt32, outputInterface: String) {
            self.peer = peer
            self.type = type
            self.outputInterfaceIndex = outputInterfaceIndex
            self.outputInterface = outputInterface
        }
    }

    public init(localAddresses: [IPAddress] = [], broadcastAddresses: [IPAddress] = [], isComplete: Bool = false) {
        self.localAddresses = localAddresses
        self.broadcastAddresses = broadcastAddresses
        self.isComplete = isComplete
    }

    public static let unknown = LocalKnowledge()
}
