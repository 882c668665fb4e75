/// Answers a policy's egress expectations: probes targets (`reachable`) and
/// gives the static verdict for flows (`blocked`, no traffic sent).
///
/// The real implementation lives with the egress prober and the verdict
/// engine; `policy test` fixtures answer from recorded data (`RecordedEgress`).
public protocol EgressOracle: Sendable {
    /// One outcome per address probed (a name may resolve to several; package
    /// sources expand to each mirror). Empty when there was nothing to probe.
    func probe(_ target: PolicyEgressTarget) async -> [EgressProbeOutcome]
    func verdict(for flow: EgressFlow) async -> EgressFlowVerdict
}

/// A probe result in the contract's `hostaudit.egress/v1` probe shape; `raw`
/// keeps the whole object for evidence.
public struct EgressProbeOutcome: Sendable, Equatable {
    /// open, closed, filtered, unreachable or error.
    public var state: String
    public var raw: JSONValue

    public init(state: String, raw: JSONValue) {
        self.state = state
        self.raw = raw
    }

    public init?(json: JSONValue) {
        guard let state = json["state"]?.stringValue else { return nil }
        self.init(state: state, raw: json)
    }

    public var isOpen: Bool { state == "open" }
}

/// The static verdict for a flow (`hostaudit.verdict/v1`'s core).
public struct EgressFlowVerdict: Sendable, Equatable {
    /// accept, drop, reject or unknown.
    public var verdict: String
    public var raw: JSONValue

    public init(verdict: String, raw: JSONValue) {
        self.verdict = verdict
        self.raw = raw
    }

    public init?(json: JSONValue) {
        guard let v = json["verdict"]?.stringValue else { return nil }
        self.init(verdict: v, raw: json)
    }

    public static let unknown = EgressFlowVerdict(
        verdict: "unknown", raw: ["verdict": "unknown", "notes": ["no verdict available"]])
}

/// Egress answers gathered before evaluation (the evaluator itself is synchronous).
public struct EgressObservations: Sendable {
    public var probes: [PolicyEgressTarget: [EgressProbeOutcome]]
    public var verdicts: [EgressFlow: EgressFlowVerdict]

    public init(probes: [PolicyEgressTarget: [EgressProbeOutcome]] = [:], verdicts: [EgressFlow: EgressFlowVerdict] = [:]) {
        self.probes = probes
        self.verdicts = verdicts
    }

    /// Asks `oracle` about every target and flow, concurrently.
    public static func gather(
        targets: [PolicyEgressTarget], flows: [EgressFlow], from oracle: any EgressOracle
    ) async -> EgressObservations {
        var result = EgressObservations()
        await withTaskGroup(of: (PolicyEgressTarget?, [EgressProbeOutcome], EgressFlow?, EgressFlowVerdict?).self) { group in
            for t in Set(targets) { group.addTask { (t, await oracle.probe(t), nil, nil) } }
            for f in Set(flows) { group.addTask { (nil, [], f, await oracle.verdict(for: f)) } }
            for await (t, outcomes, f, verdict) in group {
                if let t { result.probes[t] = outcomes }
                if let f, let verdict { result.verdicts[f] = verdict }
            }
        }
        return result
    }

    /// Reads the recorded form used by `policy test` fixtures:
    /// `{"probes": [{"target": T, "outcomes": [probe…]}], "verdicts": [{"flow": {…}, "verdict": …}]}`.
    public init(json: JSONValue) throws(FixtureError) {
        self.init()
        for p in json["probes"]?.arrayValue ?? [] {
            guard let t = p["target"]?.stringValue, let target = EgressTargetSyntax.parse(t) else {
                throw FixtureError("egress.probes: each entry needs a valid \"target\"")
            }
            var outcomes: [EgressProbeOutcome] = []
            for o in p["outcomes"]?.arrayValue ?? [] {
                guard let outcome = EgressProbeOutcome(json: o) else {
                    throw FixtureError("egress.probes[\(t)]: each outcome needs a \"state\"")
                }
                outcomes.append(outcome)
            }
            probes[target] = outcomes
        }
        for v in json["verdicts"]?.arrayValue ?? [] {
            guard let f = v["flow"], let dst = f["dst"]?.stringValue, let dport = f["dport"]?.intValue,
                let verdict = EgressFlowVerdict(json: v)
            else { throw FixtureError("egress.verdicts: each entry needs flow.dst, flow.dport and verdict") }
            let flow = EgressFlow(
                dst: dst, dport: Int(dport), proto: f["proto"]?.stringValue ?? "tcp", src: f["src"]?.stringValue,
                sport: f["sport"]?.intValue.map(Int.init), oif: f["oif"]?.stringValue)
            verdicts[flow] = verdict
        }
    }
}

/// An oracle that answers from recorded observations (fixtures, offline checks).
struct RecordedEgress: EgressOracle {
    var observations: EgressObservations
    init(_ observations: EgressObservations) { self.observations = observations }

    func probe(_ target: PolicyEgressTarget) async -> [EgressProbeOutcome] { observations.probes[target] ?? [] }
    func verdict(for flow: EgressFlow) async -> EgressFlowVerdict { observations.verdicts[flow] ?? .unknown }
}

/// A fixture or recorded document that does not have the expected shape.
public struct FixtureError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
