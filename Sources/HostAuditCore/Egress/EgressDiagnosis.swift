/// Everything known about one probe when its cause is decided. Every input
/// is typed; a layer that learns more (a reply-path verdict, a counter
/// witness, a legacy rule) fills its field and the explainer weighs it.
struct EgressFacts: Sendable {
    var evidence: TCPProbeEvidence
    var state: PortState
    var reason: ProbeReason
    var icmpEcho: ICMPEchoResult
    /// The host's own evidence: verdicts for both directions, blind spots, counters.
    var local: LocalEvidence
    /// The route for the destination, when routing was examined.
    var route: RouteEvidence?
    /// Other probes to the same address that got an answer (open, closed or an
    /// ICMP error): the host is up, so silence on this port is port-specific.
    var siblingsAnswered: Bool
    /// Other ports on the same address drew ICMP errors: this port's silence
    /// may be a reject whose ICMP the router's rate limit suppressed.
    var siblingsRejected: Bool
    /// SELinux on the probing host: true when enforcing, false when not, nil when unknown.
    var selinuxEnforcing: Bool?

    /// The static (or traced) verdict for the first packet.
    var localVerdict: LocalVerdict? {
        get { local.outbound }
        set { local.outbound = newValue }
    }

    init(
        evidence: TCPProbeEvidence, state: PortState, reason: ProbeReason, icmpEcho: ICMPEchoResult,
        localVerdict: LocalVerdict? = nil, siblingsAnswered: Bool = false, siblingsRejected: Bool = false,
        selinuxEnforcing: Bool? = nil, local: LocalEvidence? = nil, route: RouteEvidence? = nil
    ) {
        self.evidence = evidence
        self.state = state
        self.reason = reason
        self.icmpEcho = icmpEcho
        var l = local ?? localVerdict.map { LocalEvidence(verdict: $0) } ?? LocalEvidence()
        if let localVerdict { l.outbound = localVerdict }
        self.local = l
        self.route = route
        self.siblingsAnswered = siblingsAnswered
        self.siblingsRejected = siblingsRejected
        self.selinuxEnforcing = selinuxEnforcing
    }
}

/// Decides `cause`, `confidence`, `evidence` and `candidates` and writes the
/// `explanation`. A cause is stated only when the evidence rules out the
/// others (`proven`), or favours it with the open question named (`likely`);
/// otherwise the cause is `unknown`/`ambiguous` with the candidates in order.
enum EgressExplainer {
    /// A neighbour (ARP/ND) resolution gives up after about 3 s; an ICMP
    /// unreachable that arrives well before that was not caused by a failed one.
    static let fastUnreachableMs: Double = 1000

    static func explain(_ f: EgressFacts) -> (cause: EgressCause, explanation: String) {
        let d = diagnose(f)
        return (d.cause, d.explanation)
    }

    // MARK: - What the host itself says

    /// The outbound path: proven to block, proven to accept, or open.
    enum Outbound {
        case blocks(LocalVerdict)
        case accepts(String)
        case open(question: String, tellApart: String, mayBlock: Bool)
    }

    static func outbound(_ l: LocalEvidence) -> Outbound {
        guard let v = l.outbound else {
            return .open(
                question: "the local firewall rules were not read (no CAP_NET_ADMIN, or reading failed)",
                tellApart: "run as root so the ruleset can be read", mayBlock: false)
        }
        if v.blocks { return .blocks(v) }
        if v.verdict == .accept {
            if l.blindSpots.isEmpty {
                return .accepts(v.rule == nil ? "no local rule drops it (the output path accepts)" : "no local rule drops it (\(v.label) accepts)")
            }
            let spots = l.blindSpots.map(\.detail).joined(separator: "; ")
            return .open(
                question: "the local verdict accepts, but it cannot see \(spots)",
                tellApart: l.blindSpots.map(\.tellApart).joined(separator: "; "),
                mayBlock: l.blindSpots.contains(where: \.mayBlock))
        }
        // The trace's own notice that it changed the ruleset is no reason.
        let reasons = v.notes.filter { !$0.hasPrefix("--trace changed the ruleset") }
        let notes = reasons.isEmpty ? "see firewall verdict" : reasons.joined(separator: "; ")
        var tell = v.traced ? "check the rules the trace cannot see" : "run with --trace to ask the kernel"
        if !l.blindSpots.isEmpty {
            tell = l.blindSpots.map(\.tellApart).joined(separator: "; ")
            // --trace cannot see legacy tables: do not send the user there for them.
            if !v.traced && !l.blindSpots.contains(where: { $0.kind == .legacyTables }) { tell += "; run with --trace to ask the kernel" }
        }
        let what = v.traced ? "the kernel trace gave no verdict" : "the local firewall's verdict is unknown statically"
        var question = "\(what) (\(notes))"
        if !l.blindSpots.isEmpty { question += "; unseen: " + l.blindSpots.map(\.detail).joined(separator: "; ") }
        return .open(
            question: question, tellApart: tell,
            mayBlock: l.blindSpots.contains(where: \.mayBlock) || v.traced || !reasons.isEmpty)
    }

