import Foundation
import HostAuditTestSupport
import Testing

/// The shipped playbooks with Debian's ansible-core against two inventory
/// hosts that are both this machine (connection local), each auditing a
/// different fixture root with `--no-probes` (no traffic). Everything goes
/// into a temporary prefix and report folder; the systemd units are written
/// to a temporary folder and systemd is never asked (manage_services=false).
/// Both playbooks are run twice: the second run changes nothing; then one
/// host's root gains an ld.so.preload and only that host reports a change.
@Suite(.requiresTools("ansible-playbook"), .serialized)
struct AnsibleTests {
    static let scripts = Fixtures.packageRoot + "/Scripts/ansible"

    static func playbook(_ name: String, inventory: String, tmp: String, extra: [String]) throws -> CommandResult {
        var env = ProcessInfo.processInfo.environment
        env["ANSIBLE_LOCAL_TEMP"] = tmp + "/ansible-tmp"
        env["ANSIBLE_REMOTE_TEMP"] = tmp + "/ansible-tmp"
        env["ANSIBLE_NOCOLOR"] = "1"
        env["ANSIBLE_RETRY_FILES_ENABLED"] = "0"
        // Modules through stdin instead of a temporary file per task (the local connection supports it).
        env["ANSIBLE_PIPELINING"] = "1"
        env["ANSIBLE_HOME"] = tmp + "/ansible-home"
        env["ANSIBLE_CONFIG"] = tmp + "/none.cfg"
        var args = ["ansible-playbook", "-i", inventory, scripts + "/" + name]
        for e in extra { args += ["-e", e] }
        return try CommandRunner.run(args, environment: env, timeout: 900)
    }

    /// `changed=N` of every host in the play recap.
    static func changed(_ out: String) -> [String: Int] {
        var r: [String: Int] = [:]
        for line in out.split(separator: "\n") where line.contains(" : ok=") {
            let host = line.split(separator: " ").first.map(String.init) ?? "?"
            if let c = line.split(separator: " ").first(where: { $0.hasPrefix("changed=") }) { r[host] = Int(c.dropFirst(8)) }
        }
        return r
    }

