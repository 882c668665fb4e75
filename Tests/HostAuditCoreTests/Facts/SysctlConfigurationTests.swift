import HostAuditCore
import Testing

/// systemd-sysctl's reading of the configuration: later lines win, an
/// explicit key beats any glob, `-key` alone keeps globs off a key, both
/// separators, and hostile lines.
@Suite struct SysctlConfigurationTests {
    func config(_ files: [(String, String)]) -> (SysctlConfiguration, [FileProblem]) {
        var c = SysctlConfiguration()
        var problems: [FileProblem] = []
        for (path, text) in files { problems += c.add(file: path, bytes: Array(text.utf8)) }
        return (c, problems)
    }

    @Test func laterAssignmentWinsAndNamesItsLine() {
        let (c, _) = config([
            ("/usr/lib/sysctl.d/10-a.conf", "net.ipv4.ip_forward = 1\n"),
            ("/etc/sysctl.d/20-b.conf", "# comment\n; other comment\nnet.ipv4.ip_forward=0\n"),
        ])
        let r = c.resolve("net.ipv4.ip_forward")
        #expect(r.value == "0" && r.source == "explicit")
        #expect(r.decidedBy?.path == "/etc/sysctl.d/20-b.conf" && r.decidedBy?.line == 3)
        #expect(r.overridden.map(\.path) == ["/usr/lib/sysctl.d/10-a.conf"])
        #expect(r.overridden.first?.value == "1" && r.overridden.first?.line == 1)
    }

    @Test func slashAndDotSeparatorsAreTheSameKey() {
        let (c, _) = config([("/etc/sysctl.d/a.conf", "net/ipv4/conf/all/rp_filter = 2\nnet.ipv4.conf.eth0/100.rp_filter = 1\n")])
        #expect(c.resolve("net.ipv4.conf.all.rp_filter").value == "2")
        // A dot inside an interface name: written `/` in the dotted form, `.` in the slash form.
        let (d, _) = config([("/etc/sysctl.d/a.conf", "net/ipv4/conf/eth0.100/rp_filter = 0\n")])
        #expect(d.resolve(SysctlCatalog.confKey("ipv4", "eth0.100", "rp_filter")).value == "0")
        #expect(c.resolve(SysctlCatalog.confKey("ipv4", "eth0.100", "rp_filter")).value == "1")
    }

    @Test func explicitKeyBeatsGlobWhateverTheOrder() {
        let (c, _) = config([
            ("/etc/sysctl.d/10.conf", "net.ipv4.conf.eth0.rp_filter = 0\n"),
            ("/etc/sysctl.d/90.conf", "net.ipv4.conf.*.rp_filter = 2\n"),
        ])
        let eth0 = c.resolve("net.ipv4.conf.eth0.rp_filter")
        #expect(eth0.value == "0" && eth0.source == "explicit")
        #expect(eth0.overridden.first?.pattern == "net.ipv4.conf.*.rp_filter")
        let eth1 = c.resolve("net.ipv4.conf.eth1.rp_filter")
        #expect(eth1.value == "2" && eth1.source == "glob" && eth1.decidedBy?.pattern == "net.ipv4.conf.*.rp_filter")
        // A glob never crosses a separator.
        #expect(c.resolve("net.ipv4.conf.eth1.x.rp_filter").value == nil)
    }

    @Test func minusKeyAloneExcludesFromGlobs() {
        // systemd's own 50-default.conf pattern.
        let (c, problems) = config([
            ("/usr/lib/sysctl.d/50-default.conf",
             "net.ipv4.conf.default.rp_filter = 2\nnet.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\n")
        ])
        #expect(problems.isEmpty)
        let all = c.resolve("net.ipv4.conf.all.rp_filter")
        #expect(all.value == nil && all.source == "excluded" && all.decidedBy?.line == 3)
        #expect(c.resolve("net.ipv4.conf.eth0.rp_filter").value == "2")
        #expect(c.resolve("net.ipv4.conf.default.rp_filter").source == "explicit")
    }

