import Dispatch
import Foundation
import HostAuditCore

/// The real egress oracle: `reachable` targets are probed with `EgressRunner`
/// (local verdicts from a ruleset snapshot), `blocked` flows are answered by
/// `VerdictEvaluator` without sending traffic. Every probe result is kept for
/// the report's `egress` list.
public final class LiveEgressOracle: EgressOracle, @unchecked Sendable {
    let runner: EgressRunner
    let scope: CollectionScope
    let snapshot: RulesetSnapshot?
    let progress: (@Sendable (String) -> Void)?
    let lock = NSLock()
    var recorded: [EgressProbeResult] = []
    public private(set) var problems: [FileProblem] = []

    public init(scope: CollectionScope, timeout: Double, progress: (@Sendable (String) -> Void)? = nil) {
        self.scope = scope
        self.progress = progress
        var snapshot: RulesetSnapshot?
        var problems: [FileProblem] = []
        if scope.isLive {
            do { snapshot = try NetfilterReader().snapshot() } catch {
                problems.append(FileProblem(path: "(firewall)", line: nil, text: nil, problem: "local firewall rules not checked: \(error)"))
            }
        }
        self.snapshot = snapshot
        self.problems = problems
        let selinux = scope.isLive ? SELinuxCollector(scope: .live).collect().kernel.runtimeMode : nil
        var runner = EgressRunner(
            scope: scope, timeout: timeout, verdicts: snapshot.map { SnapshotVerdicts(before: $0) },
            selinuxEnforcing: selinux.map { $0 == .enforcing })
        runner.locate = true
        self.runner = runner
    }

    /// Every probe run so far, one per target and address.
    public var results: [EgressProbeResult] {
        lock.lock()
        defer { lock.unlock() }
        var seen = Set<String>()
        return recorded.filter { seen.insert("\($0.target.hostPort)|\($0.address ?? "-")").inserted }
    }

    func expand(_ t: PolicyEgressTarget) -> [EgressTarget] {
        switch t {
        case .endpoint(let s): return (try? EgressTargetParser.parse(s)).map { [$0] } ?? []
        case .packageSources:
            let (found, unusable) = PackageSourceReader(scope: scope).read().targets()
            lock.lock()
            problems += unusable
            lock.unlock()
            return found
        case .parameter: return []
        }
    }

    /// Probes plain targets (`--probe`, package sources).
    public func probe(targets: [EgressTarget]) async -> [EgressProbeResult] {
        guard !targets.isEmpty else { return [] }
        let doc = await runner.run(targets, progress: progress)
        record(doc)
        return doc.probes
    }

    func record(_ doc: EgressDocument) {
        lock.withLock {
            recorded += doc.probes
            problems += doc.problems
        }
    }

    public func probe(_ target: PolicyEgressTarget) async -> [EgressProbeOutcome] {
        let probes = await probe(targets: expand(target))
        return probes.map { EgressProbeOutcome(state: $0.state.rawValue, raw: $0.json()) }
    }

    public func verdict(for flow: EgressFlow) async -> EgressFlowVerdict {
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

/// Runs the collectors concurrently, each within a time budget. A collector
/// that fails or overruns becomes an `error` finding; the rest still arrives.
public struct AuditCollection: Sendable {
    public var scope: CollectionScope
    public var processOptions: ProcessCollectionOptions
    public var budget: Double

    public init(scope: CollectionScope, processOptions: ProcessCollectionOptions, budget: Double) {
        self.scope = scope
        self.processOptions = processOptions
        self.budget = budget
    }

    final class Once: @unchecked Sendable {
        let lock = NSLock()
        var continuation: CheckedContinuation<JSONValue?, Never>?
        func resume(_ v: JSONValue?) {
            lock.lock()
            let c = continuation
            continuation = nil
            lock.unlock()
            c?.resume(returning: v)
        }
    }

    /// One category, or nil when it overran its budget (the thread is abandoned).
    func collect(_ category: FactCategory) async -> JSONValue? {
        let collector = FactsCollector(scope: scope, processOptions: processOptions)
        let once = Once()
        let budget = self.budget
        return await withCheckedContinuation { (c: CheckedContinuation<JSONValue?, Never>) in
            once.continuation = c
            Thread.detachNewThread {
                let doc = collector.collect([category])
                once.resume(doc.sections.first?.value ?? .null)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + budget) { once.resume(nil) }
        }
    }

    /// The facts document and one `error` finding per collector that failed or overran.
    public func run(_ categories: [FactCategory] = FactCategory.allCases) async -> (facts: FactsDocument, errors: [Finding]) {
        var values: [FactCategory: JSONValue?] = [:]
        await withTaskGroup(of: (FactCategory, JSONValue?).self) { group in
            for c in categories { group.addTask { (c, await collect(c)) } }
            for await (c, v) in group { values[c] = v }
        }
        var sections: [(category: FactCategory, value: JSONValue)] = []
        var errors: [Finding] = []
        for c in categories {
            let v = values[c] ?? nil
            let cause: String?
            let value: JSONValue
            if let v {
                value = v
                cause = v["error"]?.stringValue
            } else {
                cause = "the \(c.rawValue) collector did not finish within its \(Self.format(budget)) s budget"
                value = .object(JSONObject([("error", .string(cause!))]))
            }
            sections.append((c, value))
            // With --root, live-kernel sections are unavailable by design, not failures.
            if let cause, scope.isLive || !cause.contains("--root") {
                errors.append(
                    Finding(
                        rule: "collector-\(c.rawValue)", policy: "hostaudit", title: "The \(c.rawValue) facts could not be collected",
                        severity: .medium, status: .error,
                        evidence: [.object(JSONObject([("kind", "collector"), ("path", .string(c.rawValue)), ("detail", .string(cause))]))],
                        remediation: "Rules over \(c.rawValue) facts report unknown; run again as root, or investigate the cause.",
                        detail: cause))
            }
        }
        return (FactsDocument(root: scope.isLive ? nil : scope.root, sections: sections), errors)
    }

    public static func format(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }
}
