/// How sure a probe's `cause` is (contract: `proven|likely|unknown`).
///
/// `proven`: the evidence excludes every other cause. `likely`: it favours
/// one and the explanation names what is left open. `unknown`: the cause is
/// `unknown` or `ambiguous` and `candidates` lists the possibilities.
public enum Confidence: String, Sendable, Equatable, Comparable, CaseIterable {
    case unknown, likely, proven

    var rank: Int { self == .proven ? 2 : self == .likely ? 1 : 0 }
    public static func < (a: Confidence, b: Confidence) -> Bool { a.rank < b.rank }
}

/// One item of a probe's `evidence[]`: what was observed, in words, with the
/// raw values beside it.
public struct EvidenceItem: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case socket, icmp, echo, siblings, timing, verdict, trace, reply, legacy, counter, route, dns, selinux
    }

    public var kind: Kind
    public var detail: String
    /// Extra machine-readable fields (`errno`, `offender`, `rule`, …).
    public var data: JSONObject

    public init(_ kind: Kind, _ detail: String, data: JSONObject = JSONObject()) {
        self.kind = kind
        self.detail = detail
        self.data = data
    }

    public func json() -> JSONValue {
        var o = JSONObject([("kind", .string(kind.rawValue)), ("detail", .string(detail))])
        for (k, v) in data.entries where k != "kind" && k != "detail" { o[k] = v }
        return .object(o)
    }
}

/// A cause the evidence does not exclude, why it is possible, and what would decide it.
public struct CauseCandidate: Sendable, Equatable {
    public var cause: EgressCause
    public var why: String
    public var tellApart: String

    public init(_ cause: EgressCause, why: String, tellApart: String) {
        self.cause = cause
        self.why = why
        self.tellApart = tellApart
    }

    public func json() -> JSONValue {
        .object(JSONObject([("cause", .string(cause.rawValue)), ("why", .string(why)), ("tell_apart", .string(tellApart))]))
    }
}

/// Something the local verdict could not see, so its `accept` is no proof:
/// legacy x_tables the evaluator or the trace does not read, chains before
/// the trace table's priority, a trace without a terminal verdict.
package struct LocalBlindSpot: Sendable, Equatable {
    package enum Kind: String, Sendable, Equatable {
        /// iptables-legacy (x_tables) rules at a hook the flow passes.
        case legacyTables = "legacy-tables"
        /// The trace showed no terminal verdict for the packet.
        case noTraceVerdict = "no-trace-verdict"
        /// Anything else the producer of the verdict knows it could not see.
        case other
    }

    package var kind: Kind
    /// What is unseen, e.g. `legacy table ip filter: OUTPUT has -A OUTPUT -p tcp -m tcp --dport 80 -j DROP`.
    package var detail: String
    /// The unseen part holds a rule that would drop or reject (a DROP/REJECT
    /// rule or a DROP policy), so a local block is a strong candidate.
    package var mayBlock: Bool
    /// What would decide it.
    package var tellApart: String

    package init(kind: Kind, detail: String, mayBlock: Bool, tellApart: String) {
        self.kind = kind
        self.detail = detail
        self.mayBlock = mayBlock
        self.tellApart = tellApart
    }

    package func json() -> JSONValue {
        .object(
            JSONObject([
                ("kind", .string(kind.rawValue)), ("detail", .string(detail)), ("may_block", .bool(mayBlock)),
                ("tell_apart", .string(tellApart)),
            ]))
    }
}

/// What is known about the answer's way back into this host (SYN-ACK, RST
/// or ICMP error through prerouting and input, conntrack `established`/`related`).
package enum ReplyPathEvidence: Sendable, Equatable {
    /// No base chain at prerouting/input/ingress and no legacy rule at
    /// PREROUTING/INPUT: nothing on this host can drop the answer.
    case noRules
    /// The evaluated (or traced) verdict for the answer.
    case verdict(LocalVerdict)
}

