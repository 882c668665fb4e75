/// The answer for one flow.
public enum VerdictKind: String, Sendable, Hashable {
    case accept, drop, reject, unknown
}

/// A rule (or a chain's policy, when `handle` is nil) that took part.
public struct RuleLocation: Sendable, Hashable {
    public var family: Family
    public var table: String
    public var chain: String
    /// nil for a chain policy or a pseudo chain (legacy tables).
    public var handle: UInt64?
    /// A short description of the rule (or `policy drop`).
    public var rule: String
    /// A legacy x_tables (iptables-legacy) table; `handle` is then the rule's
    /// 1-based position in its chain (`iptables -L --line-numbers`).
    public var isLegacy: Bool

    public init(family: Family, table: String, chain: String, handle: UInt64?, rule: String, isLegacy: Bool = false) {
        self.family = family
        self.table = table
        self.chain = chain
        self.handle = handle
        self.rule = rule
        self.isLegacy = isLegacy
    }

    /// `inet filter`: how nft names a table.
    public var tableName: String { "\(family.name) \(table)" }

    /// `ip filter`, or `ip filter (legacy)` for an x_tables table.
    public var displayTableName: String { isLegacy ? "\(tableName) (legacy)" : tableName }

    func json(matched: Bool? = nil) -> JSONValue {
        var o = JSONObject()
        o["table"] = .string(tableName)
        o["chain"] = .string(chain)
        o["handle"] = handle.map { .int(Int64($0)) } ?? .null
        o["rule"] = .string(rule)
        if isLegacy { o["legacy"] = .bool(true) }
        if let matched { o["matched"] = .bool(matched) }
        return .object(o)
    }
}

/// The answer to an outbound flow, as it comes back to the host.
public enum ReplyKind: String, Sendable, Hashable, CaseIterable {
    /// The destination accepts: SYN-ACK (TCP). Conntrack state established.
    case synAck = "syn-ack"
    /// The destination refuses: RST-ACK (TCP). Conntrack state established.
    case reset
    /// A router or the destination reports an error (ICMP/ICMPv6 destination
    /// unreachable) about the flow. Conntrack state related.
    case icmpError = "icmp-error"
}

/// One rule evaluated on the way (in the first branch explored).
public struct PathStep: Sendable, Hashable {
    public var location: RuleLocation
    public var matched: Bool
    public var hook: Hook

    public init(location: RuleLocation, matched: Bool, hook: Hook) {
        self.location = location
        self.matched = matched
        self.hook = hook
    }
}

/// What the kernel's routing said about the flow (filled by the Linux layer).
public struct RouteInfo: Sendable, Hashable {
    public enum Status: String, Sendable { case ok, noRoute = "no-route", given, unknown }
    public var status: Status
    public var type: String?
    public var source: IPAddress?
    public var outputInterface: String?
    public var outputInterfaceIndex: UInt32?
    public var gateway: IPAddress?
    public var error: String?

    public init(
        status: Status, type: String? = nil, source: IPAddress? = nil, outputInterface: String? = nil,
        outputInterfaceIndex: UInt32? = nil, gateway: IPAddress? = nil, error: String? = nil
    ) {
        self.status = status
        self.type = type
        self.source = source
        self.outputInterface = outputInterface
        self.outputInterfaceIndex = outputInterfaceIndex
        self.gateway = gateway
        self.error = error
    }

    public func json() -> JSONValue {
        var o = JSONObject()
        o["status"] = .string(status.rawValue)
        o["type"] = type.map { .string($0) } ?? .null
        o["src"] = source.map { .string($0.description) } ?? .null
        o["oif"] = outputInterface.map { .string($0) } ?? .null
        o["gateway"] = gateway.map { .string($0.description) } ?? .null
        if let error { o["error"] = .string(error) }
        return .object(o)
    }
}

/// The evaluator's answer for one flow.
public struct VerdictResult: Sendable {
    public var flow: VerdictFlow
    public var verdict: VerdictKind
    public var decidedBy: RuleLocation?
    public var path: [PathStep]
    public var notes: [String]
    /// How many combinations of unknowable matches were explored (1 = none).
    public var branches: Int
    public var route: RouteInfo?
    public var traced: Bool = false
    /// Set when this is the verdict of the answer to `flow` (prerouting, input).
    public var reply: ReplyKind? = nil

    public init(
        flow: VerdictFlow, verdict: VerdictKind, decidedBy: RuleLocation?, path: [PathStep], notes: [String],
        branches: Int, route: RouteInfo? = nil, traced: Bool = false
    ) {
        self.flow = flow
        self.verdict = verdict
        self.decidedBy = decidedBy
        self.path = path
        self.notes = notes
        self.branches = branches
        self.route = route
        self.traced = traced
    }

    /// True when the flow leaves the host: accepted and routable.
    public var isAccepted: Bool { verdict == .accept && route?.status != .noRoute }

    /// The `hostaudit.verdict/v1` document.
    public func json() -> JSONValue {
        var o = JSONObject()
        o["schema"] = .string("hostaudit.verdict/v1")
        o["flow"] = flow.json()
        o["verdict"] = .string(verdict.rawValue)
        o["decided_by"] = decidedBy.map { $0.json() } ?? .null
        o["path"] = .array(path.map { $0.location.json(matched: $0.matched) })
        o["traced"] = .bool(traced)
        o["notes"] = .array(notes.map { .string($0) })
        o["route"] = route.map { $0.json() } ?? .null
        if let reply { o["reply"] = .string(reply.rawValue) }
        return .object(o)
    }

    /// Text for people.
    public func text() -> String {
        var out = ""
        let f = flow
        out += "flow: \(f.proto.rawValue) \(f.source?.description ?? "?")"
        out += f.sourcePort.map { ":\($0)" } ?? ""
        out += " -> \(f.isIPv6 ? "[\(f.destination)]" : f.destination.description):\(f.destinationPort)"
        if let oif = f.outputInterface { out += " oif \(oif)" }
        out += "\n"
        if let route {
            switch route.status {
            case .noRoute: out += "route: no-route" + (route.error.map { " (\($0))" } ?? "") + "\n"
            case .ok:
                out += "route: \(route.type ?? "unicast") via \(route.outputInterface ?? "?")"
                out += route.gateway.map { " gateway \($0)" } ?? ""
                out += route.source.map { " src \($0)" } ?? ""
                out += "\n"
            case .given: out += "route: not looked up (--src/--oif given)\n"
            case .unknown: out += "route: unknown" + (route.error.map { " (\($0))" } ?? "") + "\n"
            }
        }
        if let reply { out += "answer: \(reply.rawValue) coming back (prerouting, input)\n" }
        out += "verdict: \(verdict.rawValue)\(traced ? " (kernel trace)" : "")\n"
        if let d = decidedBy {
            out += "decided by: \(d.displayTableName) chain \(d.chain)"
            out += d.handle.map { " handle \($0)" } ?? ""
            out += ": \(TerminalText.escape(d.rule))\n"
        } else {
            out += "decided by: -\n"
        }
        if !path.isEmpty {
            out += "path:\n"
            for s in path {
                out += "  \(s.matched ? "match" : "     ") \(s.hook.name) \(s.location.displayTableName) \(s.location.chain)"
                out += s.location.handle.map { " #\($0)" } ?? ""
                out += ": \(TerminalText.escape(s.location.rule))\n"
            }
        }
        for n in notes { out += "note: \(TerminalText.escape(n))\n" }
        return out
    }
}
