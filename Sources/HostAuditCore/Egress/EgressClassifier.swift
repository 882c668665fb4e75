/// The `state` of a probed port (contract: open|closed|filtered|unreachable|error).
public enum PortState: String, Sendable, Equatable {
    case open, closed, filtered, unreachable, error
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

/// Everything known about one probe when its cause is decided.
public struct EgressFacts: Sendable {
    public var evidence: TCPProbeEvidence
    public var state: PortState
    public var reason: String
    public var icmpEcho: ICMPEchoResult
    /// The static verdict for this flow; null until the verdict layer provides it.
    public var localVerdict: LocalVerdict?
    /// Other probes to the same address that got an answer (open, closed or an
    /// ICMP error): the host is up, so silence on this port is port-specific.
    public var siblingsAnswered: Bool
    /// Other ports on the same address drew ICMP errors: this port's silence
    /// may be a reject whose ICMP the router's rate limit suppressed.
    public var siblingsRejected: Bool
    /// SELinux on the probing host: true when enforcing, false when not, nil when unknown.
    public var selinuxEnforcing: Bool?

    public init(
        evidence: TCPProbeEvidence, state: PortState, reason: String, icmpEcho: ICMPEchoResult,
        localVerdict: LocalVerdict? = nil, siblingsAnswered: Bool = false, siblingsRejected: Bool = false,
        selinuxEnforcing: Bool? = nil
    ) {
        self.siblingsRejected = siblingsRejected
        self.selinuxEnforcing = selinuxEnforcing
        self.evidence = evidence
        self.state = state
        self.reason = reason
        self.icmpEcho = icmpEcho
        self.localVerdict = localVerdict
        self.siblingsAnswered = siblingsAnswered
    }
}

/// Decides `cause` and writes the `explanation` from the probe's evidence,
/// ICMP reachability and, once available, the static local verdict.
///
/// Without a local verdict the cause comes from the probe alone, and the text
/// says what probing cannot tell apart (a local output drop is silent too; a
/// local `reject with tcp reset` looks like a closed port). With a verdict,
/// a local drop or reject is named as the cause.
public enum EgressExplainer {
    public static func explain(_ f: EgressFacts) -> (cause: EgressCause, explanation: String) {
        let e = f.evidence
        let subject = "TCP/\(e.port) to \(e.address)"
        let ms = formatMs(e.elapsedMs)
        let verdict = f.localVerdict
        let localBlocks = verdict.map { $0.verdict == "drop" || $0.verdict == "reject" } ?? false
        let localAccepts = verdict?.verdict == "accept"
        // What the kernel's own counter saw, when the deciding rule counts.
        let counted = verdict?.counterDeltaPackets.map { n in
            " Its counter rose by \(n) packet\(n == 1 ? "" : "s") while the probe ran\(n == 0 ? " (so the packets may not have reached it)" : "")."
        } ?? ""
        let unknownNote: String? =
            verdict?.verdict == "unknown"
            ? " The local firewall's verdict is unknown statically (\(verdict!.notes.isEmpty ? "see firewall verdict" : verdict!.notes.joined(separator: "; "))); run with --trace to ask the kernel."
            : nil

        switch f.reason {
        case "syn-ack":
            return (.none, "\(subject): connected (SYN-ACK) in \(ms); nothing blocks it.")

        case "reset":
            if localBlocks, let v = verdict {
                return (
                    .localFirewall,
                    "\(subject): refused with a TCP reset in \(ms), sent by this host's own \(v.label), not by a closed port.\(counted) Change that rule to allow the connection."
                )
            }
            var text = "\(subject): refused with a TCP reset in \(ms): nothing listens on port \(e.port) at \(e.address), or a firewall answers for it with a reset."
            if let unknownNote {
                text += unknownNote
            } else if verdict == nil {
                text += " Local rules were not checked; a local 'reject with tcp reset' rule looks the same."
            } else if localAccepts {
                text += " No local rule rejects it; check that the service runs on \(e.address)."
            }
            return (.closedPort, text)

        case "no-response":
            let sent = synText(e)
            if localBlocks, let v = verdict {
                return (
                    .localFirewall,
                    "\(subject): \(sent), no answer within \(ms); this host's \(v.label) \(v.verdict == "drop" ? "drops" : "rejects") it before it leaves.\(counted) Change that rule to allow the connection."
                )
            }
            if localAccepts, let r = verdict?.blockedReply {
                // The probe leaves, but this host drops the answer on its way back in.
                return (
                    .localFirewall,
                    "\(subject): \(sent), no answer within \(ms); the probe leaves, but this host's \(r.verdict.label) \(r.verdict.verdict == "drop" ? "drops" : "rejects") the answer (\(r.kind)) on its way back in.\(replyCounted(r)) Change that input rule to accept replies (ct state established,related)."
                )
            }
            let localNote: String
            if let unknownNote {
                localNote = unknownNote
            } else if let v = verdict, localAccepts {
                localNote = " No local rule drops it (\(v.label.isEmpty ? "accept" : v.label) accepts)."
            } else {
                localNote = " Local rules were not checked; a local output drop looks the same from the socket."
            }
            if f.icmpEcho.reachable == true || f.siblingsAnswered {
                let why = f.icmpEcho.reachable == true ? "\(e.address) answers ICMP echo" : "other ports on \(e.address) answer"
                let rateNote =
                    f.siblingsRejected
                    ? " Other ports on \(e.address) were rejected with ICMP errors, which routers rate-limit (about 6, then 1 per second)\(e.reprobed ? "; probed again alone, it stayed silent" : ", so this silence may be a reject whose ICMP error was suppressed")."
                    : ""
                return (
                    .upstreamFilter,
                    "\(subject): \(sent), no answer within \(ms); \(why), so the host is up and port \(e.port) is filtered upstream (a network firewall, the provider, or the destination's own firewall).\(rateNote)\(localNote) Ask the network's or provider's operator to allow the port."
                )
            }
            let echo: String
            switch f.icmpEcho.reachable {
            case .some(false): echo = "it does not answer ICMP echo either: the host is down, or everything to it is filtered"
            default: echo = "ICMP echo was not tested (\(f.icmpEcho.detail ?? "no ping socket and no CAP_NET_RAW")), so a down host cannot be told from a filter"
            }
            return (.unknown, "\(subject): \(sent), no answer within \(ms); \(echo).\(localNote)")

        case "local-denied":
            let errName = e.error?.name ?? "EPERM"
            if localBlocks, let v = verdict {
                return (.localFirewall, "\(subject): this host refused to send it (\(errName)); \(v.label) blocks it.\(counted) Change that rule.")
            }
            if f.selinuxEnforcing == true && (localAccepts || errName == "EACCES") {
                // connect() fails with EACCES when an SELinux policy denies name_connect;
                // the firewall lets the flow out, so the security module is the refusal.
                let fw = localAccepts ? " The local firewall accepts the flow, so the denial is not a netfilter rule." : ""
                return (
                    .selinuxDenied,
                    "\(subject): this host refused to send it (\(errName)) and SELinux is enforcing: the policy denies this process's domain from connecting to port \(e.port) (name_connect).\(fw) Check the audit log (ausearch -m avc) and allow the port (e.g. a boolean or semanage port), rather than setenforce 0."
                )
            }
            return (
                .localFirewall,
                "\(subject): this host refused to send it (\(errName)): a local firewall rule, a 'prohibit' route, a cgroup BPF hook or a security module (SELinux) denies the connection. Check the local output rules and the routing table."
            )

        case "net-unreach", "no-route":
            if let icmp = e.icmp, !icmp.offenderIsLocal, let from = icmp.offender {
                return (
                    .noRoute,
                    "\(subject): router \(from) has no route to \(e.address) (\(icmp.label), \(ms)). The network beyond that router does not reach the destination; ask its operator."
                )
            }
            let how = f.reason == "no-route" ? "the route to \(e.address) is a blackhole" : "this host has no route to \(e.address)"
            return (.noRoute, "\(subject): \(how) (\(e.error?.name ?? "ENETUNREACH")). Check the routing table and the default gateway.")

        case "host-unreach":
            if let icmp = e.icmp, let from = icmp.offender {
                if icmp.offenderIsLocal {
                    return (
                        .hostDown,
                        "\(subject): this host (\(from)) could not reach the next hop (\(icmp.label) after \(ms)): the neighbour or gateway does not answer ARP/neighbour discovery. Check the link and the gateway."
                    )
                }
                return (
                    .hostDown,
                    "\(subject): router \(from) reports the host unreachable (\(icmp.label) after \(ms)): \(e.address) is down or absent on that router's network, or a filter there rejects with host-unreachable."
                )
            }
            return (
                .noRoute,
                "\(subject): this host reports the destination unreachable at once (\(e.error?.name ?? "EHOSTUNREACH")): an 'unreachable' route or a failed neighbour. Check the routing table."
            )

        case "admin-prohibited", "host-prohibited", "net-prohibited", "port-unreach", "proto-unreach":
            guard let icmp = e.icmp else { break }
            if icmp.offenderIsLocal {
                let rule = verdict.map { " (\($0.label))" } ?? ""
                return (
                    .localFirewall,
                    "\(subject): rejected by this host's own firewall\(rule) with \(f.reason) (\(icmp.label) from \(icmp.offender ?? "a local address"), \(ms)); nothing left the host. Change the local output rule."
                )
            }
            return (
                .upstreamReject,
                "\(subject): rejected by \(icmp.offender ?? "a router") with \(f.reason) (\(icmp.label), \(ms)): a filter at that router blocks the port. Ask the operator of \(icmp.offender ?? "that network") to allow it."
            )

        case "time-exceeded":
            if let icmp = e.icmp {
                return (
                    .unknown,
                    "\(subject): the packet's TTL expired at \(icmp.offender ?? "a router") (\(icmp.label)): a routing loop or a very long path."
                )
            }

        default:
            break
        }
        let detail = e.error.map { " (\($0.name): \($0.message))" } ?? ""
        return (.unknown, "\(subject): the probe ended with \(f.reason)\(detail); the cause is unknown.")
    }

