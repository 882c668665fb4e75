/// Why a probed port is in its state: nmap's `--reason` word, typed.
///
/// The classifiers (`EgressClassifier`, `UDPClassifier`) produce it from the
/// socket evidence, the explainers switch on it (every case named, so a new
/// reason cannot slip past them), and the report writes `rawValue`, which is
/// the word the JSON and text output have always carried.
public enum ProbeReason: Sendable, Hashable, CustomStringConvertible {
    /// TCP: the handshake completed.
    case synAck
    /// TCP: a reset answered the SYN.
    case reset
    /// UDP: a datagram came back from the destination.
    case udpResponse
    /// Nothing came back within the time-out.
    case noResponse
    /// This host refused to send it (EPERM/EACCES).
    case localDenied
    /// connect(2)/send(2) failed at once with EINVAL: a blackhole route.
    case noRoute
    /// The name did not resolve, so nothing was probed.
    case dnsFailure
    /// Anything else the socket reported.
    case error
    // The ICMP and ICMPv6 errors, by nmap's words (also reached from the
    // errno connect(2) reports when no ICMP error was queued).
    case netUnreach
    case hostUnreach
    case portUnreach
    case protoUnreach
    case netProhibited
    case hostProhibited
    case adminProhibited
    case fragNeeded
    case packetTooBig
    case timeExceeded
    case paramProblem
    case redirect
    /// An ICMP type and code nmap has no word for: `icmp-T-C` or `icmp6-T-C`.
    case otherICMP(ICMPError.Origin, type: Int, code: Int)

    /// The word in the report.
    public var rawValue: String {
        switch self {
        case .synAck: return "syn-ack"
        case .reset: return "reset"
        case .udpResponse: return "udp-response"
        case .noResponse: return "no-response"
        case .localDenied: return "local-denied"
        case .noRoute: return "no-route"
        case .dnsFailure: return "dns-failure"
        case .error: return "error"
        case .netUnreach: return "net-unreach"
        case .hostUnreach: return "host-unreach"
        case .portUnreach: return "port-unreach"
        case .protoUnreach: return "proto-unreach"
        case .netProhibited: return "net-prohibited"
        case .hostProhibited: return "host-prohibited"
        case .adminProhibited: return "admin-prohibited"
        case .fragNeeded: return "frag-needed"
        case .packetTooBig: return "packet-too-big"
        case .timeExceeded: return "time-exceeded"
        case .paramProblem: return "param-problem"
        case .redirect: return "redirect"
        case .otherICMP(let origin, let type, let code): return "\(origin.rawValue)-\(type)-\(code)"
        }
    }

    public var description: String { rawValue }
}
