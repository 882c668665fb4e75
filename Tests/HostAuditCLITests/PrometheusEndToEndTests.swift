import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

/// The textfile collector path end to end, with Debian's own programs: the
/// test starts `prometheus-node-exporter` (textfile collector on a temporary
/// folder) and `prometheus` (scraping it every second, the shipped alert
/// rules loaded) on 127.0.0.1 ports it picks. A report with a critical
/// failure makes `HostauditCriticalFinding` fire; a clean report resolves it.
/// Both programs are killed at the end; nothing of the machine's is touched.
@Suite(.requiresTools("prometheus", "prometheus-node-exporter", "curl"), .serialized)
struct PrometheusEndToEndTests {
    final class Daemon {
        let process = Process()
        let log: String
        init(_ args: [String], log: String) throws {
            self.log = log
            FileManager.default.createFile(atPath: log, contents: nil)
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.executableURL = URL(fileURLWithPath: args[0])
            process.arguments = Array(args.dropFirst())
            process.standardOutput = h
            process.standardError = h
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        func stop() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        var output: String { (try? String(contentsOfFile: log, encoding: .utf8)).map { String($0.suffix(3000)) } ?? "" }
    }

    static func get(_ url: String) -> [String: Any]? {
        guard let r = try? CommandRunner.run(["curl", "-sf", "--max-time", "2", url], timeout: 10), r.status == 0 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    }

    /// Polls `condition` every 250 ms for at most `seconds`.
    static func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(250_000)
        }
        return condition()
    }

    static func alertState(_ base: String, _ name: String) -> String? {
        guard let doc = get(base + "/api/v1/alerts"), let data = doc["data"] as? [String: Any],
            let alerts = data["alerts"] as? [[String: Any]]
        else { return nil }
        let states = alerts.filter { ($0["labels"] as? [String: Any])?["alertname"] as? String == name }.compactMap { $0["state"] as? String }
        return states.contains("firing") ? "firing" : states.first ?? "inactive"
    }

    static func series(_ base: String, _ query: String) -> [[String: Any]]? {
        let q = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
        guard let doc = get(base + "/api/v1/query?query=" + q), let data = doc["data"] as? [String: Any] else { return nil }
        return data["result"] as? [[String: Any]]
    }

    @Test func criticalFindingFiresAndResolves() throws {
        let prometheus = try ExternalTools.require("prometheus", package: "prometheus")
        let exporter = try ExternalTools.require("prometheus-node-exporter", package: "prometheus-node-exporter")
        let dir = try Fixtures.temporaryDirectory("ha-prom-e2e")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let textfiles = dir + "/textfile"
        try FileManager.default.createDirectory(atPath: textfiles, withIntermediateDirectories: true)
        let exporterPort = try ExternalTools.freePort()
        let promPort = try ExternalTools.freePort()
        try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - \(Fixtures.packageRoot)/Scripts/prometheus/hostaudit.rules.yml
            scrape_configs:
              - job_name: node
                static_configs:
                  - targets: ['127.0.0.1:\(exporterPort)']

            """.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)

        let ne = try Daemon(
            [
                exporter, "--web.listen-address=127.0.0.1:\(exporterPort)", "--collector.disable-defaults",
                "--collector.textfile", "--collector.textfile.directory=\(textfiles)",
            ], log: dir + "/node-exporter.log")
        defer { ne.stop() }
        let prom = try Daemon(
            [
                prometheus, "--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/data",
                "--web.listen-address=127.0.0.1:\(promPort)", "--web.console.templates=\(dir)", "--web.console.libraries=\(dir)",
            ], log: dir + "/prometheus.log")
        defer { prom.stop() }
        let base = "http://127.0.0.1:\(promPort)"

        // A report with a critical failure (the ld.so.preload fixture), written the way cron writes it.
        let bad = try HostAuditCLI.run([
            "audit", "--root", Fixtures.root("persist-ldpreload"), "--no-probes", "--policy", AuditCLITests.policy,
            "--profile", "post-compromise", "--format", "prometheus", "--output", textfiles + "/hostaudit.prom",
        ])
        #expect(bad.status == 1, "\(bad)")

        let ingested = Self.waitFor(60) {
            (Self.series(base, "hostaudit_finding_failed{severity=\"critical\"}") ?? []).contains {
                ($0["metric"] as? [String: Any])?["rule"] as? String == "no-ld-preload"
            }
        }
        try #require(ingested, "series never appeared\nprometheus: \(prom.output)\nnode-exporter: \(ne.output)")
        #expect(Self.series(base, "hostaudit_last_run_timestamp_seconds")?.count == 1)
        let fired = Self.waitFor(60) { Self.alertState(base, "HostauditCriticalFinding") == "firing" }
        #expect(fired, "alert state \(Self.alertState(base, "HostauditCriticalFinding") ?? "nil")\n\(prom.output)")

        // A clean report (nothing fails) replaces the file: the alert resolves.
        let cleanRoot = dir + "/clean-root"
        try FileManager.default.createDirectory(atPath: cleanRoot + "/etc", withIntermediateDirectories: true)
        let clean = try HostAuditCLI.run([
            "audit", "--root", cleanRoot, "--no-probes", "--policy", Fixtures.path("policies/audit-lab/miners.yaml"),
            "--format", "prometheus", "--output", textfiles + "/hostaudit.prom",
        ])
        #expect(clean.status == 0, "\(clean)")
        #expect(!(try String(contentsOfFile: textfiles + "/hostaudit.prom", encoding: .utf8)).contains("hostaudit_finding_failed{"))
        let resolved = Self.waitFor(60) {
            let s = Self.alertState(base, "HostauditCriticalFinding")
            return s != nil && s != "firing" && s != "pending"
        }
        #expect(resolved, "still \(Self.alertState(base, "HostauditCriticalFinding") ?? "nil")")
    }
}
