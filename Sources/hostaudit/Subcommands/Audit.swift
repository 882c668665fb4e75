import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

enum AuditFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, jsonl, junit, prometheus, html
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Collect every fact, run the policies, probe egress and report.",
        discussion: """
            Profiles: post-compromise (every compromise indicator, the egress story first), \
            pre-deploy (baseline and egress expectations; JUnit for CI), cron (with --quiet and \
            --state: only what changed since the last run). Without --policy the shipped policies \
            are used: $HOSTAUDIT_POLICIES, else ../share/hostaudit/policies next to the binary, \
            else Policies/ of the checkout the binary was built in.

            --output and --state are written atomically; --state is locked (STATE.lock) so two \
            runs never interleave: the second waits up to 10 s, then exits 3.

            Exit status: 0 nothing at or above --fail-on failed; 1 something did; 2 a policy \
            does not load; 3 could not run (unwritable output, a held lock); 64 misuse.
            """
    )

    @Option(help: "Which rules to run: post-compromise, pre-deploy or cron (default: every rule).")
    var profile: ProfileOption?

    @Option(name: .customLong("policy"), help: ArgumentHelp("A policy file or folder (repeatable).", valueName: "PATH"))
    var policies: [String] = []

    @Flag(name: .customLong("no-probes"), help: "Send no traffic: rules that need a probe are skipped.")
    var noProbes = false

    @Option(name: .customLong("probe"), help: ArgumentHelp("Also probe this target (repeatable).", valueName: "TARGET"))
    var probes: [String] = []

    @OptionGroup var rootOption: RootOption

    @Option(help: "Report format.")
    var format: AuditFormat = .text

    @Option(help: ArgumentHelp("Write the report to FILE (atomically) instead of standard output.", valueName: "FILE"))
    var output: String?

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding at or above this severity fails.")
    var failOn: SeverityOption = .high

    @Option(help: ArgumentHelp("The previous run's findings; the report adds new and resolved ones.", valueName: "FILE"))
    var state: String?

    @Flag(help: "Print only the changes since the last run (with --state); no progress.")
    var quiet = false

    @Option(name: .customLong("timeout"), help: ArgumentHelp("Seconds to wait for each probe.", valueName: "SECONDS"))
    var timeout: Double = 3.5

    @OptionGroup var signatureOption: SignatureOption

    @OptionGroup var evidenceOption: EvidenceOption

    func validate() throws {
        for t in probes {
            do { _ = try EgressTargetParser.parse(t) } catch { throw ValidationError(error.description) }
        }
        if noProbes && !probes.isEmpty { throw ValidationError("--probe and --no-probes contradict each other.") }
        guard timeout.isFinite, timeout > 0, timeout <= 600 else {
            throw ValidationError("--timeout must be more than 0 and at most 600 seconds.")
        }
    }

    static func env(_ k: String) -> String? { ProcessInfo.processInfo.environment[k] }

    /// The shipped policies: $HOSTAUDIT_POLICIES, ../share/hostaudit/policies, or the checkout's Policies/.
    static func defaultPolicies() -> String? {
        let fm = FileManager.default
        if let p = env("HOSTAUDIT_POLICIES"), !p.isEmpty { return p }
        let exe = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let binDir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        let share = binDir.appendingPathComponent("../share/hostaudit/policies").standardized.path
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: share, isDirectory: &isDir), isDir.boolValue { return share }
        var dir = binDir
        while dir.path != "/" {
            if fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path),
                fm.fileExists(atPath: dir.appendingPathComponent("Policies").path, isDirectory: &isDir), isDir.boolValue
            {
                return dir.appendingPathComponent("Policies").path
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    func fail(_ message: String) -> ExitCode {
        Output.error("hostaudit: " + TerminalText.escape(message))
        return ExitStatus.couldNotRun
    }

    func run() async throws {
        let clock = ContinuousClock()
        let startInstant = clock.now
        let startedAt = Date()
        let scope = try Facts.scope(for: rootOption.root)
        let profile = self.profile?.profile

        // Policies: load errors exit 2 with file:line:column.
        var paths = policies
        if paths.isEmpty {
            guard let p = Self.defaultPolicies() else {
                throw fail("no policies: give --policy PATH, set HOSTAUDIT_POLICIES, or install them in ../share/hostaudit/policies")
            }
            paths = [p]
        }
        let engine = try Self.engine(paths: paths, scope: scope)

        // Fail before the long work when the output cannot be written.
        if let output {
            do { try AtomicFile.checkWritable(output) } catch { throw fail("--output \(error.description)") }
            AtomicFile.sweepStale(for: output)
        }

        // The state lock is held for the whole run.
        var lock: StateLock?
        var notes: [String] = []
        var extraFindings: [Finding] = []
        var previous: AuditState?
        if let state {
            do {
                try AtomicFile.checkWritable(state)
                try AtomicFile.checkPrivate(state)
            } catch { throw fail("--state \(error.description)") }
            let wait = Self.env("HOSTAUDIT_LOCK_TIMEOUT_S").flatMap(Double.init) ?? 10
            do {
                lock = try StateLock.acquire(statePath: state, timeout: wait)
            } catch { throw fail("--state \(error.description)") }
            guard lock != nil else {
                throw fail(
                    "another hostaudit run holds the lock \(state).lock; waited \(AuditCollection.format(wait)) s. "
                        + "Nothing was written; try again when it has finished.")
            }
            AtomicFile.sweepStale(for: state)
            let stored: [UInt8]?
            do { stored = try AtomicFile.readPrivate(state) } catch { throw fail("--state \(error.description)") }
            if let data = stored {
                do { previous = try AuditState(bytes: data) } catch {
                    let stamp = ISO8601DateFormatter().string(from: startedAt).replacingOccurrences(of: ":", with: "")
                    let aside = "\(state).corrupt-\(stamp)"
                    let moved = rename(state, aside) == 0
                    let msg =
                        "the state file \(state) is corrupt (\(error.description)); "
                        + (moved ? "it was moved aside to \(aside)" : "it could not be moved aside") + " and changes start afresh"
                    notes.append(msg)
                    extraFindings.append(
                        Finding(
                            rule: "state-corrupt", policy: "hostaudit", title: "The previous run's state file was corrupt",
                            severity: .low, status: .error,
                            evidence: [.object(JSONObject([("kind", "file"), ("path", .string(state)), ("detail", .string(msg))]))],
                            remediation: "Inspect \(aside); a truncated or hand-edited file is the usual cause.", detail: msg))
                    if !quiet { Output.error("hostaudit: note: " + TerminalText.escape(msg)) }
                }
            }
        }

        // Collect and probe concurrently.
        let progress = quiet ? nil : Progress.forStandardError()
        let sweep = profile != .preDeploy
        var processOptions = ProcessCollectionOptions(cpuInterval: profile == .preDeploy ? 0 : 0.5, hiddenSweep: sweep)
        processOptions.signatures = signatureOption.scanOptions(policyPaths: paths)
        let collection = AuditCollection(
            scope: scope,
            processOptions: processOptions,
            budget: Self.env("HOSTAUDIT_COLLECTOR_BUDGET_S").flatMap(Double.init) ?? 30)
        progress?.show("collecting facts…")
        var onProgress: (@Sendable (String) -> Void)?
        if let progress { onProgress = { progress.show($0) } }
        let oracle = LiveEgressOracle(scope: scope, timeout: timeout, progress: onProgress)
        let (reachableIDs, otherIDs) = engine.ruleIDs(profile: profile)
        let (targets, flows) = engine.egressRequests(profile: profile)
        let extra = probes.compactMap { try? EgressTargetParser.parse($0) }
        let probing = !noProbes
        async let collected = collection.run()
        let plainTargets = probing ? extra + Self.packageTargets(scope: scope, already: targets) : []
        async let gathered = Self.gather(oracle: oracle, probing: probing, targets: targets, flows: flows, plain: plainTargets)
        // Name-server liveness (only when probes are allowed: it sends DNS queries).
        async let liveness: JSONValue? = probing ? Self.liveness(scope: scope, timeout: timeout) : nil
        let (factsDoc, collectorErrors) = await collected
        let observations = await gathered
        let live = await liveness
        progress?.clear()

        var findings: [Finding]
        var facts = factsDoc.json()
        if let live, case .object(var doc) = facts, case .object(var resolver)? = doc["resolver"] {
            resolver["liveness"] = live
            doc["resolver"] = .object(resolver)
            facts = .object(doc)
        }
        // Evaluation has its own budget within the run: every regex match is
        // bounded, and past the deadline a rule still matching becomes an error.
        let evalBudget = Self.env("HOSTAUDIT_EVAL_BUDGET_S").flatMap(Double.init) ?? 30
        let deadline = clock.now.advanced(by: .milliseconds(Int64(evalBudget * 1000)))
        if probing {
            findings = engine.evaluate(facts: facts, egress: observations, profile: profile, now: startedAt, deadline: deadline)
        } else {
            findings = engine.evaluate(
                facts: facts, egress: observations, profile: profile, now: startedAt, only: otherIDs, deadline: deadline)
            let skipped = engine.evaluate(
                facts: facts, egress: nil, profile: profile, now: startedAt, only: reachableIDs, deadline: deadline)
            for var f in skipped where f.rule != "waiver-expired" || f.policy != "waivers" {
                if f.status == .skip, f.detail == "egress was not probed" { f.detail = "egress was not probed (--no-probes)" }
                findings.append(f)
            }
        }
        findings = collectorErrors + extraFindings + findings
        if let dir = evidenceOption.directory {
            // Evidence before anything else: the processes and files high or critical findings name.
            let requests = EvidenceOption.requests(for: findings)
            do {
                let manifest = try EvidenceWriter(directory: dir, scope: scope).write(requests)
                for i in findings.indices {
                    findings[i].evidence += EvidenceOption.reportEntries(
                        manifest, directory: dir, cause: "\(findings[i].policy)/\(findings[i].rule)")
                }
                notes.append(
                    "evidence: \(manifest.files.count) files (\(manifest.totalBytes) bytes) kept in \(dir), "
                        + "\(manifest.skipped.count) skipped; see \(dir)/manifest.json")
            } catch { throw fail(error.description) }
        }
        let egress = EgressStory.link(oracle.results, findings: findings)

        let hostInfo = Self.host(scope: scope)
        let durationMs = Int((clock.now - startInstant) / .milliseconds(1))
        var report = AuditReport(
            host: AuditHost(hostname: hostInfo.0, kernel: hostInfo.1, startedAt: startedAt, durationMs: durationMs),
            profile: profile, findings: findings, egress: egress, notes: notes, failOn: failOn.severity)
        let current = AuditState(findings: findings, savedAt: startedAt)
        if state != nil { report.changes = (previous ?? AuditState(failing: [], savedAt: startedAt)).changes(to: current) }

        let colour = format == .text && output == nil && Output.isTerminal(STDOUT_FILENO) && Self.env("NO_COLOR") == nil
            && Self.env("TERM") != "dumb"
        let rendered: String
        switch format {
        case .text: rendered = AuditTextRenderer(colour: colour).render(report)
        case .json: rendered = JSONWriter().string(report.json()) + "\n"
        case .junit: rendered = AuditJUnitRenderer.render(report)
        case .prometheus: rendered = AuditPrometheusRenderer.render(report, now: Date())
        case .jsonl: rendered = AuditJSONLinesRenderer.render(report, runID: AuditJSONLinesRenderer.newRunID())
        case .html: rendered = HTMLReportRenderer.render(report: report.json(), facts: facts)
        }
        if let output {
            do { try AtomicFile.write(Array(rendered.utf8), to: output) } catch { throw fail("--output \(error.description)") }
        } else if !quiet {
            Output.write(rendered, allowingColour: colour)
        }
        if quiet, let c = report.changes, !c.isEmpty {
            Output.write("hostaudit: changes since the last run:\n" + AuditChangesRenderer.lines(c))
        }
        if let state {
            do {
                try AtomicFile.write(JSONWriter().bytes(current.json()) + [UInt8(ascii: "\n")], to: state)
            } catch { throw fail("--state \(error.description)") }
        }
        withExtendedLifetime(lock) {}
        if report.failed { throw ExitStatus.failed }
    }

    /// `resolver.liveness`: each effective name server asked for the root's NS
    /// records, and whether any answered.
    static func liveness(scope: CollectionScope, timeout: Double) async -> JSONValue {
        let servers = ResolverCollector(scope: scope).collect().glibcNameservers
        let results = await Task.detached { DNSProber(timeout: min(timeout, 3)).liveness(servers: servers) }.value
        let items: [JSONValue] = results.map { r in
            .object(
                JSONObject([
                    ("server", .string(r.server)), ("status", .string(r.status.rawValue)),
                    ("elapsed_ms", r.queries.first.map { .double(($0.elapsedMs * 10).rounded() / 10) } ?? .null),
                ]))
        }
        return .object(
            JSONObject([
                ("answering", .bool(results.contains { r in r.queries.contains { $0.rcode != nil || $0.status.isAnswer } })), ("servers", .array(items)),
            ]))
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

    /// Hostname and kernel: the running host's, or the image's /etc/hostname with --root (kernel unknown).
    static func host(scope: CollectionScope) -> (String?, String?) {
        if !scope.isLive {
            // Through the confined reader: a link in the image stays in the image,
            // a FIFO or a 1 GiB file is refused or cut (a hostname is at most 64 bytes).
            guard let c = try? HostFiles(scope: scope).read("/etc/hostname", limit: 4096) else { return (nil, nil) }
            let line = c.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).first ?? []
            let name = TerminalText.decode(line).trimmingCharacters(in: .whitespaces)
            return (name.isEmpty ? nil : name, nil)
        }
        var u = utsname()
        uname(&u)
        func str<T>(_ t: T) -> String {
            withUnsafeBytes(of: t) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return (str(u.nodename), str(u.release))
    }

    /// Loads and compiles the policies with their waivers and parameters (exit 2 on problems).
    static func engine(paths: [String], scope: CollectionScope) throws -> PolicyEngine {
        let lib = try PolicyCommand.loadOrExit(paths)
        let loader = PolicyLoader()
        var waivers: [Waiver] = []
        for file in lib.waiverFiles {
            if case .success(let w) = loader.loadWaivers(path: file, policies: lib.policies) { waivers += w }
        }
        var overrides = ParameterOverrides()
        var loaded: [(file: String, result: Result<ParameterOverrides, PolicyErrors>)] = lib.parameterFiles.map {
            ($0, loader.loadParameters(path: $0, policies: lib.policies))
        }
        if loaded.isEmpty {
            // The host's (or the image's) own overrides, read through the confined
            // reader below --root, with the loader's size limit.
            let files = HostFiles(scope: scope)
            let display = (scope.isLive ? "" : scope.root) + "/etc/hostaudit/params.yaml"
            if files.exists("/etc/hostaudit/params.yaml") {
                do {
                    let c = try files.read("/etc/hostaudit/params.yaml", limit: PolicyLoader.maxFileSize + 1)
                    if c.truncated || c.bytes.count > PolicyLoader.maxFileSize {
                        loaded.append((display, .failure(PolicyErrors([PolicyLoader.tooLarge(display)]))))
                    } else {
                        loaded.append((display, loader.loadParameters(bytes: c.bytes, file: display, policies: lib.policies)))
                    }
                } catch {
                    let e = PolicyError(file: display, line: 1, column: 1, kind: .unreadable, message: "cannot be read: \(error)")
                    loaded.append((display, .failure(PolicyErrors([e]))))
                }
            }
        }
        for (_, result) in loaded {
            switch result {
            case .success(let o): overrides.values.merge(o.values) { $1 }
            case .failure(let e):
                for x in e.errors { Output.error(TerminalText.escape(x.description)) }
                throw ExitStatus.invalidPolicy
            }
        }
        do {
            return try PolicyEngine(policies: lib.policies, parameters: overrides, waivers: waivers)
        } catch {
            for x in error.errors { Output.error(TerminalText.escape(x.description)) }
            throw ExitStatus.invalidPolicy
        }
    }
}
