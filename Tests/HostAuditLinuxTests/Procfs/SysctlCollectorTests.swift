import Foundation
import HostAuditCore
import HostAuditLinux
import HostAuditTestSupport
import Testing

/// `kernel.sysctl` through the real collector: configuration files below a
/// fixture root (HostFiles: links stay inside the root), live values from a
/// procfs fixture tree.
@Suite struct SysctlCollectorFixtureTests {
    static func collect(root: String, proc: String? = nil) -> SysctlFacts {
        SysctlCollector(
            configScope: CollectionScope(root: Fixtures.root(root)), readLive: proc != nil,
            procfs: Procfs(root: proc.map { Fixtures.path("proc/" + $0) } ?? "/nonexistent")
        ).collect()
    }

    @Test func precedenceAcrossDirectories() throws {
        let f = Self.collect(root: "sysctl-hardened")
        // Same name: /etc/sysctl.d masks /usr/lib/sysctl.d; files by name; sysctl.conf once, through its 99- link.
        #expect(
            f.files == [
                "/usr/lib/sysctl.d/50-default.conf", "/etc/sysctl.d/60-network-hardening.conf", "/etc/sysctl.d/99-sysctl.conf",
            ])
        #expect(f.problems.isEmpty, "\(f.problems)")
        let fwd = try #require(f.settings.first { $0.key == "net.ipv4.ip_forward" })
        #expect(fwd.configured == "0" && fwd.configuredAt?.path == "/etc/sysctl.d/60-network-hardening.conf")
        #expect(fwd.configuredAt?.line == 2 && fwd.live == nil && fwd.drift == nil)
        // The vendor glob set 2; the explicit /etc line (written with '/') decides.
        let rp = try #require(f.settings.first { $0.key == "net.ipv4.conf.default.rp_filter" })
        #expect(rp.configured == "1" && rp.source == "explicit" && rp.overridden.first?.value == "2")
        let ar = try #require(f.settings.first { $0.key == "net.ipv4.conf.all.accept_redirects" })
        #expect(ar.configured == "0" && ar.configuredAt?.line == 9)
        #expect(!f.liveAvailable && f.drift == nil && f.effective.isEmpty)
    }

    @Test func hostileRootStaysInsideAndIsReported() throws {
        let f = Self.collect(root: "sysctl-hostile")
        // The absolute link resolves inside the root (nothing there): reported, never the host's /etc/shadow.
        #expect(f.problems.contains { $0.path == "/etc/sysctl.d/20-escape.conf" })
        #expect(!f.files.contains("/etc/sysctl.d/20-escape.conf"))
        #expect(f.problems.contains { $0.path == "/etc/sysctl.d/30-dir.conf" && $0.problem.contains("not a regular file") })
        #expect(f.problems.contains { $0.path == "/etc/sysctl.d/10-hostile.conf" && $0.line == 3 })
        // 10-hostile.conf sets ip_forward = 1 after 05-early.conf's 0.
        let fwd = try #require(f.settings.first { $0.key == "net.ipv4.ip_forward" })
        #expect(fwd.configured == "1" && fwd.overridden.map(\.path) == ["/etc/sysctl.d/05-early.conf"])
        // The line is cut at the NUL byte.
        #expect(f.settings.first { $0.key == "net.ipv4.tcp_syncookies" }?.configured == "1")
        // A key naming an interface with an escape sequence is kept byte-exact, and escaped in text.
        let evil = try #require(f.settings.first { $0.interface == "e\u{1b}\u{07}vil" && $0.name == "rp_filter" })
        #expect(evil.configured == "0")
        let text = FactsTextRenderer().render(FactsDocument(root: "/r", sections: [(.kernel, JSONValueEncoder().encodeValue(KernelFacts.unavailable("x", sysctl: f)))]).json())
        #expect(!text.contains("\u{1b}"))
        #expect(f.settings.first { $0.key == "net.ipv4.conf.default.log_martians" }?.source == "excluded")
    }

    @Test func liveValuesFromProcfsAndEffectivePerInterface() throws {
        let f = Self.collect(root: "sysctl-hardened", proc: "sysctl-net")
        #expect(f.liveAvailable && f.errors.isEmpty, "\(f.errors)")
        let v4 = Set(f.settings.filter { $0.family == "ipv4" }.compactMap(\.interface))
        #expect(v4 == ["all", "default", "lo", "eth0.100", "e\u{1b}[31mvil"])
        // A dot in an interface name is '/' in the dotted key.
        let dotted = try #require(f.settings.first { $0.key == "net.ipv4.conf.eth0/100.rp_filter" })
        #expect(dotted.live == "2" && dotted.interface == "eth0.100")
        func eff(_ family: String, _ iface: String, _ name: String) -> String? {
            f.effective.first { $0.family == family && $0.interface == iface && $0.name == name }?.effective
        }
        #expect(eff("ipv4", "eth0.100", "rp_filter") == "2")  // max(all 1, own 2)
        #expect(eff("ipv4", "lo", "rp_filter") == "1")  // max(all 1, own 0)
        #expect(eff("ipv4", "lo", "accept_redirects") == "1")  // OR (forwarding off): own 1
        #expect(eff("ipv6", "eth0.100", "accept_ra") == "1")  // forwarding on, accept_ra 2
        #expect(eff("ipv6", "lo", "accept_source_route") == "-1")  // min(all -1, own 0)
        // Drift: configured rp_filter 1 for default, live 0 there.
        let drift = try #require(f.drift)
        #expect(drift.contains { $0.key == "net.ipv4.conf.default.rp_filter" && $0.configured == "1" && $0.live == "0" })
        #expect(!drift.contains { $0.key == "net.ipv4.conf.all.rp_filter" })
    }
}

