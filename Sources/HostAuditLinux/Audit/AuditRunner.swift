import HostAuditCore
import Synchronization

/// The real egress oracle: `reachable` targets are probed with `EgressRunner`
/// (local verdicts from a ruleset snapshot), `blocked` flows are answered by
/// `VerdictEvaluator` without sending traffic. Every probe result is kept for
/// the report's `egress` list.
package final class LiveEgressOracle: EgressOracle, Sendable {
    let runner: EgressRunner
    let scope: CollectionScope
    let snapshot: RulesetSnapshot?
    let progress: (@Sendable (String) -> Void)?

    struct State {
        var recorded: [EgressProbeResult] = []
        var problems: [FileProblem] = []
    }
    let state: Mutex<State>

    package init(scope: CollectionScope, timeout: Double, progress: (@Sendable (String) -> Void)? = nil) {
        self.scope = scope
        self.progress = progress
        let live = LiveEgress(scope: scope, timeout: timeout, readLocalState: scope.isLive)
        self.snapshot = live.snapshot
        self.runner = live.runner
        self.state = Mutex(State(problems: live.problems))
    }

    /// Problems met so far (the ruleset not read, unusable package sources, probe problems).
    package var problems: [FileProblem] { state.withLock { $0.problems } }

    /// Every probe run so far, one per target and address.
    package var results: [EgressProbeResult] {
        let recorded = state.withLock { $0.recorded }
        var seen = Set<String>()
        return recorded.filter { seen.insert("\($0.target.hostPort)|\($0.address ?? "-")").inserted }
    }

    func expand(_ t: PolicyEgressTarget) -> [EgressTarget] {
        switch t {
        case .endpoint(let s): return (try? EgressTargetParser.parse(s)).map { [$0] } ?? []
        case .packageSources:
            let (found, unusable) = PackageSourceReader(scope: scope).read().targets()
            state.withLock { $0.problems += unusable }
            return found
        case .parameter: return []
        }
    }

    /// Probes plain targets (`--probe`, package sources).
    package func probe(targets: [EgressTarget]) async -> [EgressProbeResult] {
        guard !targets.isEmpty else { return [] }
        let doc = await runner.run(targets, progress: progress)
        record(doc)
        return doc.probes
    }

    func record(_ doc: EgressDocument) {
        state.withLock {
            $0.recorded += doc.probes
            $0.problems += doc.problems
        }
    }

    package func probe(_ target: PolicyEgressTarget) async -> [EgressProbeOutcome] {
        let probes = await probe(targets: expand(target))
        return probes.map { EgressProbeOutcome(state: $0.state.rawValue, raw: $0.json()) }
    }

    package func verdict(for flow: EgressFlow) async -> EgressFlowVerdict {
        guard let snapshot else {
            return EgressFlowVerdict(
                verdict: "unknown",
                raw: ["verdict": "unknown", "notes": [.string(scope.isLive ? "the ruleset could not be read" : "--root: the live ruleset is not read")]])
        }
        guard let dst = IPAddress(flow.dst) else {
            return EgressFlowVerdict(verdict: "unknown", raw: ["verdict": "unknown", "notes": [.string("not an address: \(flow.dst)")]])
        }
        var vf = VerdictFlow(
            destination: dst, destinationPort: UInt16(clamping: flow.dport), proto: FlowProtocol(rawValue: flow.proto) ?? .tcp,
            source: flow.src.flatMap(IPAddress.init), sourcePort: flow.sport.map { UInt16(clamping: $0) },
            outputInterface: flow.oif)
        RouteLookup().complete(&vf)
        let result = VerdictEvaluator(snapshot: snapshot).evaluate(vf, local: LocalAddresses.read())
        return EgressFlowVerdict(json: result.json()) ?? .unknown
    }
}