    @Test func minusPrefixOnAnAssignmentIgnoresFailures() {
        let (c, _) = config([("/etc/sysctl.d/a.conf", "-net.ipv4.tcp_syncookies = 1\n")])
        let r = c.resolve("net.ipv4.tcp_syncookies")
        #expect(r.value == "1" && r.ignoreFailure == true && r.source == "explicit")
    }

    @Test func laterGlobWinsOverEarlierGlob() {
        let (c, _) = config([
            ("/etc/sysctl.d/a.conf", "net.ipv4.conf.*.log_martians = 0\nnet.ipv4.conf.e*.log_martians = 1\n")
        ])
        #expect(c.resolve("net.ipv4.conf.eth0.log_martians").value == "1")
        #expect(c.resolve("net.ipv4.conf.lo.log_martians").value == "0")
    }

    @Test func globClassesAndEscapes() {
        #expect(SysctlKey.matches(pattern: "net.ipv4.conf.eth[0-9].rp_filter", key: "net.ipv4.conf.eth3.rp_filter"))
        #expect(!SysctlKey.matches(pattern: "net.ipv4.conf.eth[!0-9].rp_filter", key: "net.ipv4.conf.eth3.rp_filter"))
        #expect(SysctlKey.matches(pattern: "net.ipv4.conf.?th0.rp_filter", key: "net.ipv4.conf.eth0.rp_filter"))
        #expect(SysctlKey.matches(pattern: "net.ipv4.conf.\\*.rp_filter", key: "net.ipv4.conf.*.rp_filter"))
        #expect(!SysctlKey.matches(pattern: "net.ipv4.conf.\\*.rp_filter", key: "net.ipv4.conf.eth0.rp_filter"))
        #expect(SysctlKey.matches(pattern: "net.ipv4.conf.[eth0.rp_filter", key: "net.ipv4.conf.[eth0.rp_filter"))
    }

    @Test func hostileLinesAreBoundedAndReported() {
        let star = String(repeating: "*a", count: 200)
        let long = "net." + String(repeating: "x", count: 600) + " = 1\n"
        let (c, problems) = config([
            ("/etc/sysctl.d/evil.conf",
             "net.ipv4.conf.\(star).rp_filter = 1\n" + long + "no equals \u{1b}]0;title\u{07}\n"
                + "net.ipv4.ip_forward = 1\u{0} = hidden\n" + "net.ipv4.conf.e\u{1b}[31mvil.rp_filter = 0\n")
        ])
        // A pathological pattern answers (no backtracking blow-up), and does not match.
        #expect(c.resolve("net.ipv4.conf.eth0.rp_filter").value == nil)
        #expect(problems.contains { $0.line == 2 && $0.problem.contains("longer than") })
        #expect(problems.contains { $0.line == 3 && $0.problem.contains("not 'key = value'") })
        // The line ends at the NUL, as for a C reader.
        #expect(c.resolve("net.ipv4.ip_forward").value == "1")
        // Byte-exact keys: the escape sequence stays part of the interface name.
        #expect(c.resolve("net.ipv4.conf.e\u{1b}[31mvil.rp_filter").value == "0")
        #expect(c.resolve("net.ipv4.conf.evil.rp_filter").value == nil)
    }

