import Foundation
import HostAuditCore
import Logging

/// Where a session writes for people. The executable implements it over
/// standard output and standard error (escaping host strings there).
public protocol SessionConsole: Sendable {
    /// Whether a rewritten status line may be shown (standard error is a terminal).
    var showsStatus: Bool { get }
    /// Whether standard output takes colour (a terminal, `NO_COLOR` unset, `TERM` not `dumb`).
    var stdoutTakesColour: Bool { get }
    func status(_ message: String)
    func clearStatus()
    /// A note on standard error (`hostaudit: note: …`).
    func note(_ message: String)
    /// Text on standard output.
    func write(_ text: String, allowingColour: Bool)
}

/// Why an audit did not produce a report.
public enum AuditSessionError: Error, Sendable {
    /// Could not run (exit 3): the message, unescaped.
    case couldNotRun(String)
    /// A policy, waiver or parameter file does not load (exit 2).
    case invalidPolicy(PolicyLoadFailure)
}

/// `hostaudit audit` as one job: finds the policies, holds the state lock,
/// recovers from a corrupt state file, collects every fact while probing
/// egress, evaluates once, keeps evidence, assembles and writes the report
/// and the new state.
public struct AuditSession: Sendable {
    public struct Options: Sendable {
        public var scope: CollectionScope
        public var profile: Profile?
        /// Policy files or folders; empty: the shipped ones.
        public var policies: [String] = []
        /// False: no traffic (`--no-probes`).
        public var probing = true
        /// `--probe` targets.
        public var extraTargets: [EgressTarget] = []
        public var format: AuditReportFormat = .text
        public var output: String?
        public var failOn: Severity = .high
        public var state: String?
        public var quiet = false
        public var timeout: Double = 3.5
        public var signatures = SignatureRequest()
        public var evidenceDirectory: String?

        public init(scope: CollectionScope) { self.scope = scope }
    }

    public var options: Options
    public init(_ options: Options) { self.options = options }

    static func env(_ k: String) -> String? { ProcessInfo.processInfo.environment[k] }

    /// Runs the audit; the report tells whether anything at or above `failOn` failed.
    public func run(console: some SessionConsole) async throws(AuditSessionError) -> AuditReport {
        let clock = ContinuousClock()
        let startInstant = clock.now
        let startedAt = Date()
        let policySet = try loadPolicies()
        try prepareOutput()
        var previous = try openState(startedAt: startedAt, console: console)
        let run = await collectAndProbe(policySet, console: console)
        var findings = run.collectorErrors + previous.findings + evaluate(policySet.engine, run: run, startedAt: startedAt)
        if let dir = options.evidenceDirectory {
            previous.notes.append(try keepEvidence(directory: dir, findings: &findings))
        }
        let host = HostIdentity.read(scope: options.scope)
        var report = AuditReport(
            host: AuditHost(
                hostname: host.hostname, kernel: host.kernel, startedAt: startedAt,
                durationMs: Int((clock.now - startInstant) / .milliseconds(1))),
            profile: options.profile, findings: findings, egress: EgressStory.link(run.oracle.results, findings: findings),
            notes: previous.notes, failOn: options.failOn)
        let current = AuditState(findings: findings, savedAt: startedAt)
        if options.state != nil {
            report.changes = (previous.state ?? AuditState(failing: [], savedAt: startedAt)).changes(to: current)
        }
        try deliver(report, facts: run.facts, console: console)
        try saveState(current)
        withExtendedLifetime(previous.lock) {}
        return report
    }

    // MARK: - Policies

    /// The policies given, else the shipped ones; with their waivers and parameters.
    func loadPolicies() throws(AuditSessionError) -> PolicySet {
        var paths = options.policies
        if paths.isEmpty {
            guard let p = ShippedPolicies.path() else {
                throw .couldNotRun(
                    "no policies: give --policy PATH, set HOSTAUDIT_POLICIES, or install them in ../share/hostaudit/policies")
            }
            paths = [p]
        }
        do {
            let set = try PolicySet.load(paths: paths, hostParametersBelow: options.scope)
            Diagnostics.audit.debug("policies: \(set.library.policies.count) loaded from \(set.library.files.count) file(s)")
            return set
        } catch { throw .invalidPolicy(error) }
    }

    // MARK: - Output and state