    enum Reply {
        case accepts(String)
        case blocks(LocalVerdict)
        case open(String)
    }

    static func reply(_ l: LocalEvidence) -> Reply {
        switch l.reply {
        case nil:
            return .open("the answer's way back through this host (prerouting and input) was not evaluated")
        case .noRules?:
            return .accepts("no prerouting or input rule on this host can drop the answer")
        case .verdict(let v)?:
            if v.blocks { return .blocks(v) }
            if v.verdict == .accept { return .accepts("the answer is accepted on the way in (\(v.label))") }
            return .open("the verdict for the answer on the way in is unknown (\(v.notes.joined(separator: "; ")))")
        }
    }

    /// The path a verdict item is about; `rawValue` is its word in the evidence.
    enum Path: String {
        case outbound, reply
    }

    static func verdictItem(_ v: LocalVerdict, direction: Path) -> EvidenceItem {
        var d = JSONObject([("direction", .string(direction.rawValue)), ("verdict", .string(v.verdict.rawValue)), ("traced", .bool(v.traced))])
        if let t = v.table { d["table"] = .string(t) }
        if let c = v.chain { d["chain"] = .string(c) }
        if let h = v.handle { d["handle"] = .int(Int64(h)) }
        if let r = v.rule { d["rule"] = .string(r) }
        let how = v.traced ? "kernel trace" : "static evaluation"
        let text: String
        switch v.verdict {
        case .accept: text = "\(how) of the \(direction.rawValue) path: accepted\(v.rule == nil ? "" : " by \(v.label)")"
        case .drop, .reject: text = "\(how) of the \(direction.rawValue) path: \(v.verdict.rawValue) by \(v.label)"
        case .unknown: text = "\(how) of the \(direction.rawValue) path: no verdict (\(v.notes.joined(separator: "; ")))"
        }
        return EvidenceItem(v.traced ? .trace : (direction == .reply ? .reply : .verdict), text, data: d)
    }

    static func localItems(_ f: EgressFacts) -> [EvidenceItem] { localItems(f.local) }

    static func localItems(_ local: LocalEvidence) -> [EvidenceItem] {
        var items: [EvidenceItem] = []
        if let v = local.outbound {
            items.append(verdictItem(v, direction: .outbound))
            if let n = v.counterDeltaPackets, local.witness(for: v, direction: .out) == nil {
                items.append(
                    EvidenceItem(
                        .counter, "the deciding rule's counter rose by \(n) packet\(n == 1 ? "" : "s") while probing",
                        data: JSONObject([("packets", .int(Int64(clamping: n)))])))
            }
        }
        switch local.reply {
        case .noRules?: items.append(EvidenceItem(.reply, "no prerouting or input rule on this host can drop the answer"))
        case .verdict(let v)?: items.append(verdictItem(v, direction: .reply))
        case nil: break
        }
        for b in local.blindSpots {
            items.append(EvidenceItem(b.kind == .legacyTables ? .legacy : .trace, b.detail, data: JSONObject([("may_block", .bool(b.mayBlock))])))
        }
        for w in local.witnesses {
            let what = w.direction == .reply ? "the answers" : "the probe's packets"
            let rule = w.rule.map { " '\($0)'" } ?? ""
            let action = w.verdict.map { ", \($0.rawValue)" } ?? ""
            var data = JSONObject()
            if case .object(let o) = w.json() { data = o }
            data["packets"] = .int(Int64(clamping: w.deltaPackets))
            items.append(
                EvidenceItem(
                    .counter,
                    TerminalText.escape("the counter of the rule\(rule) (\(w.location)\(action)) deciding \(what) \(w.summary)"),
                    data: data))
        }
        return items
    }

