import Foundation
import HostAuditCore
@testable import HostAuditLinux
import HostAuditTestSupport
import Testing

@Suite struct PersistenceCollectorTests {
    func collect(_ fixture: String) -> PersistenceFacts {
        PersistenceCollector(scope: CollectionScope(root: Fixtures.root(fixture))).collect()
    }

    func kinds(_ f: PersistenceFacts, area: String) -> [String] {
        f.indicators.filter { $0.area == area }.map(\.indicator)
    }

    /// The false positives of docs/miners.md §6: distro cron jobs and units, a
    /// loopback/metadata /etc/hosts, plain authorized_keys: no indicator at all.
    @Test func cleanControlRootHasNoIndicators() throws {
        let f = collect("persist-clean")
        #expect(f.indicators.isEmpty, "\(f.indicators.map { "\($0.area) \($0.indicator) \($0.path):\($0.line ?? 0)" })")
        #expect(!f.live)
        // It did read everything: the absence of indicators is not an absence of data.
        let cronPaths = Set(f.cron.files.map(\.status.path))
        for p in [
            "/etc/crontab", "/etc/cron.d/certbot", "/etc/cron.d/sysstat", "/etc/cron.d/e2scrub_all", "/etc/cron.daily/apt-compat",
            "/etc/cron.daily/logrotate", "/etc/cron.daily/man-db", "/etc/cron.daily/0anacron", "/etc/cron.daily/dpkg",
            "/etc/anacrontab", "/var/spool/cron/crontabs/alice",
        ] {
            #expect(cronPaths.contains(p), "\(p) not read")
        }
        let crontab = try #require(f.cron.files.first { $0.status.path == "/etc/crontab" })
        #expect(crontab.kind == "system-crontab" && crontab.entries.count == 4 && crontab.entries.allSatisfy { $0.user == "root" })
        let alice = try #require(f.cron.files.first { $0.status.path == "/var/spool/cron/crontabs/alice" })
        #expect(alice.kind == "user-crontab" && alice.user == "alice")
        #expect(alice.entries.map(\.schedule) == ["*/15 * * * *", "@reboot"])
        #expect(alice.entries.allSatisfy { $0.user == "alice" })
        #expect(f.cron.files.allSatisfy { $0.problems.isEmpty })
        let certbot = try #require(f.cron.files.first { $0.status.path == "/etc/cron.d/certbot" })
        #expect(certbot.entries.first?.command.contains("certbot -q renew") == true)

        let units = Dictionary(f.systemd.units.filter { !$0.dropIn }.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let cron = try #require(units["/usr/lib/systemd/system/cron.service"])
        #expect(cron.enabled)
        #expect(cron.enabledBy == ["/etc/systemd/system/multi-user.target.wants/cron.service"])
        #expect(cron.execs.map(\.program) == ["/usr/sbin/cron"])
        #expect(units["/usr/lib/systemd/system/rc-local.service"]?.execs.first?.programLocation == "other")
        #expect(units["/usr/lib/systemd/system/systemd-tmpfiles-clean.service"]?.execs.first?.programLocation == "relative")
        #expect(units["/etc/systemd/system/apt-daily-upgrade.service"]?.masked == true)
        #expect(units["/etc/systemd/system/sshd.service"]?.linkTarget == "/lib/systemd/system/ssh.service")
        #expect(units["/usr/lib/systemd/system/getty@.service"]?.enabled == true)
        #expect(units["/home/alice/.config/systemd/user/syncthing.service"]?.enabled == true)
        #expect(units["/home/alice/.config/systemd/user/syncthing.service"]?.user == "alice")
        // /lib is a link to usr/lib: its units are listed once.
        #expect(!f.systemd.units.contains { $0.path.hasPrefix("/lib/") })
        let dropIn = try #require(f.systemd.units.first { $0.dropIn })
        #expect(dropIn.name == "ssh.service" && dropIn.execs.count == 1 && dropIn.execs[0].commandLine.contains("VERBOSE"))

        #expect(f.authorizedKeys.map(\.status.path) == ["/root/.ssh/authorized_keys", "/home/alice/.ssh/authorized_keys"])
        #expect(f.authorizedKeys[1].users == ["alice", "svc"])
        #expect(f.hosts.matches.isEmpty && f.hosts.status.present)
        #expect(!f.ldSoPreload.status.present && f.ldSoPreload.entries.isEmpty)
        #expect(f.kernel.nrHugepages.configured.isEmpty && f.kernel.msr.autoload.isEmpty && f.kernel.nmiWatchdog.configured.isEmpty)
        #expect(f.kernel.files.contains("/usr/lib/sysctl.d/50-pid-max.conf"))
        #expect(f.cloudAgents.agents.allSatisfy { !$0.installed && $0.running == nil })
        #expect(f.fileAttributes.contains { $0.path == "/etc/passwd" && $0.present })
    }

    @Test func ldSoPreload() throws {
        let f = collect("persist-ldpreload")
        #expect(f.ldSoPreload.status.present)
        #expect(f.ldSoPreload.status.mtimeMs != nil)
        #expect(f.ldSoPreload.entries.map(\.library) == ["/etc/libsystem.so", "/usr/local/lib/libioset.so", "libprocesshider.so"])
        #expect(f.ldSoPreload.entries.map(\.line) == [1, 3, 3])
        #expect(f.ldSoPreload.entries.map(\.exists) == [true, false, true])
        #expect(f.ldSoPreload.entries[2].foundAt == "/usr/local/lib/libprocesshider.so")
        #expect(kinds(f, area: "ld-so-preload") == ["preload-entry", "preload-entry", "preload-entry"])
        #expect(f.indicators[1].detail.contains("missing"))
        #expect(f.fileAttributes.contains { $0.path == "/etc/ld.so.preload" && $0.immutable == false })
    }

    @Test func cronDownloadAndRunInEveryLocation() {
        let f = collect("persist-cron")
        let found = Set(f.indicators.filter { $0.area == "cron" }.map { "\($0.path):\($0.line ?? 0) \($0.indicator)" })
        let expected: Set<String> = [
            "/etc/crontab:3 download-pipe-shell",
            "/etc/cron.d/anacron:4 download-pipe-shell",
            "/etc/cron.hourly/mlocaten:2 download-pipe-shell",
            "/etc/cron.hourly/prelink:2 dev-tcp",
            "/etc/cron.daily/sysupdate:2 base64-pipe-shell",
            "/etc/cron.weekly/.update:2 exec-from-temp",
            "/etc/cron.monthly/pwnrig:2 download-pipe-shell",
            "/etc/cron.monthly/pwnrig:2 inline-interpreter-network",
            "/var/spool/cron/crontabs/root:2 download-then-exec",
            "/var/spool/cron/root:1 download-pipe-shell",
            "/var/spool/cron/alice:2 exec-from-temp",
            "/etc/anacrontab:3 exec-from-temp",
        ]
        #expect(found == expected, "missing \(expected.subtracting(found)), extra \(found.subtracting(expected))")
        // The distro line of /etc/cron.d/anacron stays clean.
        #expect(!f.indicators.contains { $0.path == "/etc/cron.d/anacron" && $0.line == 3 })
        let rhel = f.cron.files.first { $0.status.path == "/var/spool/cron/root" }
        #expect(rhel?.kind == "user-crontab" && rhel?.user == "root" && rhel?.entries.first?.frequent == true)
        #expect(f.cron.files.first { $0.status.path == "/etc/crontab" }?.entries.last?.schedule == "41 */4 * * *")
    }

    @Test func systemdUnitsInTempAndEnabled() throws {
        let f = collect("persist-systemd")
        let bot = try #require(f.systemd.units.first { $0.name == "bot.service" })
        #expect(bot.enabled)
        #expect(bot.enabledBy == ["/etc/systemd/system/multi-user.target.wants/bot.service"])
        #expect(bot.description == "Start daemon at boot time")
        #expect(bot.execs.map(\.key) == ["ExecStartPre", "ExecStart"])
        #expect(bot.execs[1].programLocation == "temp")
        #expect(Set(bot.indicators.map(\.indicator)) == ["download-pipe-shell", "exec-from-temp", "known-miner-unit-name"])
        let tmpUnit = try #require(f.systemd.units.first { $0.path == "/tmp/.ICE-unix/sys.service" })
        #expect(tmpUnit.enabled && tmpUnit.name == "sysupdate.service")
        #expect(tmpUnit.indicators.map(\.indicator).contains("unit-file-in-temp"))
        let user = try #require(f.systemd.units.first { $0.name == "dbus-helper.service" })
        #expect(user.scope == "user" && user.user == "alice" && !user.enabled)
        #expect(user.indicators.map(\.indicator) == ["exec-from-dot-dir"])
        let cron = try #require(f.systemd.units.first { $0.name == "cron.service" })
        #expect(cron.indicators.isEmpty && !cron.enabled)
        #expect(
            f.indicators.first { $0.indicator == "exec-from-temp" }.map { "\($0.path):\($0.line ?? 0)" }
                == "/etc/systemd/system/bot.service:8")
        #expect(f.systemd.enablementLinks.map(\.wantedBy) == ["multi-user.target", "multi-user.target"])
    }