    /// Fails before the long work when the output cannot be written.
    func prepareOutput() throws(AuditSessionError) {
        guard let output = options.output else { return }
        do { try AtomicFile.checkWritable(output) } catch { throw .couldNotRun("--output \(error.description)") }
        AtomicFile.sweepStale(for: output)
    }

    /// The previous run's state, the lock held for the whole run, and what a corrupt state file left.
    struct PreviousRun {
        var lock: StateLock?
        var state: AuditState?
        var notes: [String] = []
        var findings: [Finding] = []
    }

    func openState(startedAt: Date, console: some SessionConsole) throws(AuditSessionError) -> PreviousRun {
        var run = PreviousRun()
        guard let state = options.state else { return run }
        do {
            try AtomicFile.checkWritable(state)
            try AtomicFile.checkPrivate(state)
        } catch { throw .couldNotRun("--state \(error.description)") }
        let wait = Self.env("HOSTAUDIT_LOCK_TIMEOUT_S").flatMap(Double.init) ?? 10
        do { run.lock = try StateLock.acquire(statePath: state, timeout: wait) } catch { throw .couldNotRun("--state \(error.description)") }
        guard run.lock != nil else {
            throw .couldNotRun(
                "another hostaudit run holds the lock \(state).lock; waited \(AuditCollection.format(wait)) s. "
                    + "Nothing was written; try again when it has finished.")
        }
        AtomicFile.sweepStale(for: state)
        let stored: [UInt8]?
        do { stored = try AtomicFile.readPrivate(state) } catch { throw .couldNotRun("--state \(error.description)") }
        guard let data = stored else { return run }
        do { run.state = try AuditState(bytes: data) } catch {
            let msg = Self.moveAside(state, because: error.description, at: startedAt)
            run.notes.append(msg.note)
            run.findings.append(msg.finding)
            if !options.quiet { console.note(msg.note) }
        }
        return run
    }

    /// Moves a corrupt state file aside (`STATE.corrupt-<time>`); the note and the finding that say so.
    static func moveAside(_ state: String, because reason: String, at time: Date) -> (note: String, finding: Finding) {
        let stamp = ISO8601DateFormatter().string(from: time).replacingOccurrences(of: ":", with: "")
        let aside = "\(state).corrupt-\(stamp)"
        let moved = rename(state, aside) == 0
        let msg =
            "the state file \(state) is corrupt (\(reason)); "
            + (moved ? "it was moved aside to \(aside)" : "it could not be moved aside") + " and changes start afresh"
        let finding = Finding(
            rule: "state-corrupt", policy: "hostaudit", title: "The previous run's state file was corrupt",
            severity: .low, status: .error,
            evidence: [.object(JSONObject([("kind", "file"), ("path", .string(state)), ("detail", .string(msg))]))],
            remediation: "Inspect \(aside); a truncated or hand-edited file is the usual cause.", detail: msg)
        return (msg, finding)
    }

    func saveState(_ current: AuditState) throws(AuditSessionError) {
        guard let state = options.state else { return }
        do {
            try AtomicFile.write(JSONWriter().document(current.json()), to: state)
        } catch { throw .couldNotRun("--state \(error.description)") }
    }

    // MARK: - Collection, probes, evaluation

    struct Gathered {
        var facts: JSONValue
        var collectorErrors: [Finding]
        var observations: EgressObservations
        var oracle: LiveEgressOracle
    }

    /// Collects every fact while probing (policies' targets, `--probe`, package
    /// sources) and, when probes are allowed, asking the name servers.
    func collectAndProbe(_ policies: PolicySet, console: some SessionConsole) async -> Gathered {
        let scope = options.scope
        let progress = options.quiet || !console.showsStatus ? nil : console
        var processOptions = ProcessCollectionOptions(cpuInterval: options.profile == .preDeploy ? 0 : 0.5, hiddenSweep: options.profile != .preDeploy)
        processOptions.signatures = options.signatures.scanOptions(policies: policies.library.policies)
        let collection = AuditCollection(
            scope: scope, processOptions: processOptions, budget: Self.env("HOSTAUDIT_COLLECTOR_BUDGET_S").flatMap(Double.init) ?? 30)
        progress?.status("collecting facts…")
        var onProgress: (@Sendable (String) -> Void)?
        if let progress { onProgress = { progress.status($0) } }
        let oracle = LiveEgressOracle(scope: scope, timeout: options.timeout, progress: onProgress)
        let (targets, flows) = policies.engine.egressRequests(profile: options.profile)
        let probing = options.probing
        async let collected = collection.run()
        let plain = probing ? options.extraTargets + Self.packageTargets(scope: scope, already: targets) : []
        async let gathered = Self.gather(oracle: oracle, probing: probing, targets: targets, flows: flows, plain: plain)
        async let liveness: JSONValue? = probing ? ResolverLiveness.probe(scope: scope, timeout: options.timeout) : nil
        let (collectedDoc, collectorErrors) = await collected
        var factsDoc = collectedDoc
        let observations = await gathered
        if let live = await liveness { factsDoc.addResolverLiveness(live) }
        progress?.clearStatus()
        return Gathered(facts: factsDoc.json(), collectorErrors: collectorErrors, observations: observations, oracle: oracle)
    }