/// `facts kernel --sysctl-config-root`: the files come from DIR, the live values from this kernel.
@Suite struct SysctlConfigRootCLITests {
    @Test func configurationFromTheGivenTreeLiveFromThisKernel() throws {
        let r = try HostAuditCLI.run([
            "facts", "kernel", "--format", "json", "--sysctl-config-root", Fixtures.root("sysctl-hardened"),
        ])
        #expect(r.status == 0, "\(r)")
        let doc = try JSONValue(parsing: r.stdoutBytes)
        let files = doc.value(atPath: "kernel.sysctl.files")?.arrayValue?.compactMap(\.stringValue)
        #expect(files == ["/usr/lib/sysctl.d/50-default.conf", "/etc/sysctl.d/60-network-hardening.conf", "/etc/sysctl.d/99-sysctl.conf"])
        #expect(doc.value(atPath: "kernel.sysctl.live_available")?.boolValue == true)
        #expect(doc["root"]?.stringValue == "/")
    }

    @Test func aConfigRootThatIsNotADirectoryCannotRun() throws {
        let r = try HostAuditCLI.run(["facts", "kernel", "--sysctl-config-root", "/nonexistent-ha-root"])
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.contains("--sysctl-config-root /nonexistent-ha-root: not a directory"))
    }
}

