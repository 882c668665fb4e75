import HostAuditCore

/// `hostaudit firewall verdict`: one flow against a ruleset, statically or
/// traced through the kernel, with the route the kernel would take.
public struct FlowVerdictQuery: Sendable {
    public var flow: VerdictFlow
    /// Ask the kernel: trace one real packet through a temporary table.
    public var trace: Bool
    /// Evaluate the answer to the flow coming back in instead.
    public var reply: ReplyKind?

    public init(flow: VerdictFlow, trace: Bool = false, reply: ReplyKind? = nil) {
        self.flow = flow
        self.trace = trace
        self.reply = reply
    }

    /// The trace could not run.
    public struct TraceFailed: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public func run(snapshot: RulesetSnapshot) throws(TraceFailed) -> VerdictResult {
        var flow = self.flow
        let route = RouteLookup().complete(&flow)
        var result: VerdictResult
        if trace {
            do { result = try FlowTracer().trace(flow, snapshot: snapshot).result } catch { throw TraceFailed(description: "\(error)") }
        } else if let reply {
            result = Self.evaluateReply(flow, kind: reply, snapshot: snapshot)
        } else {
            result = VerdictEvaluator(snapshot: snapshot).evaluate(flow, local: LocalAddresses.read())
        }
        result.route = route
        if route.status == .noRoute {
            result.notes.append("the kernel has no route to \(flow.destination): the packet never reaches the firewall's output hook as evaluated")
        }
        return result
    }

    /// The answer through prerouting and input; a reverse-path filter (`fib
    /// saddr …`) on the way in asks for the route back to the peer.
    static func evaluateReply(_ flow: VerdictFlow, kind: ReplyKind, snapshot: RulesetSnapshot) -> VerdictResult {
        var local = LocalAddresses.read()
        let usesFib = snapshot.tables.contains { t in
            t.chains.contains { c in c.rules.contains { r in r.expressions.contains { if case .fib = $0 { return true }; return false } } }
        }
        var fibNote: String? = nil
        if usesFib, let src = flow.source {
            local.peerRoute = RouteLookup().reversePath(peer: flow.destination, local: src)
            fibNote = local.peerRoute.map { pr in
                "fib on the way in: the kernel's route back to \(pr.peer) is \(pr.type)\(pr.outputInterface.isEmpty ? "" : " via \(pr.outputInterface)")"
            } ?? "fib on the way in: the route back to \(flow.destination) could not be looked up"
        }
        var result = VerdictEvaluator(snapshot: snapshot).evaluateReply(flow, kind: kind, local: local)
        result.reply = kind
        if let fibNote { result.notes.append(fibNote) }
        return result
    }
}
