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
package enum EgressClassifier {
    package static func classify(_ e: TCPProbeEvidence) -> (state: PortState, reason: ProbeReason) {
        if e.error == nil, e.tcpInfo?.isConnected == true { return (.open, .synAck) }
        if let icmp = e.icmp { return (state(ofICMP: icmp.reason), icmp.reason) }
        if let err = e.error {
            switch err.code {
            case .connectionRefused: return (.closed, .reset)
            case .timedOut: return (.filtered, .noResponse)
            case .noRouteToHost, .hostIsDown: return (.unreachable, .hostUnreach)
            case .networkUnreachable: return (.unreachable, .netUnreach)
            case .notPermitted, .permissionDenied: return (.filtered, .localDenied)
            case .invalidArgument: return (e.phase == .connect ? (.unreachable, .noRoute) : (.error, .error))
            case .protocolNotAvailable: return (.filtered, .protoUnreach)
            case .other: return (.error, .error)
            }
        }
        if e.phase == .deadline { return (.filtered, .noResponse) }
        return (.error, .error)
    }

    /// The state an ICMP error gives a TCP probe: the unreachables (and an
    /// expired TTL) say the flow did not get there; every other error is a
    /// filter's answer.
    static func state(ofICMP reason: ProbeReason) -> PortState {
        switch reason {
        case .netUnreach, .hostUnreach, .timeExceeded:
            return .unreachable
        case .portUnreach, .protoUnreach, .netProhibited, .hostProhibited, .adminProhibited, .fragNeeded, .packetTooBig,
            .paramProblem, .redirect, .otherICMP:
            return .filtered
        case .synAck, .reset, .udpResponse, .noResponse, .localDenied, .noRoute, .dnsFailure, .error:
            // Not an ICMP word; ICMPError.reason never gives one.
            return .filtered
        }
    }

    /// SYN retransmissions: `tcpi_retransmits` while connecting (it counts
    /// timer firings, also when the SYN waited for ARP), the total for an open socket.
    package static func synRetransmits(_ e: TCPProbeEvidence) -> Int? {
        guard let ti = e.tcpInfo else { return e.phase == .connect ? 0 : nil }
        if ti.isConnected { return ti.totalRetrans }
        return max(ti.retransmits, ti.totalRetrans)
    }
}

