import Foundation
import HostAuditTestSupport
import Testing

/// The shipped playbooks with Debian's ansible-core against two inventory
/// hosts that are both this machine (connection local), each auditing a
/// different fixture root with `--no-probes` (no traffic). Everything goes
/// into a temporary prefix and report folder; the systemd units are written
/// to a temporary folder and systemd is never asked (manage_services=false).
@Suite(.requiresTools("ansible-playbook"), .serialized)
struct AnsibleTests {
    static let scripts = Fixtures.packageRoot + "/Scripts/ansible"

    static func playbook(_ name: String, inventory: String, tmp: String, extra: [String]) throws -> CommandResult {
        var env = ProcessInfo.processInfo.environment
        env["ANSIBLE_LOCAL_TEMP"] = tmp + "/ansible-tmp"
        env["ANSIBLE_REMOTE_TEMP"] = tmp + "/ansible-tmp"
        env["ANSIBLE_NOCOLOR"] = "1"
        env["ANSIBLE_RETRY_FILES_ENABLED"] = "0"
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
            "\"--no-probes --root \(Fixtures.root(root)) --policy \(policy) --profile post-compromise\""
        }
        // Two inventory hosts on one machine: each gets its own prefix, state,
        // textfile and unit folders (as two real hosts would), so Ansible's
        // parallel forks never write the same file at once.
        func hostVars(_ host: String) -> String {
            let d = tmp + "/" + host
            return "hostaudit_prefix=\(d)/prefix hostaudit_state_dir=\(d)/state hostaudit_textfile_dir=\(d)/textfile hostaudit_systemd_dir=\(d)/systemd"
        }
        try """
            [fleet]
            bad ansible_connection=local ansible_python_interpreter=/usr/bin/python3 \(hostVars("bad")) hostaudit_audit_args=\(args("persist-ldpreload"))
            good ansible_connection=local ansible_python_interpreter=/usr/bin/python3 \(hostVars("good")) hostaudit_audit_args=\(args("persist-clean"))

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
            let service = try String(contentsOfFile: d + "/systemd/hostaudit.service", encoding: .utf8)
            #expect(service.contains("ExecStart=\(d)/prefix/bin/hostaudit audit --profile cron --quiet --state \(d)/state/state.json --format prometheus --output \(d)/textfile/hostaudit.prom"))
            #expect(FileManager.default.fileExists(atPath: d + "/systemd/hostaudit.timer"))
        }

        let second = try Self.playbook("install.yml", inventory: tmp + "/inventory", tmp: tmp, extra: vars)
        #expect(second.status == 0, "\(second)")
        #expect(Self.changed(second.stdout) == ["bad": 0, "good": 0], "\(second.stdout)")

        let reports = tmp + "/reports"
        let collect = try Self.playbook("collect.yml", inventory: tmp + "/inventory", tmp: tmp, extra: ["hostaudit_report_dir=\(reports)"])
        #expect(collect.status == 0, "\(collect)")
        for f in ["bad.json", "good.json", "summary.txt", "summary.json", "summary.html"] {
            #expect(FileManager.default.fileExists(atPath: reports + "/" + f), "\(f)")
        }
        // The summary counts the fixture hosts' failures: the ld.so.preload host fails no-ld-preload, the clean one does not.
        let data = try #require(FileManager.default.contents(atPath: reports + "/summary.json"))
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let hosts = try #require(doc["hosts"] as? [[String: Any]])
        #expect(hosts.count == 2)
        let bad = try #require(hosts.first { ($0["file"] as? String)?.hasSuffix("/bad.json") == true })
        let good = try #require(hosts.first { ($0["file"] as? String)?.hasSuffix("/good.json") == true })
        #expect((bad["failing"] as? [String])?.contains("audit-persistence/no-ld-preload") == true, "\(bad)")
        #expect((good["failing"] as? [String])?.contains("audit-persistence/no-ld-preload") == false, "\(good)")
        #expect(bad["failed"] as? Bool == true)
        let rules = try #require(doc["rules"] as? [[String: Any]])
        let preload = rules.first { $0["rule"] as? String == "audit-persistence/no-ld-preload" }
        #expect(preload?["count"] as? Int == 1)
    }
}