    @Test func installIsIdempotentAndCollectSummarises() throws {
        let tmp = try Fixtures.temporaryDirectory("ha-ansible")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let policy = Fixtures.path("policies/audit")
        func args(_ root: String) -> String {
            "\"--no-probes --no-signatures --root \(root) --policy \(policy) --profile post-compromise\""
        }
        // Two inventory hosts on one machine: each gets its own prefix, state,
        // textfile and unit folders (as two real hosts would), so Ansible's
        // parallel forks never write the same file at once.
        func hostVars(_ host: String) -> String {
            let d = tmp + "/" + host
            return "hostaudit_prefix=\(d)/prefix hostaudit_state_dir=\(d)/state hostaudit_textfile_dir=\(d)/textfile hostaudit_systemd_dir=\(d)/systemd"
        }
        // `good` audits a copy of the clean root, so the test can change that host later.
        let goodRoot = tmp + "/good-root"
        _ = try CommandRunner.check(["cp", "-a", Fixtures.root("persist-clean"), goodRoot])
        try """
            [fleet]
            bad ansible_connection=local ansible_python_interpreter=/usr/bin/python3 \(hostVars("bad")) hostaudit_audit_args=\(args(Fixtures.root("persist-ldpreload")))
            good ansible_connection=local ansible_python_interpreter=/usr/bin/python3 \(hostVars("good")) hostaudit_audit_args=\(args(goodRoot))

            """.write(toFile: tmp + "/inventory", atomically: true, encoding: .utf8)
        let vars = ["hostaudit_binary_src=\(HostAuditCLI.binaryPath)", "hostaudit_manage_services=false"]
        for host in ["bad", "good"] {
            try FileManager.default.createDirectory(atPath: tmp + "/" + host + "/systemd", withIntermediateDirectories: true)
        }

        let first = try Self.playbook("install.yml", inventory: tmp + "/inventory", tmp: tmp, extra: vars)
        #expect(first.status == 0, "\(first)")
        #expect(Self.changed(first.stdout).values.reduce(0, +) > 0, "\(first.stdout)")
        for host in ["bad", "good"] {
            let d = tmp + "/" + host
            #expect(FileManager.default.isExecutableFile(atPath: d + "/prefix/bin/hostaudit"))
            #expect(FileManager.default.fileExists(atPath: d + "/prefix/share/hostaudit/policies/baseline.yaml"))
            #expect(FileManager.default.fileExists(atPath: d + "/prefix/share/hostaudit/policies/signatures/miners.yar"))
            // The policies' test fixtures are not installed.
            #expect(!FileManager.default.fileExists(atPath: d + "/prefix/share/hostaudit/policies/tests"))
            let service = try String(contentsOfFile: d + "/systemd/hostaudit.service", encoding: .utf8)
            #expect(service.contains("ExecStart=\(d)/prefix/bin/hostaudit audit --profile cron --quiet --state \(d)/state/state.json --format prometheus --output \(d)/textfile/hostaudit.prom"))
            #expect(FileManager.default.fileExists(atPath: d + "/systemd/hostaudit.timer"))
        }

        let second = try Self.playbook("install.yml", inventory: tmp + "/inventory", tmp: tmp, extra: vars)
        #expect(second.status == 0, "\(second)")
        #expect(Self.changed(second.stdout) == ["bad": 0, "good": 0], "\(second.stdout)")

        let reports = tmp + "/reports"
        func collect() throws -> CommandResult {
            try Self.playbook("collect.yml", inventory: tmp + "/inventory", tmp: tmp, extra: ["hostaudit_report_dir=\(reports)", "hostaudit_controller_bin=\(HostAuditCLI.binaryPath)"])
        }
        /// The summary's failing hosts of no-ld-preload and the rule's count.
        func preloadSummary() throws -> (bad: Bool, good: Bool, count: Int?) {
            let data = try #require(FileManager.default.contents(atPath: reports + "/summary.json"))
            let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let hosts = try #require(doc["hosts"] as? [[String: Any]])
            #expect(hosts.count == 2, "\(hosts)")
            #expect((doc["problems"] as? [Any])?.isEmpty == true, "\(doc["problems"] ?? "")")
            func fails(_ name: String) throws -> Bool {
                let h = try #require(hosts.first { ($0["file"] as? String)?.hasSuffix("/\(name).json") == true })
                return (h["failing"] as? [String])?.contains("audit-persistence/no-ld-preload") == true
            }
            let rules = try #require(doc["rules"] as? [[String: Any]])
            let preload = rules.first { $0["rule"] as? String == "audit-persistence/no-ld-preload" }
            return (try fails("bad"), try fails("good"), preload?["count"] as? Int)
        }

        let firstCollect = try collect()
        #expect(firstCollect.status == 0, "\(firstCollect)")
        #expect(Self.changed(firstCollect.stdout).allSatisfy { $0.value > 0 }, "\(firstCollect.stdout)")
        for f in ["bad.json", "good.json", "summary.txt", "summary.json", "summary.html"] {
            #expect(FileManager.default.fileExists(atPath: reports + "/" + f), "\(f)")
        }
        // The summary counts the fixture hosts' failures: the ld.so.preload host fails no-ld-preload, the clean one does not.
        let before = try preloadSummary()
        #expect(before.bad && !before.good && before.count == 1, "\(before)")
        let badReport = try #require(FileManager.default.contents(atPath: reports + "/bad.json"))

        // Nothing changed on the hosts: a second collect changes nothing, the reports stay byte for byte.
        let secondCollect = try collect()
        #expect(secondCollect.status == 0, "\(secondCollect)")
        #expect(Self.changed(secondCollect.stdout) == ["bad": 0, "good": 0, "localhost": 0], "\(secondCollect.stdout)")
        #expect(FileManager.default.contents(atPath: reports + "/bad.json") == badReport)

        // `good` now has an ld.so.preload: only that host changes, and the summary follows.
        try Fixtures.write("/usr/local/lib/libhide.so\n", to: "/etc/ld.so.preload", under: goodRoot)
        let thirdCollect = try collect()
        #expect(thirdCollect.status == 0, "\(thirdCollect)")
        let changed = Self.changed(thirdCollect.stdout)
        #expect(changed["bad"] == 0 && (changed["good"] ?? 0) > 0, "\(thirdCollect.stdout)")
        // The controller's summary changed with it.
        #expect((changed["localhost"] ?? 0) > 0, "\(thirdCollect.stdout)")
        #expect(FileManager.default.contents(atPath: reports + "/bad.json") == badReport)
        let after = try preloadSummary()
        #expect(after.bad && after.good && after.count == 2, "\(after)")
    }
}