    static func gather(
        oracle: LiveEgressOracle, probing: Bool, targets: [PolicyEgressTarget], flows: [EgressFlow], plain: [EgressTarget]
    ) async -> EgressObservations {
        guard probing else { return await EgressObservations.gather(targets: [], flows: flows, from: oracle) }
        async let extra = oracle.probe(targets: plain)
        let obs = await EgressObservations.gather(targets: targets, flows: flows, from: oracle)
        _ = await extra
        return obs
    }

    /// Package sources, unless a policy already probes them.
    static func packageTargets(scope: CollectionScope, already: [PolicyEgressTarget]) -> [EgressTarget] {
        if already.contains(.packageSources) { return [] }
        return PackageSourceReader(scope: scope).read().targets().targets
    }

    /// Every selected rule, once. Evaluation has its own budget within the run:
    /// every regex match is bounded, and past the deadline a rule still
    /// matching becomes an error. Without probes, `reachable` rules are skipped
    /// saying so, while `blocked` rules are answered from the ruleset.
    func evaluate(_ engine: PolicyEngine, run: Gathered, startedAt: Date) -> [Finding] {
        let evalBudget = Self.env("HOSTAUDIT_EVAL_BUDGET_S").flatMap(Double.init) ?? 30
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int64(evalBudget * 1000)))
        let start = ContinuousClock.now
        let findings = engine.evaluate(
            facts: run.facts, egress: run.observations, profile: options.profile, now: startedAt, deadline: deadline,
            probesSkipped: options.probing ? nil : "egress was not probed (--no-probes)")
        Diagnostics.audit.debug("evaluation: \(findings.count) findings in \(Diagnostics.milliseconds(since: start)) ms")
        return findings
    }

    /// Keeps the evidence high or critical findings name, before anything else
    /// happens to the host, and cites it in those findings; the report's note.
    func keepEvidence(directory dir: String, findings: inout [Finding]) throws(AuditSessionError) -> String {
        let requests = EvidenceSelection.requests(for: findings)
        let manifest: EvidenceManifest
        do { manifest = try EvidenceWriter(directory: dir, scope: options.scope).write(requests) } catch {
            throw .couldNotRun(error.description)
        }
        for i in findings.indices {
            findings[i].evidence += EvidenceSelection.reportEntries(
                manifest, directory: dir, cause: "\(findings[i].policy)/\(findings[i].rule)")
        }
        return "evidence: \(manifest.files.count) files (\(manifest.totalBytes) bytes) kept in \(dir), "
            + "\(manifest.skipped.count) skipped; see \(dir)/manifest.json"
    }

    // MARK: - Report

    /// Renders the report and writes it to `--output` (atomically) or standard
    /// output; with `--quiet`, only the changes since the last run.
    func deliver(_ report: AuditReport, facts: JSONValue, console: some SessionConsole) throws(AuditSessionError) {
        let colour = options.format == .text && options.output == nil && console.stdoutTakesColour
        let rendered = options.format.reporter(colour: colour).render(report, facts: facts)
        if let output = options.output {
            do { try AtomicFile.write(Array(rendered.utf8), to: output) } catch { throw .couldNotRun("--output \(error.description)") }
        } else if !options.quiet {
            console.write(rendered, allowingColour: colour)
        }
        if options.quiet, let c = report.changes, !c.isEmpty {
            console.write("hostaudit: changes since the last run:\n" + AuditChangesRenderer.lines(c), allowingColour: false)
        }
    }
}