/// Everything the host itself says about a probe's flow. Each field is
/// filled by the layer that knows it; absent evidence stays nil/empty and
/// the explainer says what is left open.
package struct LocalEvidence: Sendable, Equatable {
    /// The verdict for the first packet (output, postrouting).
    package var outbound: LocalVerdict?
    /// The verdict for the SYN-ACK on its way back in (prerouting, input);
    /// nil when not evaluated (the outbound path already blocks, or no verdict layer).
    package var reply: ReplyPathEvidence?
    /// What the verdicts could not see (with `--trace`: the legacy tables).
    package var blindSpots: [LocalBlindSpot]
    /// The deciding rules' counters, both directions (`CounterWitness.direction`).
    package var witnesses: [CounterWitness]

    package init(
        outbound: LocalVerdict? = nil, reply: ReplyPathEvidence? = nil, blindSpots: [LocalBlindSpot] = [],
        witnesses: [CounterWitness] = []
    ) {
        self.outbound = outbound
        self.reply = reply
        self.blindSpots = blindSpots
        self.witnesses = witnesses
    }

    /// The evidence a `LocalVerdict` carries by itself: the outbound verdict,
    /// the SYN-ACK's verdict when the answers were evaluated, and the counter
    /// witnesses. (`SnapshotVerdicts` adds `.noRules` and the blind spots.)
    package init(verdict v: LocalVerdict, blindSpots: [LocalBlindSpot] = []) {
        self.outbound = v
        self.reply = v.replies.first { $0.kind == .synAck }.map { .verdict($0.verdict) }
        self.blindSpots = blindSpots
        self.witnesses = v.witnesses
    }

    /// The counter witness for `v`'s deciding rule in `direction`.
    package func witness(for v: LocalVerdict, direction: CounterWitness.Direction) -> CounterWitness? {
        witnesses.first {
            $0.direction == direction && $0.table == (v.table ?? "") && $0.chain == (v.chain ?? "")
                && $0.handle == (v.handle ?? -1) && $0.legacy == v.legacy
        }
    }
}

/// The route the kernel would use for a destination, named as `ip route` /
/// `ip rule` print it, when routing (not a filter) decides the flow.
package struct RouteEvidence: Sendable, Equatable {
    package enum Kind: String, Sendable, Equatable {
        case unicast, local, prohibit, unreachable, blackhole
        case `throw`
        /// No route matched (no default route), or every match was a `throw`.
        case noMatch = "no-match"
        case other
    }

    package var kind: Kind
    /// The deciding route, e.g. `prohibit 10.66.50.0/24 table main`; for a
    /// policy rule with a prohibit/unreachable/blackhole action, nil.
    package var route: String?
    /// The policy rule that led there, e.g. `100: from all to 10.66.60.0/24 lookup 100`.
    package var rule: String?
    /// The kernel's own refusal for RTM_GETROUTE (`EACCES`, `EHOSTUNREACH`, …), nil when it gave a route.
    package var kernelError: String?
    /// False when a policy rule on the way has a selector hostaudit did not
    /// evaluate, so the named route may not be the one the kernel used.
    package var exact: Bool

    package init(kind: Kind, route: String? = nil, rule: String? = nil, kernelError: String? = nil, exact: Bool = true) {
        self.kind = kind
        self.route = route
        self.rule = rule
        self.kernelError = kernelError
        self.exact = exact
    }

    /// The route is one that refuses traffic (or nothing routes).
    package var refuses: Bool { [.prohibit, .unreachable, .blackhole, .throw, .noMatch].contains(kind) }

    /// `the route 'prohibit 10.66.50.0/24 table main' (reached by rule '…')`.
    package var label: String {
        var s: String
        if let route {
            s = "the route '\(TerminalText.escape(route))'"
            if let rule { s += " (reached by policy rule '\(TerminalText.escape(rule))')" }
        } else if let rule {
            s = "the policy rule '\(TerminalText.escape(rule))'"
        } else {
            switch kind {
            case .noMatch: s = "no route (no route matches and there is no default route)"
            default: s = "a '\(kind.rawValue)' route"
            }
        }
        return s
    }

    package func json() -> JSONValue {
        .object(
            JSONObject([
                ("type", .string(kind.rawValue)), ("route", route.map(JSONValue.string) ?? .null),
                ("rule", rule.map(JSONValue.string) ?? .null), ("kernel_error", kernelError.map(JSONValue.string) ?? .null),
                ("exact", .bool(exact)),
            ]))
    }
}

/// The classifier's answer for one probe.
package struct Diagnosis: Sendable, Equatable {
    package var cause: EgressCause
    package var confidence: Confidence
    package var explanation: String
    package var evidence: [EvidenceItem]
    package var candidates: [CauseCandidate]

    package init(
        cause: EgressCause, confidence: Confidence, explanation: String, evidence: [EvidenceItem] = [],
        candidates: [CauseCandidate] = []
    ) {
        self.cause = cause
        self.confidence = confidence
        self.explanation = explanation
        self.evidence = evidence
        self.candidates = candidates
    }
}