    /// What came back besides the socket's own result, for TCP and UDP alike:
    /// the ICMP error and its sender, ICMP echo, and whether sibling ports answered.
    static func answerItems(icmp: ICMPError?, echo: ICMPEchoResult, address: String, siblingsAnswered: Bool) -> [EvidenceItem] {
        var items: [EvidenceItem] = []
        if let icmp {
            items.append(
                EvidenceItem(
                    .icmp, icmp.summary,
                    data: JSONObject([
                        ("offender", icmp.offender.map(JSONValue.string) ?? .null), ("offender_is_local", .bool(icmp.offenderIsLocal)),
                    ])))
        }
        switch echo.reachable {
        case .some(true): items.append(EvidenceItem(.echo, "\(address) answers ICMP echo"))
        case .some(false): items.append(EvidenceItem(.echo, "\(address) does not answer ICMP echo"))
        case .none: items.append(EvidenceItem(.echo, "ICMP echo not tested (\(echo.detail ?? "no ping socket"))"))
        }
        if siblingsAnswered { items.append(EvidenceItem(.siblings, "other ports on \(address) answered")) }
        return items
    }

    static func probeItems(_ f: EgressFacts) -> [EvidenceItem] {
        let e = f.evidence
        var items: [EvidenceItem] = []
        var sock = JSONObject([("phase", .string(e.phase.rawValue)), ("elapsed_ms", .double((e.elapsedMs * 10).rounded() / 10))])
        if let err = e.error { sock["errno"] = .string(err.name) }
        if let ti = e.tcpInfo { sock["tcp_state"] = .string(ti.state.name) }
        let what = e.error.map { "\($0.name) after \(formatMs(e.elapsedMs))" } ?? "\(f.reason) after \(formatMs(e.elapsedMs))"
        items.append(EvidenceItem(.socket, "the socket ended with \(what) (\(e.phase.rawValue))", data: sock))
        items += answerItems(icmp: e.icmp, echo: f.icmpEcho, address: e.address, siblingsAnswered: f.siblingsAnswered)
        if f.reason == .localDenied, let enforcing = f.selinuxEnforcing {
            items.append(EvidenceItem(.selinux, enforcing ? "SELinux is enforcing on this host" : "SELinux is not enforcing on this host"))
        }
        if let r = f.route {
            items.append(EvidenceItem(.route, "routing: \(r.label)\(r.kernelError.map { ", the kernel answers \($0)" } ?? "")", data: JSONObject([("route", r.json())])))
        }
        return items
    }

    // MARK: - Diagnosis

    /// How sure a local block on the way out is: the static (or traced)
    /// verdict is proof, unless the kernel's own counter for that rule
    /// contradicts it (it did not rise while the probe ran).
    static func outboundConfidence(_ local: LocalEvidence, _ out: Outbound) -> Confidence {
        guard case .blocks(let v) = out, local.witness(for: v, direction: .out)?.strength == .absent else { return .proven }
        return .likely
    }

    /// How sure a local drop of the SYN-ACK on its way back in is: proven when
    /// the probe provably leaves and the dropping rule's counter rose with the
    /// answers (exact or consistent); otherwise likely (the answer may not
    /// even arrive, or the counter does not say).
    static func replyConfidence(_ f: EgressFacts, _ out: Outbound, _ v: LocalVerdict) -> (Confidence, CounterWitness?) {
        let w = f.local.witness(for: v, direction: .reply)
        guard case .accepts = out, let w, w.strength == .exact || w.strength == .consistent else { return (.likely, w) }
        return (.proven, w)
    }

    static func diagnose(_ f: EgressFacts) -> Diagnosis {
        var d = decide(f)
        d.evidence = probeItems(f) + localItems(f) + d.evidence
        return d
    }

