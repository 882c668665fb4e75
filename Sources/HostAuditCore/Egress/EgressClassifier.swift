/// The `state` of a probed port (contract: open|closed|filtered|unreachable|error),
/// plus nmap's `open|filtered` for a UDP port that stayed silent.
public enum PortState: String, Sendable, Equatable {
    case open, closed, filtered, unreachable, error
    case openFiltered = "open|filtered"
}

/// The contract's `cause`.
public enum EgressCause: String, Sendable, Equatable, CaseIterable {
    case none
    case closedPort = "closed-port"
    case localFirewall = "local-firewall"
    case upstreamFilter = "upstream-filter"
    case upstreamReject = "upstream-reject"
    case noRoute = "no-route"
    case hostDown = "host-down"
    case dnsFailure = "dns-failure"
    case selinuxDenied = "selinux-denied"
    case unknown
    /// The evidence narrows the cause to the listed `candidates` but does not pick one.
    case ambiguous
}

/// Turns socket evidence into a state and nmap `--reason` word.
///
/// Follows nmap's SYN-scan meaning rather than its connect scan: the error
/// queue's ICMP type and code decide, so an ICMP port-unreachable is
/// *filtered* (a reject), not *closed*, although connect(2) reports it with
/// the same ECONNREFUSED as a reset. Open needs `SO_ERROR == 0` and a
/// completed handshake (ESTABLISHED, or CLOSE_WAIT when the server has
/// already accepted and closed).
public enum EgressClassifier {
    public static func classify(_ e: TCPProbeEvidence) -> (state: PortState, reason: String) {
        if e.error == nil, e.tcpInfo?.isConnected == true { return (.open, "syn-ack") }
        if let icmp = e.icmp {
            let reason = icmp.reason
            switch reason {
            case "net-unreach", "host-unreach", "time-exceeded": return (.unreachable, reason)
            default: return (.filtered, reason)
            }
        }
        if let err = e.error {
            switch err.name {
            case "ECONNREFUSED": return (.closed, "reset")
            case "ETIMEDOUT": return (.filtered, "no-response")
            case "EHOSTUNREACH", "EHOSTDOWN": return (.unreachable, "host-unreach")
            case "ENETUNREACH": return (.unreachable, "net-unreach")
            case "EPERM", "EACCES": return (.filtered, "local-denied")
            case "EINVAL": return (e.phase == .connect ? (.unreachable, "no-route") : (.error, "error"))
            case "ENOPROTOOPT": return (.filtered, "proto-unreach")
            default: return (.error, "error")
            }
        }
        if e.phase == .deadline { return (.filtered, "no-response") }
        return (.error, "error")
    }

    /// SYN retransmissions: `tcpi_retransmits` while connecting (it counts
    /// timer firings, also when the SYN waited for ARP), the total for an open socket.
    public static func synRetransmits(_ e: TCPProbeEvidence) -> Int? {
        guard let ti = e.tcpInfo else { return e.phase == .connect ? 0 : nil }
        if ti.isConnected { return ti.totalRetrans }
        return max(ti.retransmits, ti.totalRetrans)
    }
}