    @Test func effectiveFollowsTheKernelsCombination() {
        var live = SysctlFacts.LiveValues()
        live.interfaces = ["ipv4": ["eth0"], "ipv6": ["eth0"]]
        func set(_ f: String, _ i: String, _ n: String, _ v: String) { live.values[SysctlCatalog.confKey(f, i, n)] = v }
        set("ipv4", "all", "rp_filter", "0"); set("ipv4", "eth0", "rp_filter", "2")
        set("ipv4", "all", "accept_redirects", "0"); set("ipv4", "eth0", "accept_redirects", "1")
        set("ipv4", "eth0", "forwarding", "0")
        set("ipv4", "all", "accept_source_route", "0"); set("ipv4", "eth0", "accept_source_route", "1")
        set("ipv4", "all", "send_redirects", "0"); set("ipv4", "eth0", "send_redirects", "1")
        set("ipv6", "eth0", "forwarding", "1"); set("ipv6", "eth0", "accept_ra", "1")
        set("ipv6", "all", "accept_source_route", "0"); set("ipv6", "eth0", "accept_source_route", "-1")
        set("ipv6", "eth0", "accept_redirects", "1")
        let e = SysctlFacts.effectiveValues(live)
        func eff(_ f: String, _ n: String) -> String? { e.first { $0.family == f && $0.name == n && $0.interface == "eth0" }?.effective }
        #expect(eff("ipv4", "rp_filter") == "2")  // max
        #expect(eff("ipv4", "accept_redirects") == "1")  // forwarding off: OR
        #expect(eff("ipv4", "accept_source_route") == "0")  // AND
        #expect(eff("ipv4", "send_redirects") == "1")  // OR
        #expect(eff("ipv6", "accept_ra") == "0")  // forwarding on: only accept_ra = 2
        #expect(eff("ipv6", "accept_redirects") == "0")  // never while forwarding
        #expect(eff("ipv6", "accept_source_route") == "-1")  // min
        set("ipv6", "eth0", "forwarding", "0")
        #expect(SysctlFacts.effectiveValues(live).first { $0.family == "ipv6" && $0.name == "accept_ra" }?.effective == "1")
        set("ipv6", "eth0", "disable_ipv6", "1")  // no IPv6 processing at all on the interface
        #expect(SysctlFacts.effectiveValues(live).first { $0.family == "ipv6" && $0.name == "accept_ra" }?.effective == "0")
        set("ipv4", "eth0", "forwarding", "1")
        let e2 = SysctlFacts.effectiveValues(live)
        #expect(e2.first { $0.family == "ipv4" && $0.name == "accept_redirects" }?.effective == "0")  // forwarding on: AND
    }

    @Test func driftBothWaysAndUnknownIsNotDrift() {
        let (c, _) = config([("/etc/sysctl.d/a.conf", "net.ipv4.ip_forward = 0\nnet.ipv4.tcp_syncookies = 1\nnet.ipv4.icmp_echo_ignore_broadcasts = 1\n")])
        var live = SysctlFacts.LiveValues()
        live.values = ["net.ipv4.ip_forward": "1", "net.ipv4.tcp_syncookies": "0", "net.ipv4.icmp_echo_ignore_broadcasts": "1"]
        let f = SysctlFacts.make(configuration: c, files: ["/etc/sysctl.d/a.conf"], problems: [], live: live, liveUnavailableReason: nil)
        #expect(Set(f.drift?.map(\.key) ?? []) == ["net.ipv4.ip_forward", "net.ipv4.tcp_syncookies"])
        #expect(f.drift?.first { $0.key == "net.ipv4.ip_forward" }?.line == 1)
        #expect(f.settings.first { $0.key == "net.ipv4.icmp_echo_ignore_broadcasts" }?.drift == false)
        // Not configured: no drift claimed.
        #expect(f.settings.first { $0.key == "net.ipv4.icmp_ignore_bogus_error_responses" }?.drift == nil)
        let offline = SysctlFacts.make(configuration: c, files: [], problems: [], live: nil, liveUnavailableReason: "--root")
        #expect(offline.drift == nil && !offline.liveAvailable && offline.settings.allSatisfy { $0.drift == nil })
    }

    @Test func largeHostileConfigurationIsBounded() {
        var text = ""
        for i in 0..<20_000 { text += "net.ipv4.conf.if\(i).rp_filter = 1\n" }
        for i in 0..<300 { text += "net.ipv4.conf.x\(i)*.log_martians = 1\n" }
        let (c, problems) = config([("/etc/sysctl.d/big.conf", text)])
        #expect(problems.filter { $0.problem.contains("glob patterns") }.count == 300 - SysctlConfiguration.maxPatterns)
        #expect(c.resolve("net.ipv4.conf.if19999.rp_filter").value == "1")
        #expect(c.resolve("net.ipv4.conf.x12abc.log_martians").source == "glob")
        let f = SysctlFacts.make(configuration: c, files: [], problems: [], live: nil, liveUnavailableReason: "--root")
        // Interfaces named only in the files are listed up to a bound, and the cut is said.
        #expect(f.settings.count < 1200)
        #expect(f.errors.contains { $0.contains("more than 1000") })
    }
}