    static func decide(_ f: EgressFacts) -> Diagnosis {
        let e = f.evidence
        let subject = "TCP/\(e.port) to \(e.address)"
        let ms = formatMs(e.elapsedMs)
        let out = outbound(f.local)
        let back = reply(f.local)
        let hostUp = f.icmpEcho.reachable == true || f.siblingsAnswered
        // A rule that counted the probe's own packets and blocks them (the answers'
        // witnesses belong to the reply-path rule, and a dropped ICMP error is no block).
        let blockingWitness = f.local.witnesses.filter { $0.direction == .out && $0.blocks && $0.confidence != .unknown }.max { $0.confidence < $1.confidence }
        let counted: String = {
            guard case .blocks(let v) = out, let n = v.counterDeltaPackets else { return "" }
            return " Its counter rose by \(n) packet\(n == 1 ? "" : "s") while the probe ran\(n == 0 ? " (so the packets may not have reached it)" : "")."
        }()
        let outSure = outboundConfidence(f.local, out)

        switch f.reason {
        case .synAck:
            return Diagnosis(cause: .none, confidence: .proven, explanation: "\(subject): connected (SYN-ACK) in \(ms); nothing blocks it.")

        case .reset:
            if case .blocks(let v) = out {
                return Diagnosis(
                    cause: .localFirewall, confidence: outSure,
                    explanation: "\(subject): refused with a TCP reset in \(ms), sent by this host's own \(v.label), not by a closed port.\(counted) Change that rule to allow the connection.")
            }
            let forged = CauseCandidate(
                .upstreamReject, why: "a firewall on the path can answer for the host with a forged reset",
                tellApart: "compare the reset's TTL with the host's other packets in a capture (tcpdump -v), or probe from another network")
            let closed = CauseCandidate(
                .closedPort, why: "nothing listens on port \(e.port) at \(e.address)",
                tellApart: "check on \(e.address) that the service listens (ss -ltn)")
            if case .accepts(let why) = out {
                return Diagnosis(
                    cause: .closedPort, confidence: .likely,
                    explanation: "\(subject): refused with a TCP reset in \(ms): nothing listens on port \(e.port) at \(e.address), most likely; \(why). Left open: a firewall on the path answering with a forged reset looks the same. Check that the service runs on \(e.address).",
                    candidates: [closed, forged])
            }
            guard case .open(let question, let tell, _) = out else { break }
            return Diagnosis(
                cause: .unknown, confidence: .unknown,
                explanation: "\(subject): refused with a TCP reset in \(ms): a closed port, a local 'reject with tcp reset' rule or a firewall on the path; \(question). Tell apart: \(tell).",
                candidates: [
                    closed,
                    CauseCandidate(.localFirewall, why: question + "; a local 'reject with tcp reset' looks like a closed port", tellApart: tell),
                    forged,
                ])

        case .noResponse:
            return silence(f, subject: subject, ms: ms, out: out, back: back, hostUp: hostUp, counted: counted, witness: blockingWitness)

        case .localDenied:
            let errName = e.error?.name ?? "EPERM"
            if let r = f.route, r.refuses {
                return routeDiagnosis(f, r, subject: subject, how: "this host refused to send it (\(errName))")
            }
            if case .blocks(let v) = out {
                return Diagnosis(
                    cause: .localFirewall, confidence: outSure,
                    explanation: "\(subject): this host refused to send it (\(errName)); \(v.label) blocks it.\(counted) Change that rule.")
            }
            let accepts: Bool = { if case .accepts = out { return true } else { return false } }()
            if f.selinuxEnforcing == true && (accepts || e.error?.code == .permissionDenied) {
                // connect() fails with EACCES when an SELinux policy denies name_connect;
                // the firewall lets the flow out, so the security module is the refusal.
                let fw = accepts ? " The local firewall accepts the flow, so the denial is not a netfilter rule." : ""
                return Diagnosis(
                    cause: .selinuxDenied, confidence: .likely,
                    explanation: "\(subject): this host refused to send it (\(errName)) and SELinux is enforcing: the policy denies this process's domain from connecting to port \(e.port) (name_connect).\(fw) Check the audit log (ausearch -m avc) and allow the port (e.g. a boolean or semanage port), rather than setenforce 0.",
                    candidates: [
                        CauseCandidate(.selinuxDenied, why: "SELinux is enforcing and EACCES is its refusal", tellApart: "ausearch -m avc -ts recent shows the denial"),
                        CauseCandidate(.localFirewall, why: "a cgroup BPF program or another security module refuses the same way", tellApart: "bpftool cgroup tree; the audit log"),
                    ])
            }
            var cands = [
                CauseCandidate(.localFirewall, why: "a local output rule, a cgroup BPF hook or a security module refuses the connection", tellApart: "hostaudit firewall verdict for this flow; bpftool cgroup tree; the audit log"),
            ]
            if f.route == nil {
                cands.append(CauseCandidate(.noRoute, why: "a 'prohibit' route refuses with EACCES", tellApart: "ip route get \(e.address)"))
            }
            if accepts {
                return Diagnosis(
                    cause: .unknown, confidence: .unknown,
                    explanation: "\(subject): this host refused to send it (\(errName)), yet the local firewall accepts the flow and the route allows it: a cgroup BPF hook or a security module refuses it. Check bpftool cgroup tree and the audit log.",
                    candidates: cands)
            }
            return Diagnosis(
                cause: .localFirewall, confidence: .likely,
                explanation: "\(subject): this host refused to send it (\(errName)): a local firewall rule most likely; a cgroup BPF hook or a security module refuse the same way. Check the local output rules.",
                candidates: cands)

        case .netUnreach, .noRoute, .hostUnreach:
            if let icmp = e.icmp, let from = icmp.offender {
                return icmpUnreachable(f, icmp: icmp, from: from, subject: subject, ms: ms, out: out, hostUp: hostUp)
            }
            // connect(2) failed at once: the kernel's own routing refused.
            if let r = f.route, r.refuses {
                return routeDiagnosis(f, r, subject: subject, how: "this host has no usable route (\(e.error?.name ?? "ENETUNREACH"))")
            }
            let what: String
            switch e.error?.code {
            case .invalidArgument?: what = "a 'blackhole' route"
            case .noRouteToHost?: what = "an 'unreachable' route"
            default: what = "no route (or a 'throw' route with nothing after it)"
            }
            return Diagnosis(
                cause: .noRoute, confidence: .proven,
                explanation: "\(subject): this host refused at once (\(e.error?.name ?? "ENETUNREACH")): \(what) to \(e.address) in its routing tables. Check ip route and ip rule.")

        case .adminProhibited, .hostProhibited, .netProhibited, .portUnreach, .protoUnreach:
            guard let icmp = e.icmp else { break }
            if icmp.offenderIsLocal {
                if case .blocks(let v) = out {
                    return Diagnosis(
                        cause: .localFirewall, confidence: outSure,
                        explanation: "\(subject): rejected by this host's own firewall (\(v.label)) with \(f.reason) (\(icmp.label) from \(icmp.offender ?? "a local address"), \(ms)); nothing left the host.\(counted) Change the local output rule.")
                }
                return Diagnosis(
                    cause: .localFirewall, confidence: .likely,
                    explanation: "\(subject): rejected by this host itself with \(f.reason) (\(icmp.label) from \(icmp.offender ?? "a local address"), \(ms)): a local reject rule; the verdict did not name it. Check the local output rules.",
                    candidates: [
                        CauseCandidate(.localFirewall, why: "the ICMP error came from this host's own address", tellApart: "hostaudit egress --trace")
                    ])
            }
            return Diagnosis(
                cause: .upstreamReject, confidence: .proven,
                explanation: "\(subject): rejected by \(icmp.offender ?? "a router") with \(f.reason) (\(icmp.label), \(ms)): a filter at that router blocks the port. Ask the operator of \(icmp.offender ?? "that network") to allow it.")

        case .timeExceeded:
            if let icmp = e.icmp {
                return Diagnosis(
                    cause: .unknown, confidence: .unknown,
                    explanation: "\(subject): the packet's TTL expired at \(icmp.offender ?? "a router") (\(icmp.label)): a routing loop or a very long path.",
                    candidates: [
                        CauseCandidate(.noRoute, why: "a routing loop beyond \(icmp.offender ?? "a router")", tellApart: "traceroute -T -p \(e.port) \(e.address)")
                    ])
            }

        case .udpResponse, .dnsFailure, .error, .fragNeeded, .packetTooBig, .paramProblem, .redirect, .otherICMP:
            // No reading of these: the cause stays unknown, with the reason named.
            break
        }
        let detail = e.error.map { " (\($0.name): \($0.message))" } ?? ""
        return Diagnosis(cause: .unknown, confidence: .unknown, explanation: "\(subject): the probe ended with \(f.reason)\(detail); the cause is unknown.")
    }