    static func replyCounted(_ r: ReplyVerdict) -> String {
        guard let n = r.verdict.counterDeltaPackets else { return "" }
        if n == 0 { return " Its counter did not rise while the probe ran: no answer reached it, so something upstream may block as well." }
        return " Its counter rose by \(n) packet\(n == 1 ? "" : "s") while the probe ran."
    }

    static func synText(_ e: TCPProbeEvidence) -> String {
        guard let ti = e.tcpInfo else { return "SYN sent" }
        let n = max(ti.retransmits, ti.totalRetrans)
        if n == 0 { return "SYN sent once" }
        return "SYN retransmitted \(n) time\(n == 1 ? "" : "s")"
    }

    static func formatMs(_ ms: Double) -> String {
        if ms < 10 { return "\((ms * 10).rounded() / 10) ms" }
        return "\(Int(ms.rounded())) ms"
    }

    /// The explanation for a name that no server resolved.
    public static func dnsFailure(target: EgressTarget, resolution: NameResolution) -> String {
        let allNX = !resolution.servers.isEmpty && resolution.servers.allSatisfy { $0.status == .nxdomain }
        let advice =
            allNX
            ? "The name does not exist: check the spelling in the configuration that names it."
            : "Fix or replace the failing name servers in resolv.conf, or allow DNS (port 53) to them."
        return "\(target.host) did not resolve: \(resolution.summary). \(advice)"
    }
}
