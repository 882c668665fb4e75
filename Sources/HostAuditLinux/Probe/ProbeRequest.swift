/// One port on one address for `TCPProber` or `UDPProber` (the prober
/// decides the transport).
struct ProbeRequest: Sendable, Hashable {
    var address: String
    var port: Int
    /// `IP_TTL` / `IPV6_UNICAST_HOPS` for a hop-limited probe (path location); nil: the system default.
    var ttl: Int?
    init(address: String, port: Int, ttl: Int? = nil) {
        self.address = address
        self.port = port
        self.ttl = ttl
    }
}