    @Test func authorizedKeysWithOptionsAndPlantedKey() throws {
        let f = collect("persist-sshkeys")
        let root = try #require(f.authorizedKeys.first { $0.status.path == "/root/.ssh/authorized_keys" })
        #expect(root.users == ["root"])
        #expect(root.status.mtimeMs != nil && root.status.immutable == false)
        #expect(root.keys.map(\.line) == [1, 3])
        #expect(root.keys.map(\.fingerprint) == [
            "SHA256:2rZiQKYiwH26UBNs0w+IRY2Vz6DzyZxr7/wdc7Zq67w", "SHA256:Nb4yipWizohq2esFuw6IcOwMUgkT1IDytHEp5TapZ5M",
        ])
        let planted = root.keys[1]
        #expect(planted.comment == "planted" && planted.type == "ssh-rsa" && planted.bits == 3072)
        #expect(planted.options.map(\.name) == ["no-port-forwarding", "command", "from"])
        #expect(planted.options[1].value == #"/usr/local/bin/backup --from "a,b""#)
        #expect(planted.options[2].value == "198.51.100.0/24,203.0.113.7")
        let alice = try #require(f.authorizedKeys.first { $0.status.path == "/home/alice/.ssh/authorized_keys2" })
        #expect(alice.keys.count == 1 && alice.keys[0].comment == nil)
        #expect(alice.problems.map(\.line) == [2])
        #expect(f.fileAttributes.contains { $0.path == "/root/.ssh/authorized_keys" })
    }

    @Test func hostsPoolAndVendorDomains() {
        let f = collect("persist-hosts")
        #expect(f.hosts.matches.map(\.name) == ["pool.minexmr.com", "xmr.pool.minergate.com", "update.aegis.aliyun.com", "gulf.MoneroOcean.stream."])
        #expect(f.hosts.matches.map(\.list) == ["pool", "pool", "security-vendor", "pool"])
        #expect(f.hosts.matches.map(\.pointsTo) == ["loopback", "loopback", "other", "other"])
        #expect(f.hosts.matches.map(\.suffix) == ["minexmr.com", "minergate.com", "aegis.aliyun.com", "moneroocean.stream"])
        #expect(kinds(f, area: "hosts") == ["pool-domain", "pool-domain", "security-vendor-domain", "pool-domain"])
    }

    @Test func aegisInstalledButNotRunning() throws {
        let root = Fixtures.root("persist-aegis")
        let offline = PersistenceCollector(scope: CollectionScope(root: root)).collect()
        let aegis = try #require(offline.cloudAgents.agents.first { $0.id == "alibaba-aegis" })
        #expect(aegis.installed)
        #expect(aegis.evidence == ["/usr/local/aegis", "/etc/systemd/system/aegis.service"])
        #expect(aegis.running == nil)  // --root: no process scan
        #expect(!offline.cloudAgents.processScan.performed)
        #expect(offline.indicators.filter { $0.area == "cloud-agent" }.isEmpty)

        var c = PersistenceCollector(scope: CollectionScope(root: root))
        c.processTableOverride = ProcessTable(
            processes: [.init(pid: 1, comm: "systemd", exe: "/usr/lib/systemd/systemd"), .init(pid: 77, comm: "sshd", exe: nil)],
            unreadable: 0)
        let gone = c.collect()
        #expect(gone.cloudAgents.agents.first { $0.id == "alibaba-aegis" }?.running == false)
        #expect(gone.indicators.filter { $0.area == "cloud-agent" }.map(\.match) == ["alibaba-aegis"])

        c.processTableOverride = ProcessTable(
            processes: [.init(pid: 900, comm: "AliYunDunMonito", exe: nil)], unreadable: 0)
        let running = c.collect()
        let agent = try #require(running.cloudAgents.agents.first { $0.id == "alibaba-aegis" })
        #expect(agent.running == true && agent.processes.map(\.pid) == [900])
        #expect(running.indicators.filter { $0.area == "cloud-agent" }.isEmpty)
    }

    @Test func kernelTunablesWithSources() throws {
        let f = collect("persist-kernel")
        #expect(!f.kernel.runtimeRead && f.kernel.runtimeUnavailableReason != nil)
        #expect(f.kernel.nrHugepages.runtime == nil)
        #expect(f.kernel.nrHugepages.configured.map(\.source) == ["/usr/lib/sysctl.d/10-defaults.conf:1", "/etc/sysctl.d/60-hugepages.conf:1"])
        #expect(f.kernel.nrHugepages.configuredEffective?.value == "1280")
        #expect(f.kernel.nmiWatchdog.configuredEffective?.source == "/etc/sysctl.conf:1")
        #expect(f.kernel.msr.allowWrites.configured.map(\.source) == ["/etc/modprobe.d/msr-install.conf:1", "/etc/modprobe.d/msr.conf:1"])
        #expect(f.kernel.msr.allowWrites.configured.allSatisfy { $0.value == "on" })
        #expect(f.kernel.msr.autoload.map(\.source) == ["/etc/modules-load.d/msr.conf:2"])
        #expect(f.kernel.msr.moduleLoaded == nil)
        #expect(kinds(f, area: "kernel") == ["hugepages", "msr-allow-writes", "msr-allow-writes", "msr-autoload", "nmi-watchdog-off"])
    }

    @Test func missingRootYieldsEmptyFactsNotACrash() throws {
        let dir = try Fixtures.temporaryDirectory("ha-persist-empty")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let f = PersistenceCollector(scope: CollectionScope(root: dir)).collect()
        #expect(f.indicators.isEmpty && f.cron.files.isEmpty && f.systemd.units.isEmpty && f.authorizedKeys.isEmpty)
        #expect(!f.hosts.status.present)
    }

    @Test func unreadableFilesAreData() throws {
        let dir = try Fixtures.temporaryDirectory("ha-persist-fifo")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Fixtures.write("root:x:0:0::/root:/bin/sh\n", to: "/etc/passwd", under: dir)
        try FileManager.default.createDirectory(atPath: dir + "/etc/cron.d", withIntermediateDirectories: true)
        #expect(mkfifo(dir + "/etc/crontab", 0o644) == 0)
        try FileManager.default.createDirectory(atPath: dir + "/root/.ssh", withIntermediateDirectories: true)
        // A link escaping the root stays inside it (resolved below the root, where nothing is).
        try FileManager.default.createSymbolicLink(atPath: dir + "/root/.ssh/authorized_keys", withDestinationPath: "/etc/shadow")
        try Fixtures.write("* * * * * root /tmp/x\n", to: "/etc/cron.d/bad\u{1b}[2Jname", under: dir)
        let f = PersistenceCollector(scope: CollectionScope(root: dir)).collect()
        let crontab = try #require(f.cron.files.first { $0.status.path == "/etc/crontab" })
        #expect(crontab.status.present && crontab.status.error?.contains("not a regular file") == true)
        #expect(f.authorizedKeys.isEmpty)
        #expect(f.indicators.contains { $0.path == "/etc/cron.d/bad\u{1b}[2Jname" && $0.indicator == "exec-from-temp" })
    }
}