    /// No answer at all.
    static func silence(
        _ f: EgressFacts, subject: String, ms: String, out: Outbound, back: Reply, hostUp: Bool, counted: String,
        witness: CounterWitness?
    ) -> Diagnosis {
        let e = f.evidence
        let sent = synText(e)
        let outSure = outboundConfidence(f.local, out)
        if case .blocks(let v) = out {
            return Diagnosis(
                cause: .localFirewall, confidence: outSure,
                explanation: "\(subject): \(sent), no answer within \(ms); this host's \(v.label) \(v.verdict == .drop ? "drops" : "rejects") it before it leaves.\(counted) Change that rule to allow the connection.")
        }
        // The reply path: a SYN-ACK dropped by this host's own prerouting/input
        // rules. Checked before "the host is up, so upstream": an answering
        // host says nothing about where the answer is lost.
        if case .blocks(let v) = back {
            let (sure, w) = replyConfidence(f, out, v)
            let action = v.verdict == .drop ? "drops" : "rejects"
            var text = "\(subject): \(sent), no answer within \(ms); the probe leaves, but this host's \(v.label) \(action) the answer (SYN-ACK) on its way back in."
            if let w {
                switch w.strength {
                case .exact, .consistent:
                    text += " Its counter rose by \(w.deltaPackets) packet\(w.deltaPackets == 1 ? "" : "s") while the probe ran: the answer arrived and was \(v.verdict == .drop ? "dropped" : "rejected") there."
                case .noisy:
                    text += " Its counter rose by \(w.deltaPackets) packets while the probe ran, more than the answers could explain, so it does not show whether the answer reached it."
                case .absent:
                    text += " Its counter did not rise while the probe ran: no answer reached it, so something upstream may block as well."
                }
            }
            var cands: [CauseCandidate] = []
            if sure != .proven {
                var open: [String] = []
                if case .open(let q, _, _) = out { open.append(q) }
                if w == nil { open.append("the rule has no counter that rose with the answer, so it is not shown that the answer arrived") }
                else if w?.strength == .absent || w?.strength == .noisy { open.append("the counter does not show the answer arriving") }
                if !open.isEmpty { text += " Left open: \(open.joined(separator: "; "))." }
                cands = [
                    CauseCandidate(
                        .localFirewall, why: "the static evaluation of the answer's way in ends at \(v.label)",
                        tellApart: "add a counter to that rule, or hostaudit firewall verdict --reply syn-ack for this flow"),
                    CauseCandidate(
                        .upstreamFilter, why: "a filter on the path may drop the probe or its answer before it gets here",
                        tellApart: "traceroute -T -p \(e.port) \(e.address); a capture on this host's interface shows whether the SYN-ACK arrives"),
                ]
            }
            return Diagnosis(
                cause: .localFirewall, confidence: sure,
                explanation: text + " Change that input rule to accept replies (ct state established,related).", candidates: cands)
        }
        if let w = witness {
            let rule = w.rule.map { "rule '\(TerminalText.escape($0))'" } ?? "rule"
            return Diagnosis(
                cause: .localFirewall, confidence: w.confidence,
                explanation: "\(subject): \(sent), no answer within \(ms); this host's \(rule) (\(TerminalText.escape(w.location))) counted \(w.direction == .reply ? "the answers" : "the probe's packets") and \(w.verdict == .drop ? "drops" : "rejects") them (its counter \(w.summary)). Change that rule.")
        }
        let why = f.icmpEcho.reachable == true ? "\(e.address) answers ICMP echo" : "other ports on \(e.address) answer"
        let rateNote =
            f.siblingsRejected
            ? " Other ports on \(e.address) were rejected with ICMP errors, which routers rate-limit (about 6, then 1 per second)\(e.reprobed ? "; probed again alone, it stayed silent" : ", so this silence may be a reject whose ICMP error was suppressed")."
            : ""
        let upstream = CauseCandidate(
            .upstreamFilter, why: hostUp ? "\(why), so the host is up and only this port is silent" : "a filter on the path drops everything to \(e.address)",
            tellApart: "traceroute -T -p \(e.port) \(e.address), or ask the network's operator")

        if hostUp {
            switch (out, back) {
            case (.accepts(let localWhy), .accepts(let replyWhy)):
                return Diagnosis(
                    cause: .upstreamFilter, confidence: .proven,
                    explanation: "\(subject): \(sent), no answer within \(ms); \(why), so the host is up and port \(e.port) is filtered upstream (a network firewall, the provider, or the destination's own firewall).\(rateNote) \(capitalized(localWhy)), and \(replyWhy). Ask the network's or provider's operator to allow the port.")
            case (.accepts(let localWhy), .open(let question)):
                return Diagnosis(
                    cause: .upstreamFilter, confidence: .likely,
                    explanation: "\(subject): \(sent), no answer within \(ms); \(why), so the host is up and port \(e.port) is most likely filtered upstream (a network firewall, the provider, or the destination's own firewall).\(rateNote) \(capitalized(localWhy)). Left open: \(question). Ask the network's or provider's operator to allow the port.",
                    candidates: [
                        upstream,
                        CauseCandidate(.localFirewall, why: "an input rule on this host could drop the SYN-ACK", tellApart: "hostaudit firewall show: look for drops in the input and prerouting chains"),
                    ])
            case (.open(let question, let tell, let mayBlock), _):
                let local = CauseCandidate(.localFirewall, why: question, tellApart: tell)
                return Diagnosis(
                    cause: .ambiguous, confidence: .unknown,
                    explanation: "\(subject): \(sent), no answer within \(ms); \(why), so the host is up, but a local drop is not ruled out: \(question). Either this host drops it or a filter upstream does. Tell apart: \(tell).\(rateNote)",
                    candidates: mayBlock ? [local, upstream] : [upstream, local])
            default:
                break
            }
        }
        var cands: [CauseCandidate] = []
        let echo: String
        switch f.icmpEcho.reachable {
        case .some(false):
            echo = "it does not answer ICMP echo either: the host is down, or everything to it is filtered"
            cands.append(CauseCandidate(.hostDown, why: "\(e.address) answers neither ICMP echo nor this port", tellApart: "check the host from its own network or console"))
            cands.append(upstream)
        default:
            echo = "ICMP echo was not tested (\(f.icmpEcho.detail ?? "no ping socket and no CAP_NET_RAW")), so a down host cannot be told from a filter"
            cands.append(upstream)
            cands.append(CauseCandidate(.hostDown, why: "nothing shows the host is up", tellApart: "allow ping sockets (net.ipv4.ping_group_range) or run as root"))
        }
        var localNote = ""
        switch out {
        case .open(let question, let tell, let mayBlock):
            localNote = " Not ruled out on this host: \(question)."
            let c = CauseCandidate(.localFirewall, why: question, tellApart: tell)
            if mayBlock { cands.insert(c, at: 0) } else { cands.append(c) }
        case .accepts(let w):
            localNote = " \(capitalized(w))."
        case .blocks:
            break
        }
        return Diagnosis(
            cause: .unknown, confidence: .unknown,
            explanation: "\(subject): \(sent), no answer within \(ms); \(echo).\(localNote)", candidates: cands)
    }

    /// An ICMP unreachable error (net or host) read with what else is known:
    /// a host that answers ping or other ports is up, and an error faster
    /// than a neighbour resolution can fail is a filter's answer.
    static func icmpUnreachable(
        _ f: EgressFacts, icmp: ICMPError, from: String, subject: String, ms: String, out: Outbound, hostUp: Bool
    ) -> Diagnosis {
        let e = f.evidence
        let fast = e.elapsedMs < fastUnreachableMs
        let isNet = f.reason == .netUnreach
        if icmp.offenderIsLocal {
            if case .blocks(let v) = out {
                return Diagnosis(
                    cause: .localFirewall, confidence: outboundConfidence(f.local, out),
                    explanation: "\(subject): rejected by this host's own firewall (\(v.label)) with \(f.reason) (\(icmp.label), \(ms)). Change the local output rule.")
            }
            if fast {
                return Diagnosis(
                    cause: .localFirewall, confidence: .likely,
                    explanation: "\(subject): this host itself answered \(f.reason) (\(icmp.label)) after \(ms), faster than a neighbour resolution fails (about 3 s): most likely a local reject rule.",
                    candidates: [
                        CauseCandidate(.localFirewall, why: "a reject with \(f.reason) answers at once", tellApart: "hostaudit egress --trace"),
                        CauseCandidate(.hostDown, why: "a next hop that does not answer ARP/ND", tellApart: "ip neigh show"),
                    ])
            }
            return Diagnosis(
                cause: .hostDown, confidence: .likely,
                explanation: "\(subject): this host (\(from)) could not reach the next hop (\(icmp.label) after \(ms)): the neighbour or gateway does not answer ARP/neighbour discovery. Check the link and the gateway.",
                candidates: [
                    CauseCandidate(.hostDown, why: "the error came after a neighbour resolution's time-out", tellApart: "ip neigh show"),
                    CauseCandidate(.localFirewall, why: "a local reject rule answers the same way", tellApart: "hostaudit egress --trace"),
                ])
        }
        let reject = CauseCandidate(
            .upstreamReject, why: "a filter at \(from) rejects with \(f.reason)",
            tellApart: "ping \(e.address) and probe another port: a host that answers is up")
        if hostUp {
            let why = f.icmpEcho.reachable == true ? "\(e.address) answers ICMP echo" : "other ports on \(e.address) answer"
            return Diagnosis(
                cause: .upstreamReject, confidence: .proven,
                explanation: "\(subject): router \(from) answers \(f.reason) (\(icmp.label), \(ms)), but \(why): the host is up and reachable, so this is a filter at \(from) rejecting port \(e.port), not a down host or a missing route. Ask the operator of \(from) to allow it.")
        }
        if isNet {
            return Diagnosis(
                cause: .noRoute, confidence: .likely,
                explanation: "\(subject): router \(from) has no route to \(e.address) (\(icmp.label), \(ms)). The network beyond that router does not reach the destination; ask its operator. Left open: a filter at \(from) rejecting with net-unreachable looks the same.",
                candidates: [
                    CauseCandidate(.noRoute, why: "\(from) has no route to \(e.address)", tellApart: "traceroute to \(e.address)"),
                    reject,
                ])
        }
        if fast {
            return Diagnosis(
                cause: .upstreamReject, confidence: .likely,
                explanation: "\(subject): router \(from) answered host-unreachable (\(icmp.label)) after \(ms), faster than a failed neighbour resolution (about 3 s): most likely a filter at \(from) rejecting with host-unreachable, not a down host. Ask the operator of \(from).",
                candidates: [
                    reject,
                    CauseCandidate(.hostDown, why: "\(e.address) does not answer ICMP echo", tellApart: "check the host from its own network"),
                ])
        }
        return Diagnosis(
            cause: .hostDown, confidence: .likely,
            explanation: "\(subject): router \(from) reports the host unreachable (\(icmp.label) after \(ms), the time a failed neighbour resolution takes): \(e.address) is down or absent on that router's network. Left open: a filter there rejecting with host-unreachable after a delay.",
            candidates: [
                CauseCandidate(.hostDown, why: "the error came after a neighbour resolution's time-out and the host answers nothing else", tellApart: "check the host from its own network"),
                reject,
            ])
    }

    /// A route that refuses: named when found.
    static func routeDiagnosis(_ f: EgressFacts, _ r: RouteEvidence, subject: String, how: String) -> Diagnosis {
        routeDiagnosis(r, subject: subject, how: how)
    }

    static func routeDiagnosis(_ r: RouteEvidence, subject: String, how: String) -> Diagnosis {
        let sure: Confidence = r.exact ? .proven : .likely
        let open = r.exact ? "" : " Left open: a policy rule on the way has a selector hostaudit did not evaluate, so another route may apply."
        return Diagnosis(
            cause: .noRoute, confidence: sure,
            explanation: "\(subject): \(how): \(r.label) sends it nowhere.\(open) Change the routing (ip route / ip rule), not the firewall.")
    }

    static func capitalized(_ s: String) -> String {
        guard let first = s.first else { return s }
        return first.uppercased() + s.dropFirst()
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
    static func dnsFailure(target: EgressTarget, resolution: NameResolution) -> String {
        let allNX = !resolution.servers.isEmpty && resolution.servers.allSatisfy { $0.status == .nxdomain || ($0.status == .answered && $0.addresses.isEmpty) }
        let advice =
            allNX
            ? "The name does not exist: check the spelling in the configuration that names it."
            : "Fix or replace the failing name servers in resolv.conf, or allow DNS (port 53) to them."
        var text = "\(target.host) did not resolve: \(resolution.summary). \(advice)"
        if let lookups = resolution.lookups, lookups.count > 1 {
            text = "\(target.host) did not resolve: glibc tries \(lookups.map { "\($0.name) (\($0.outcome.rawValue))" }.joined(separator: ", ")); \(resolution.summary). \(advice)"
        }
        if let stub = resolution.servers.first(where: { ResolvConf.systemdStubAddresses.contains($0.server) }), !stub.queries.contains(where: { $0.status.isAnswer }) {
            text += " The systemd-resolved stub \(stub.server) does not answer, so every program on this host fails to resolve: start or fix systemd-resolved (systemctl status systemd-resolved)."
        }
        if let note = resolution.note { text += " \(note)" }
        return text
    }
}
