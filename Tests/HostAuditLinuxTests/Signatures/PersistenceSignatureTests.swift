import Foundation
import HostAuditCore
@testable import HostAuditLinux
import HostAuditTestSupport
import Testing

/// The shipped YARA rules over the files persistence points at, below `--root`.
@Suite("Persistence signatures (YARA over what persistence runs)")
struct PersistenceSignatureTests {
    static let options = SignatureScanOptions(rulesDirectory: Fixtures.packageRoot + "/Policies/signatures")

    /// An xmrig-style config inside a shell script. The keys are stored reversed so this
    /// test's own binary does not carry the plain strings the rules look for.
    static let minerScript: String = {
        let keys = ["level-etanod", "segap-eguh", "xmodnar", "ytiroirp-upc", "tnih-sdaerht-xam"].map { String($0.reversed()) }
        return "#!/bin/sh\ncat > /tmp/.c.json <<X\n{\"\(keys[0])\": 1, \"\(keys[1])\": true, \"\(keys[2])\": {},"
            + " \"\(keys[3])\": 5, \"\(keys[4])\": 75}\nX\nexec /usr/local/bin/.w -c /tmp/.c.json\n"
    }()

    /// A root whose cron line runs a miner-config script; a systemd unit and an
    /// ld.so.preload alias name the same file; a second cron line runs a symlink to a
    /// file outside the root (with the same content) and a third a FIFO.
    static func makeRoot() throws -> (root: String, outside: String) {
        let root = try Fixtures.temporaryDirectory("ha-persig")
        let outside = try Fixtures.temporaryDirectory("ha-persig-outside")
        try Fixtures.write("root:x:0:0::/root:/bin/sh\n", to: "/etc/passwd", under: root)
        try Fixtures.write(
            "*/5 * * * * root /usr/local/bin/.sysupdate.sh >/dev/null 2>&1\n* * * * * root /opt/escape.sh\n"
                + "* * * * * root /usr/local/bin/pipe\n",
            to: "/etc/cron.d/sysupdate", under: root)
        try Fixtures.write(minerScript, to: "/usr/local/bin/.sysupdate.sh", under: root)
        try Fixtures.write(
            "[Unit]\nDescription=update\n[Service]\nExecStart=/usr/local/bin/.sysupdate.sh\n[Install]\nWantedBy=multi-user.target\n",
            to: "/etc/systemd/system/sysupdate.service", under: root)
        try FileManager.default.createDirectory(atPath: root + "/usr/local/lib", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: root + "/usr/local/lib/libupd.so", withDestinationPath: "../bin/.sysupdate.sh")
        try Fixtures.write("/usr/local/lib/libupd.so\n", to: "/etc/ld.so.preload", under: root)
        // Outside the root: must never be read (the link's target is resolved below the root).
        try Fixtures.write(minerScript, to: "/miner.sh", under: outside)
        try FileManager.default.createDirectory(atPath: root + "/opt", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/opt/escape.sh", withDestinationPath: outside + "/miner.sh")
        #expect(mkfifo(root + "/usr/local/bin/pipe", 0o644) == 0)
        return (root, outside)
    }

    @Test func cronScriptWithMinerConfigMatchesOnceWithItsHash() throws {
        let (root, outside) = try Self.makeRoot()
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: outside)
        }
        var c = PersistenceCollector(scope: CollectionScope(root: root))
        c.signatures = Self.options
        let f = c.collect()
        let s = try #require(f.signatures)
        #expect(s.available, "\(s.unavailableReason ?? "")")
        #expect(s.rules.contains("Miner_XMRig_Config"))
        let m = try #require(s.matches.first { $0.rule == "Miner_XMRig_Config" }, "\(s.targets)")
        #expect(m.path == "/usr/local/bin/.sysupdate.sh")
        #expect(m.namespace == "miners" && m.tags.contains("miner"))
        #expect(m.offset != nil)
        #expect(m.sha256 == SHA256.hex(SHA256.hash(Array(Self.minerScript.utf8))))
        #expect(Set(m.areas) == ["cron", "systemd", "ld-so-preload"], "\(m.areas)")
        #expect(m.referencedBy.contains("/etc/cron.d/sysupdate:1"), "\(m.referencedBy)")
        // Scanned once, though three places name it.
        #expect(s.matches.filter { $0.rule == "Miner_XMRig_Config" }.count == 1)
        #expect(s.filesScanned == 1, "\(s.targets)")
        // ld.so.preload is collected first: its alias is the name scanned, the script's own name reuses the result.
        let alias = try #require(s.targets.first { $0.path == "/usr/local/lib/libupd.so" })
        #expect(alias.scanned && alias.resolvedPath == "/usr/local/bin/.sysupdate.sh", "\(alias)")
        let script = try #require(s.targets.first { $0.path == "/usr/local/bin/.sysupdate.sh" })
        #expect(!script.scanned && script.skipped == "same file as /usr/local/lib/libupd.so", "\(script)")
        #expect(script.sha256 == m.sha256 && script.matches == 1)
        // The symlink out of the root is not followed: nothing outside was read.
        let escape = try #require(s.targets.first { $0.path == "/opt/escape.sh" })
        #expect(!escape.scanned && escape.sha256 == nil && escape.skipped == "absent", "\(escape)")
        #expect(!s.matches.contains { $0.path.hasPrefix("/opt") || $0.path.contains(outside) })
        // A FIFO is refused, not opened for reading.
        let pipe = try #require(s.targets.first { $0.path == "/usr/local/bin/pipe" })
        #expect(!pipe.scanned && pipe.skipped == "not a regular file (fifo)", "\(pipe)")
        // Per indicator: the rule, where, and the hash.
        let ind = f.indicators.filter { $0.area == "signatures" }
        #expect(ind.map(\.indicator) == ["signature-match"], "\(ind)")
        #expect(ind.first?.match == "Miner_XMRig_Config" && ind.first?.path == "/usr/local/bin/.sysupdate.sh")
        #expect(ind.first?.detail.contains(m.sha256) == true)
        // The JSON shape policies read.
        let json = JSONValueEncoder().encodeValue(f)
        guard case .array(let ms)? = json["signatures"]?["matches"], case .string(let rule)? = ms.first?["rule"] else {
            Issue.record("persistence.signatures.matches missing")
            return
        }
        #expect(rule == "Miner_XMRig_Config")
        #expect(ms.first?["sha256"] == .string(m.sha256))
    }

    @Test func notScannedUnlessAsked() throws {
        let (root, outside) = try Self.makeRoot()
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: outside)
        }
        let f = PersistenceCollector(scope: CollectionScope(root: root)).collect()
        #expect(f.signatures == nil)
        #expect(!f.indicators.contains { $0.area == "signatures" })
    }

    /// The clean control root: distro cron scripts are scanned and nothing matches.
    @Test func cleanRootScansAndMatchesNothing() throws {
        var c = PersistenceCollector(scope: CollectionScope(root: Fixtures.root("persist-clean")))
        c.signatures = Self.options
        let s = try #require(c.collect().signatures)
        #expect(s.available)
        #expect(s.filesScanned > 0, "\(s.targets)")
        #expect(s.matches.isEmpty, "\(s.matches)")
    }

    @Test func missingRulesAreReportedNotThrown() throws {
        let dir = try Fixtures.temporaryDirectory("ha-persig-norules")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = PersistenceCollector(scope: CollectionScope(root: Fixtures.root("persist-clean")))
        c.signatures = SignatureScanOptions(rulesDirectory: dir)
        let s = try #require(c.collect().signatures)
        #expect(!s.available && s.unavailableReason != nil && s.matches.isEmpty)
    }

    @Test func commandPathsTakesAbsoluteWordsNotDevices() {
        #expect(
            PersistenceCollector.commandPaths("cd /opt && /bin/sh /opt/x.sh arg >/dev/null 2>&1; cat /proc/1/maps")
                == ["/opt", "/bin/sh", "/opt/x.sh"])
    }
}