/// The running machine: whatever its files hold, collection completes and
/// what it reports is well formed.
@Suite struct PersistenceLiveTests {
    @Test func liveHostParsesWithoutCrashing() throws {
        let f = PersistenceCollector(scope: .live).collect()
        #expect(f.live && f.kernel.runtimeRead)
        #expect(f.kernel.nrHugepages.runtime?.path == "/proc/sys/vm/nr_hugepages")
        #expect(Int(f.kernel.nrHugepages.runtime?.value ?? "") != nil)
        #expect(f.cloudAgents.processScan.performed)
        #expect((f.cloudAgents.processScan.processes ?? 0) > 1)
        #expect(f.cloudAgents.agents.allSatisfy { $0.running != nil })
        #expect(f.fileAttributes.contains { $0.path == "/etc/passwd" && $0.present && $0.immutable != nil })
        for u in f.systemd.units { #expect(u.path.hasPrefix("/"), "\(u.path)") }
        for file in f.cron.files { #expect(file.status.present) }
        for i in f.indicators { #expect(!i.area.isEmpty && !i.indicator.isEmpty && i.path.hasPrefix("/")) }
        let json = JSONValueEncoder().encodeValue(f)
        guard case .object(let o) = json else {
            Issue.record("not an object")
            return
        }
        #expect(o.entries.map(\.0).prefix(3) == ["live", "indicators", "ld_so_preload"])
    }

    @Test func ownProcessIsFoundByTheRawScan() throws {
        let t = try ProcessTable.read().get()
        #expect(t.processes.contains { $0.pid == Int(getpid()) })
        #expect(t.processes.contains { $0.pid == 1 })
    }
}

@Suite(.serialized) struct PersistencePrivilegedTests {
    @Test(.privileged) func immutableFlagIsReported() throws {
        try #require(Privileged.isRoot, "chattr needs root")
        let dir = try Fixtures.temporaryDirectory("ha-persist-chattr")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Fixtures.write("root:x:0:0::/root:/bin/sh\n", to: "/etc/passwd", under: dir)
        try Fixtures.write("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBx5Im8SWTpCn7AzmHD7yCFMhfgwgYa/1eh94NntKh/ k\n", to: "/root/.ssh/authorized_keys", under: dir)
        let keys = dir + "/root/.ssh/authorized_keys"
        let passwd = dir + "/etc/passwd"
        let on = try CommandRunner.run(["chattr", "+i", keys], timeout: 20)
        defer { _ = try? CommandRunner.run(["chattr", "-i", keys], timeout: 20) }
        try #require(on.status == 0, "\(on)")
        let app = try CommandRunner.run(["chattr", "+a", passwd], timeout: 20)
        defer { _ = try? CommandRunner.run(["chattr", "-a", passwd], timeout: 20) }
        try #require(app.status == 0, "\(app)")

        let f = PersistenceCollector(scope: CollectionScope(root: dir)).collect()
        #expect(f.authorizedKeys.first?.status.immutable == true)
        #expect(f.authorizedKeys.first?.keys.count == 1)
        let attrs = Dictionary(f.fileAttributes.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(attrs["/etc/passwd"]?.appendOnly == true && attrs["/etc/passwd"]?.immutable == false)
        let found = f.indicators.filter { $0.area == "file-attributes" }.map { "\($0.path) \($0.indicator)" }
        #expect(found == ["/etc/passwd append-only", "/root/.ssh/authorized_keys immutable"])
    }
}
