import Foundation
import HostAuditTestSupport
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `hostaudit audit` on the built binary: golden files for every format,
/// exit codes, the state diff, the lock, corrupt state and kill -9 during a write.
@Suite struct AuditCLITests {
    static let policy = Fixtures.path("policies/audit")
    static let root = Fixtures.root("persist-ldpreload")
    static let cleanRoot = Fixtures.root("persist-clean")

    static func audit(_ extra: [String], root: String = root, environment: [String: String] = [:]) throws -> CommandResult {
        try HostAuditCLI.run(
            ["audit", "--root", root, "--no-probes", "--policy", policy, "--profile", "post-compromise"] + extra,
            environment: environment)
    }

    /// Replaces what differs between runs: times, durations, the checkout's path.
    static func normalise(_ s: String) -> String {
        var s = s.replacingOccurrences(of: Fixtures.packageRoot, with: "<PKG>")
        let rules: [(String, String)] = [
            (#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#, "<TIME>"),
            (#""duration_ms": \d+"#, #""duration_ms": 0"#),
            (#", \d+ ms\n"#, ", 0 ms\n"),
            (#"time="[0-9.]+""#, #"time="0""#),
            (#"hostaudit_last_run_timestamp_seconds [0-9.]+"#, "hostaudit_last_run_timestamp_seconds 0"),
            (#"hostaudit_run_duration_seconds [0-9.]+"#, "hostaudit_run_duration_seconds 0"),
        ]
        for (pattern, with) in rules {
            s = s.replacingOccurrences(of: pattern, with: with, options: .regularExpression)
        }
        return s
    }

    static func golden(_ name: String, _ actual: String) throws {
        let path = Fixtures.path("audit-golden/" + name)
        let text = normalise(actual)
        if ProcessInfo.processInfo.environment["HOSTAUDIT_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == expected, "golden \(name) differs; regenerate with HOSTAUDIT_UPDATE_GOLDEN=1")
    }

    @Test(arguments: ["text", "json", "junit", "prometheus"])
    func goldenFormats(format: String) throws {
        let r = try Self.audit(["--format", format])
        #expect(r.status == 1, "\(r)")
        let ext = ["text": "txt", "json": "json", "junit": "xml", "prometheus": "prom"][format]!
        try Self.golden("ldpreload.\(ext)", r.stdout)
    }

    @Test func jsonFollowsTheContract() throws {
        let r = try Self.audit(["--format", "json"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(r.stdout.hasPrefix("{\n  \"schema\": \"hostaudit.report/v1\""))
        let host = try #require(doc["host"] as? [String: Any])
        #expect(Set(host.keys).isSuperset(of: ["hostname", "kernel", "started_at", "duration_ms"]))
        #expect(doc["profile"] as? String == "post-compromise")
        let findings = try #require(doc["findings"] as? [[String: Any]])
        let byRule = Dictionary(uniqueKeysWithValues: findings.map { ($0["rule"] as! String, $0) })
        #expect(byRule["no-ld-preload"]?["status"] as? String == "fail")
        #expect(byRule["no-ld-preload"]?["severity"] as? String == "critical")
        #expect(byRule["mirror-reachable"]?["status"] as? String == "skip")
        #expect((byRule["mirror-reachable"]?["detail"] as? String)?.contains("--no-probes") == true)
        let summary = try #require(doc["summary"] as? [String: Any])
        #expect(summary["fail"] as? Int == 3)
        #expect((summary["by_severity"] as? [String: Any])?["critical"] as? Int == 1)
        #expect(doc["changes"] == nil)
    }

    final class JUnitCounter: NSObject, XMLParserDelegate {
        var suites: [String] = []
        var cases = 0
        var failures = 0
        var failureText = ""
        var inFailure = false
        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            switch name {
            case "testsuite": suites.append(attributes["name"] ?? "")
            case "testcase": cases += 1
            case "failure":
                failures += 1
                inFailure = true
            default: break
            }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "failure" { inFailure = false }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if inFailure { failureText += string } }
    }

    @Test func junitParses() throws {
        let r = try Self.audit(["--format", "junit"])
        let parser = XMLParser(data: Data(r.stdout.utf8))
        let counter = JUnitCounter()
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(counter.suites == ["audit-persistence", "audit-resolver"])
        #expect(counter.cases == 5)
        #expect(counter.failures == 3)
        #expect(counter.failureText.contains("ld.so preloads libprocesshider.so"))
    }

    @Test func prometheusFollowsTheExpositionGrammar() throws {
        let r = try Self.audit(["--format", "prometheus"])
        let sample = #"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")*\})? -?[0-9.eE+-]+$"#
        var typed = Set<String>()
        for line in r.stdout.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                typed.insert(String(line.split(separator: " ")[2]))
            } else if line.hasPrefix("# HELP ") {
                continue
            } else {
                #expect(line.range(of: sample, options: .regularExpression) != nil, "\(line)")
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                #expect(typed.contains(name), "\(name) has no TYPE line before it")
            }
        }
        for m in ["hostaudit_findings", "hostaudit_finding_failed", "hostaudit_egress_open",
            "hostaudit_last_run_timestamp_seconds", "hostaudit_run_duration_seconds"]
        {
            #expect(typed.contains(m))
        }
        #expect(r.stdout.contains(#"hostaudit_finding_failed{rule="no-ld-preload",severity="critical""#))
        #expect(r.stdout.contains(#"hostaudit_findings{severity="critical",status="fail"} 1"#))
    }

    @Test(arguments: [("critical", 1), ("high", 1), ("low", 1), ("info", 1)])
    func failOnFailing(level: String, status: Int32) throws {
        let r = try Self.audit(["--format", "json", "--fail-on", level])
        #expect(r.status == status, "\(r)")
    }

    @Test(arguments: ["text", "json", "junit", "prometheus"], ["post-compromise", "pre-deploy", "cron"])
    func exitCodesInEveryProfileAndFormat(format: String, profile: String) throws {
        // pre-deploy leaves out the critical preload rule: only a medium failure remains.
        let expected: Int32 = profile == "pre-deploy" ? 0 : 1
        let dir = try Fixtures.temporaryDirectory("ha-audit-exit")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let toStdout = try Self.audit(["--format", format, "--profile", profile])
        #expect(toStdout.status == expected, "\(toStdout)")
        let toFile = try Self.audit(["--format", format, "--profile", profile, "--output", dir + "/r", "--state", dir + "/s", "--quiet"])
        #expect(toFile.status == expected, "\(toFile)")
        #expect(FileManager.default.fileExists(atPath: dir + "/r"))
        let medium = try Self.audit(["--format", format, "--profile", profile, "--fail-on", "medium"])
        #expect(medium.status == 1)
    }

    @Test func failOnAboveEveryFailureExits0() throws {
        // The clean root: only the low resolver rule fails.
        let r = try Self.audit(["--fail-on", "medium"], root: Self.cleanRoot)
        #expect(r.status == 0, "\(r)")
        let low = try Self.audit(["--fail-on", "low"], root: Self.cleanRoot)
        #expect(low.status == 1, "\(low)")
    }

    @Test func invalidPolicyExits2WithLocation() throws {
        let r = try HostAuditCLI.run(
            ["audit", "--no-probes", "--root", Self.root, "--policy", Fixtures.path("policies/invalid/unknown-path.yaml")])
        #expect(r.status == 2, "\(r)")
        #expect(r.stderr.contains("unknown-path.yaml:8:28: error:"))
    }

    @Test func unwritableOutputExits3() throws {
        let r = try Self.audit(["--output", "/nonexistent-dir/report.json"])
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.contains("/nonexistent-dir"))
        let misuse = try HostAuditCLI.run(["audit", "--format", "yaml"])
        #expect(misuse.status == 64)
    }

    @Test func outputFileIsWrittenAndStateDiffs() throws {
        let dir = try Fixtures.temporaryDirectory("ha-audit-state")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = dir + "/state.json"
        let out = dir + "/audit.prom"

        let first = try Self.audit(["--state", state, "--format", "json"])
        #expect(first.status == 1)
        let changes1 = try #require(
            (try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])?["changes"] as? [String: Any])
        #expect((changes1["new"] as? [Any])?.count == 3)
        #expect((changes1["resolved"] as? [Any])?.count == 0)

        // The clean root: the two preload rules resolved, nothing new; --quiet prints only that.
        let second = try Self.audit(
            ["--state", state, "--format", "prometheus", "--output", out, "--quiet", "--profile", "cron"], root: Self.cleanRoot)
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout.contains("RESOLVED critical audit-persistence/no-ld-preload"))
        #expect(second.stdout.contains("RESOLVED medium audit-persistence/preload-file-absent"))
        #expect(!second.stdout.contains("NEW"))
        #expect(second.stdout.split(separator: "\n").count == 3)
        let prom = try String(contentsOfFile: out, encoding: .utf8)
        #expect(prom.contains("hostaudit_run_duration_seconds"))

        // Unchanged: --quiet prints nothing at all.
        let third = try Self.audit(["--state", state, "--quiet", "--profile", "cron"], root: Self.cleanRoot)
        #expect(third.stdout.isEmpty, "\(third)")

        let fourth = try Self.audit(["--state", state, "--quiet"])
        #expect(fourth.stdout.contains("NEW      critical audit-persistence/no-ld-preload"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func corruptStateIsReportedAndSetAside() throws {
        let dir = try Fixtures.temporaryDirectory("ha-audit-corrupt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = dir + "/state.json"
        try "{\"schema\": \"hostaudit.state/v1\", \"failing\": [".write(toFile: state, atomically: true, encoding: .utf8)
        let r = try Self.audit(["--state", state, "--format", "json"])
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("\"rule\": \"state-corrupt\""))
        #expect(r.stdout.contains("moved aside to"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        let aside = try #require(files.first { $0.hasPrefix("state.json.corrupt-") })
        #expect(try String(contentsOfFile: dir + "/" + aside, encoding: .utf8).hasSuffix("["))
        // A fresh, valid state replaced it.
        let fresh = try String(contentsOfFile: state, encoding: .utf8)
        #expect(fresh.contains("hostaudit.state/v1") && fresh.contains("no-ld-preload"))
    }

    static func start(_ args: [String], environment: [String: String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: HostAuditCLI.binaryPath)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func waitFor(_ timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    @Test func concurrentRunsSecondWaitsThenExits3() throws {
        let dir = try Fixtures.temporaryDirectory("ha-audit-lock")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = dir + "/state.json"
        // The first run holds the lock for ~4 s (paused inside its state write).
        let first = try Self.start(
            ["audit", "--root", Self.root, "--no-probes", "--policy", Self.policy, "--state", state, "--quiet"],
            environment: ["HOSTAUDIT_TEST_PAUSE_BEFORE_RENAME_MS": "4000"])
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        #expect(Self.waitFor(20) { (try? FileManager.default.contentsOfDirectory(atPath: dir))?.contains { $0.contains(".tmp-") } == true })
        let started = Date()
        let second = try Self.audit(["--state", state], environment: ["HOSTAUDIT_LOCK_TIMEOUT_S": "1"])
        #expect(second.status == 3, "\(second)")
        #expect(Date().timeIntervalSince(started) >= 0.9)
        #expect(second.stderr.contains("another hostaudit run holds the lock"))
        #expect(second.stdout.isEmpty)
        // Within the default wait, a second run waits for the first and then runs.
        let third = try Self.audit(["--state", state, "--quiet"])
        #expect(third.status == 1, "\(third)")
        first.waitUntilExit()
        #expect(first.terminationStatus == 1)
    }

    @Test func killDuringStateWriteLeavesPreviousState() throws {
        let dir = try Fixtures.temporaryDirectory("ha-audit-kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = dir + "/state.json"
        let first = try Self.audit(["--state", state, "--quiet"])
        #expect(first.status == 1)
        let before = try Data(contentsOf: URL(fileURLWithPath: state))
        // A run whose state differs (clean root), killed between the complete temporary file and the rename.
        let victim = try Self.start(
            ["audit", "--root", Self.cleanRoot, "--no-probes", "--policy", Self.policy, "--state", state, "--quiet"],
            environment: ["HOSTAUDIT_TEST_PAUSE_BEFORE_RENAME_MS": "10000"])
        let sawTemp = Self.waitFor(20) {
            (try? FileManager.default.contentsOfDirectory(atPath: dir))?.contains { $0.contains(".tmp-") } == true
        }
        #expect(sawTemp)
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        #expect(victim.terminationReason == .uncaughtSignal)
        let after = try Data(contentsOf: URL(fileURLWithPath: state))
        #expect(after == before)
        // The next run reads it as valid state (no corrupt note) and diffs against it.
        let next = try Self.audit(["--state", state, "--quiet"], root: Self.cleanRoot)
        #expect(!next.stderr.contains("corrupt"), "\(next)")
        #expect(next.stdout.contains("RESOLVED critical audit-persistence/no-ld-preload"))
    }
}