/// The real kernel: sysctls set inside a network namespace the test creates,
/// the CLI run inside it against configuration files in a fixture root.
@Suite(.privileged) struct SysctlNamespaceTests {
    static func writeRoot(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ha-sysctl-\(getpid())-\(UUID().uuidString)").path
        for (path, text) in files {
            let full = dir + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        return dir
    }

    static func facts(_ ns: NetNamespace, root: String) throws -> JSONValue {
        let r = try HostAuditCLI.run(in: ns, ["facts", "kernel", "--format", "json", "--sysctl-config-root", root])
        #expect(r.status == 0, "\(r)")
        return try JSONValue(parsing: r.stdoutBytes)
    }

    static func driftKeys(_ doc: JSONValue) -> Set<String> {
        Set((doc.value(atPath: "kernel.sysctl.drift")?.arrayValue ?? []).compactMap { $0["key"]?.stringValue })
    }

    @Test func driftBothWaysAgainstTheNamespacesKernel() throws {
        let root = try Self.writeRoot([
            "/etc/sysctl.d/60-test.conf": """
                net.ipv4.ip_forward = 0
                net.ipv4.conf.all.rp_filter = 1
                net.ipv4.tcp_syncookies = 1
                net.ipv4.conf.*.log_martians = 1
                -net.ipv4.conf.lo.log_martians

                """
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        try NetNamespace.with(tag: "sysctl") { ns in
            try ns.check(["ip", "link", "add", "ha.v0", "type", "veth", "peer", "name", "ha1"])
            // Live differs both ways: forwarding on (configured off), rp_filter off (configured on); syncookies agree.
            try ns.check([
                "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.tcp_syncookies=1",
                "net.ipv4.conf.ha/v0.rp_filter=2", "net.ipv4.conf.ha/v0.log_martians=0", "net.ipv4.conf.ha1.log_martians=1",
                "net.ipv4.conf.lo.log_martians=0",
            ])
            let doc = try Self.facts(ns, root: root)
            #expect(doc.value(atPath: "kernel.sysctl.live_available")?.boolValue == true)
            let drift = Self.driftKeys(doc)
            #expect(drift.contains("net.ipv4.ip_forward"))  // configured 0, live 1
            #expect(drift.contains("net.ipv4.conf.all.rp_filter"))  // configured 1, live 0
            #expect(drift.contains("net.ipv4.conf.ha/v0.log_martians"))  // glob 1, live 0
            #expect(!drift.contains("net.ipv4.tcp_syncookies"))
            #expect(!drift.contains("net.ipv4.conf.ha1.log_martians"))
            #expect(!drift.contains("net.ipv4.conf.lo.log_martians"))  // excluded from the glob
            let effective = doc.value(atPath: "kernel.sysctl.effective")?.arrayValue ?? []
            let rp = effective.first { $0["interface"]?.stringValue == "ha.v0" && $0["name"]?.stringValue == "rp_filter" }
            #expect(rp?["effective"]?.stringValue == "2" && rp?["all"]?.stringValue == "0")

            // The pack reads the same facts: the drift rule fails, naming the file and line.
            let factsFile = root + "/facts.json"
            try JSONWriter().string(doc).write(toFile: factsFile, atomically: true, encoding: .utf8)
            let check = try HostAuditCLI.run([
                "policy", "check", Fixtures.packageRoot + "/Policies/network.yaml", "--facts", factsFile, "--format", "json",
                "--fail-on", "critical",
            ])
            let report = try JSONValue(parsing: check.stdoutBytes)
            let findings = report["findings"]?.arrayValue ?? []
            func status(_ rule: String) -> String? { findings.first { $0["rule"]?.stringValue == rule }?["status"]?.stringValue }
            #expect(status("network-sysctl-no-drift") == "fail", "\(check)")
            #expect(status("network-ip-forwarding-disabled") == "fail")
            #expect(status("network-rp-filter-enabled") == "fail")
            #expect(status("network-tcp-syncookies") == "pass")

            // Put the kernel back in line with the files: no drift.
            // (The glob also names conf.all and conf.default.)
            #expect(drift.contains("net.ipv4.conf.all.log_martians") == (doc.value(atPath: "kernel.sysctl.settings")?.arrayValue?.first {
                $0["key"]?.stringValue == "net.ipv4.conf.all.log_martians" }?["live"]?.stringValue != "1"))
            try ns.check([
                "sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.ha/v0.log_martians=1",
                "net.ipv4.conf.all.log_martians=1", "net.ipv4.conf.default.log_martians=1",
            ])
            let after = try Self.facts(ns, root: root)
            #expect(Self.driftKeys(after).isEmpty, "\(after.value(atPath: "kernel.sysctl.drift") ?? .null)")
        }
    }

    @Test func namespacesSeeTheirOwnValues() throws {
        let root = try Self.writeRoot(["/etc/sysctl.d/60-test.conf": "net.ipv4.tcp_syncookies = 1\n"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        try NetNamespace.with(tag: "sca") { a in
            try NetNamespace.with(tag: "scb") { b in
                try a.check(["sysctl", "-qw", "net.ipv4.tcp_syncookies=0"])
                try b.check(["sysctl", "-qw", "net.ipv4.tcp_syncookies=1"])
                #expect(Self.driftKeys(try Self.facts(a, root: root)) == ["net.ipv4.tcp_syncookies"])
                #expect(Self.driftKeys(try Self.facts(b, root: root)).isEmpty)
            }
        }
    }
}
