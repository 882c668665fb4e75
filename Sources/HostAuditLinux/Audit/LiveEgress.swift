import HostAuditCore
import Logging

/// The live egress wiring `egress` and `audit` share: this machine's ruleset
/// read before probing (its counters are compared with a second read
/// afterwards, and it answers static verdicts), SELinux's runtime mode, and
/// the runner that probes with both as local evidence.
struct LiveEgress: Sendable {
    var runner: EgressRunner
    /// The ruleset before probing; nil when it was not (or could not be) read.
    var snapshot: RulesetSnapshot?
    /// Why local evidence is missing (the ruleset could not be read).
    var problems: [FileProblem]

    /// `readLocalState`: read this machine's ruleset and SELinux mode (an audit
    /// below `--root` does not: the image's firewall is not this machine's).
    /// `trace`: ask the kernel which rule decides each flow.
    init(scope: CollectionScope, timeout: Double, readLocalState: Bool = true, trace: Bool = false, locate: Bool = true) {
        var snapshot: RulesetSnapshot?
        var problems: [FileProblem] = []
        var selinux: SELinuxMode?
        if readLocalState {
            do { snapshot = try NetfilterReader().snapshot() } catch {
                problems.append(FileProblem(path: "(firewall)", line: nil, text: nil, problem: "local firewall rules not checked: \(error)"))
                Diagnostics.egress.debug("ruleset not read: \(error)")
            }
            selinux = SELinuxCollector(scope: .live).collect().kernel.runtimeMode
        }
        var runner = EgressRunner(
            scope: scope, timeout: timeout, verdicts: snapshot.map { SnapshotVerdicts(before: $0, trace: trace) },
            selinuxEnforcing: selinux.map { $0 == .enforcing })
        runner.locate = locate
        self.runner = runner
        self.snapshot = snapshot
        self.problems = problems
    }
}

/// `hostaudit egress`: probe the targets given and the package sources, explain what is blocked.
public struct EgressSession: Sendable {
    public var targets: [EgressTarget]
    public var fromPackageSources: Bool
    public var scope: CollectionScope
    public var timeout: Double
    public var trace: Bool
    public var locate: Bool

    public init(
        targets: [EgressTarget], fromPackageSources: Bool, scope: CollectionScope, timeout: Double, trace: Bool, locate: Bool
    ) {
        self.targets = targets
        self.fromPackageSources = fromPackageSources
        self.scope = scope
        self.timeout = timeout
        self.trace = trace
        self.locate = locate
    }

    /// Nothing to probe: the package sources name no network repository.
    public struct NoTargets: Error, Sendable {
        public var root: String
        public var problems: [FileProblem]
    }

    /// How a run ended, for the exit status.
    public enum Outcome: Sendable, Equatable {
        case allOpen
        case notAllOpen
        /// No probe could be sent at all.
        case couldNotProbe
    }

    /// The targets plus the package sources' repositories (when asked), the
    /// problems met reading the sources.
    public func collectTargets() -> (targets: [EgressTarget], problems: [FileProblem]) {
        var list = targets
        var problems: [FileProblem] = []
        if fromPackageSources {
            let sources = PackageSourceReader(scope: scope).read()
            let (found, unusable) = sources.targets()
            problems = sources.problems + unusable
            for t in found where !list.contains(where: { $0.scheme == t.scheme && $0.host == t.host && $0.port == t.port }) {
                list.append(t)
            }
        }
        return (list, problems)
    }

    public func run(progress: (@Sendable (String) -> Void)? = nil) async throws(NoTargets) -> (document: EgressDocument, outcome: Outcome) {
        let (list, problems) = collectTargets()
        guard !list.isEmpty else { throw NoTargets(root: scope.root, problems: problems) }
        let live = LiveEgress(scope: scope, timeout: timeout, trace: trace, locate: locate)
        var document = await live.runner.run(list, progress: progress)
        document.problems = problems + live.problems + document.problems
        return (document, Self.outcome(document))
    }

    public static func outcome(_ document: EgressDocument) -> Outcome {
        if document.probes.allSatisfy({ $0.state == .error && $0.reason == .error }) { return .couldNotProbe }
        return document.allOpen ? .allOpen : .notAllOpen
    }
}
