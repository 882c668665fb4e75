import HostAuditCore
import HostAuditTestSupport
import Testing

@Suite("SELinux config parser")
struct SELinuxConfigParserTests {
    func parse(_ text: String, truncated: Bool = false) -> SELinuxConfig {
        SELinuxConfig.parse(Array(text.utf8), truncated: truncated)
    }

    func problems(_ c: SELinuxConfig, line: Int?) -> [String] {
        c.problems.filter { $0.line == line }.map(\.problem)
    }

    @Test("a stock Fedora/RHEL file parses without problems")
    func stock() {
        let c = parse("# comment\n\n   # indented comment\nSELINUX=enforcing\nSELINUXTYPE=targeted\n")
        #expect(c.mode == .enforcing)
        #expect(c.modeLine == 4)
        #expect(c.policyType == "targeted")
        #expect(c.policyTypeLine == 5)
        #expect(c.problems == [])
        #expect(c.present == true)
        #expect(c.path == "/etc/selinux/config")
    }

    @Test("each mode", arguments: SELinuxMode.allCases)
    func modes(mode: SELinuxMode) {
        let c = parse("SELINUX=\(mode.rawValue)\nSELINUXTYPE=mls")
        #expect(c.mode == mode)
        #expect(c.policyType == "mls")
        #expect(c.problems == [])
    }

    @Test("the mode value matches case-insensitively by prefix, as libselinux; trailing text is reported")
    func modePrefix() {
        let c = parse("SELINUX=Enforcing\nSELINUXTYPE=targeted\n")
        #expect(c.mode == .enforcing)
        #expect(c.problems == [])
        let d = parse("SELINUX=permissive # was enforcing\nSELINUXTYPE=targeted\n")
        #expect(d.mode == .permissive)
        #expect(problems(d, line: 1).count == 1)
        #expect(problems(d, line: 1).first?.contains("text after the mode") == true)
    }

    @Test("SELINUX=: the first valid line wins (libselinux breaks at the first match)")
    func duplicateModeFirstWins() {
        let c = parse("SELINUX=permissive\nSELINUX=enforcing\nSELINUXTYPE=targeted\n")
        #expect(c.mode == .permissive)
        #expect(c.modeLine == 1)
        #expect(problems(c, line: 2).count == 1)
        #expect(problems(c, line: 2).first?.contains("duplicate SELINUX=") == true)
        #expect(problems(c, line: 2).first?.contains("line 1") == true)
    }

    @Test("SELINUX=: an invalid value is skipped and a later valid one used")
    func invalidThenValid() {
        let c = parse("SELINUX=bogus\nSELINUX=disabled\nSELINUXTYPE=targeted\n")
        #expect(c.mode == .disabled)
        #expect(c.modeLine == 2)
        #expect(problems(c, line: 1).first?.contains("invalid SELINUX value bogus") == true)
        #expect(problems(c, line: 2) == [])
    }

    @Test("SELINUXTYPE=: the last line wins, earlier ones reported")
    func duplicateTypeLastWins() {
        let c = parse("SELINUX=enforcing\nSELINUXTYPE=targeted\nSELINUXTYPE=mls\n")
        #expect(c.policyType == "mls")
        #expect(c.policyTypeLine == 3)
        #expect(problems(c, line: 3).first?.contains("overrides line 2") == true)
    }

    @Test("SELINUXTYPE=: case-insensitive tag, indentation and trailing blanks as libselinux")
    func typeWhitespace() {
        let c = parse("SELINUX=enforcing\n\t selinuxtype= minimum \t\n")
        #expect(c.policyType == "minimum")
        #expect(c.problems == [])
    }

    @Test("SELINUX= is recognised only in capitals at the start of a line")
    func modeTagStrict() {
        let c = parse("  SELINUX=enforcing\nselinux=permissive\nSELINUXTYPE=targeted\n")
        #expect(c.mode == nil)
        #expect(problems(c, line: 1).first?.contains("ignored") == true)
        #expect(problems(c, line: 2).first?.contains("ignored") == true)
        #expect(problems(c, line: nil).contains { $0.contains("falls back to permissive") })
    }

    @Test("quoted values: the mode is not recognised, the type keeps its quotes")
    func quotes() {
        let c = parse("SELINUX=\"enforcing\"\nSELINUXTYPE='targeted'\n")
        #expect(c.mode == nil)
        #expect(problems(c, line: 1).first?.contains("does not remove quotes") == true)
        #expect(c.policyType == "'targeted'")
        #expect(problems(c, line: 2).first?.contains("keeps the quotes") == true)
    }

    @Test("blank before '=' makes libselinux ignore the line; blank after is accepted and noted")
    func blanksAroundEquals() {
        let c = parse("SELINUX = enforcing\nSELINUX= permissive\nSELINUXTYPE =mls\n")
        #expect(c.mode == .permissive)
        #expect(c.policyType == nil)
        #expect(problems(c, line: 1).first?.contains("blank before") == true)
        #expect(problems(c, line: 2).first?.contains("blank after") == true)
        #expect(problems(c, line: 3).first?.contains("blank before") == true)
        #expect(problems(c, line: nil).contains { $0.contains("default policy type targeted") })
    }

    @Test("garbage and unknown keys are reported with line numbers; known extra keys are not")
    func garbage() {
        let c = parse("SELINUX=enforcing\nhello world\nFOO=bar\nREQUIRESEUSERS=0\nSELINUXTYPE=targeted\n")
        #expect(c.mode == .enforcing)
        #expect(problems(c, line: 2) == ["not a KEY=VALUE line; ignored"])
        #expect(problems(c, line: 3) == ["unknown key FOO; ignored"])
        #expect(problems(c, line: 4) == [])
        #expect(c.problems.count == 2)
        #expect(c.problems.allSatisfy { $0.path == "/etc/selinux/config" })
        #expect(c.problems.first?.text == "hello world")
    }

    @Test("CRLF line endings are tolerated and reported once")
    func crlf() {
        let c = parse("SELINUX=enforcing\r\nSELINUXTYPE=targeted\r\n")
        #expect(c.mode == .enforcing)
        #expect(c.policyType == "targeted")
        #expect(c.problems.count == 1)
        #expect(c.problems.first?.line == 1)
        #expect(c.problems.first?.problem.contains("CRLF") == true)
    }

    @Test("empty values and bad policy names")
    func emptyAndBadType() {
        let c = parse("SELINUX=\nSELINUXTYPE=\n")
        #expect(c.mode == nil)
        #expect(problems(c, line: 1).first?.contains("(empty)") == true)
        #expect(c.policyType == "")
        #expect(problems(c, line: 2).first?.contains("empty SELINUXTYPE") == true)
        let d = parse("SELINUX=enforcing\nSELINUXTYPE=targeted # comment\nSELINUXTYPE=../x\n")
        #expect(d.policyType == "../x")
        #expect(problems(d, line: 2).first?.contains("not a policy directory name") == true)
        #expect(problems(d, line: 3).contains { $0.contains("not a policy directory name") })
    }

    @Test("an empty file: no mode, no type, both explained")
    func empty() {
        let c = parse("")
        #expect(c.mode == nil)
        #expect(c.policyType == nil)
        #expect(c.problems.count == 2)
        #expect(c.problems.allSatisfy { $0.line == nil })
    }

    @Test("a binary file is reported and not parsed")
    func binary() {
        let c = SELinuxConfig.parse([0x53, 0x45, 0x4C, 0x00, 0xFF, 0x0A] + Array("SELINUX=enforcing\n".utf8))
        #expect(c.mode == nil)
        #expect(c.problems.count == 1)
        #expect(c.problems.first?.problem.contains("binary") == true)
    }

    @Test("invalid UTF-8 does not crash and is kept in the problem text")
    func invalidUTF8() {
        let c = SELinuxConfig.parse(Array("SELINUX=enforcing\n".utf8) + [0xC3, 0x28, 0x3D, 0x0A])
        #expect(c.mode == .enforcing)
        #expect(c.problems.contains { $0.line == 2 && $0.text?.contains("\u{FFFD}") == true })
    }

    @Test("a truncated (huge) file is reported and its cut last line dropped")
    func truncated() {
        let c = parse("SELINUX=permissive\nSELINUXTYPE=targeted\nSELINUXTYPE=mi", truncated: true)
        #expect(c.mode == .permissive)
        #expect(c.policyType == "targeted")
        #expect(c.problems.count == 1)
        #expect(c.problems.first?.problem.contains("larger than 1048576 bytes") == true)
    }

    @Test("long lines are shortened in problem text")
    func longLine() {
        let c = parse("SELINUX=enforcing\nSELINUXTYPE=targeted\n" + String(repeating: "x", count: 5000) + "\n")
        let p = c.problems.first { $0.line == 3 }
        #expect(p != nil)
        #expect((p?.text?.count ?? 0) <= 201)
    }
}

@Suite("SELinux facts")
struct SELinuxFactsTests {
    static let enforcingConfig = SELinuxConfig.parse(Array("SELINUX=enforcing\nSELINUXTYPE=targeted\n".utf8))
    static let permissiveConfig = SELinuxConfig.parse(Array("SELINUX=permissive\nSELINUXTYPE=targeted\n".utf8))
    static let disabledConfig = SELinuxConfig.parse(Array("SELINUX=disabled\nSELINUXTYPE=targeted\n".utf8))

    static func config(_ mode: SELinuxMode?) -> SELinuxConfig {
        switch mode {
        case .enforcing?: enforcingConfig
        case .permissive?: permissiveConfig
        case .disabled?: disabledConfig
        case nil: .missing()
        }
    }

    func facts(_ runtime: SELinuxRuntimeState?, _ mode: SELinuxMode?) -> SELinuxFacts {
        SELinuxFacts.make(runtime: runtime, runtimeUnavailableReason: runtime == nil ? "test" : nil, config: Self.config(mode))
    }

    @Test("disabled kernel: runtime_mode disabled, kernel values null")
    func disabledKernel() {
        let f = facts(.fakeDisabled, nil)
        #expect(f.runtimeAvailable)
        #expect(f.runtimeUnavailableReason == nil)
        #expect(f.kernel.enabled == false)
        #expect(f.kernel.runtimeMode == .disabled)
        #expect(f.kernel.mlsEnabled == nil)
        #expect(f.kernel.policyVersion == nil)
        #expect(f.kernel.booleans == nil)
        #expect(f.kernel.libselinuxEnabled == false)
        #expect(f.kernel.sysFsSelinuxPresent == false)
        #expect(f.drift == nil, "no config mode: drift cannot be evaluated")
    }

    @Test("runtime mode from security_getenforce", arguments: [(true, SELinuxMode.enforcing), (false, .permissive)])
    func runtimeMode(enforcing: Bool, expected: SELinuxMode) {
        let f = facts(.fakeEnabled(enforcing: enforcing), expected)
        #expect(f.kernel.enabled == true)
        #expect(f.kernel.runtimeMode == expected)
        #expect(f.kernel.selinuxfsMount == "/sys/fs/selinux")
        #expect(f.drift == [])
    }

    @Test("unreadable enforce: enabled, mode null, errors kept, drift unknown")
    func unreadableMode() {
        let err = SELinuxReadError(call: "security_getenforce", message: "security_getenforce: Permission denied", errno: 13)
        let f = facts(.fakeEnabled(enforcing: nil, errors: [err]), .enforcing)
        #expect(f.kernel.enabled == true)
        #expect(f.kernel.runtimeMode == nil)
        #expect(f.kernel.errors == [err])
        #expect(f.drift == nil)
        let json = f.json()
        #expect(json.value(atPath: "kernel.runtime_mode") == .null)
        #expect(json.value(atPath: "kernel.errors.0.errno") == .int(13))
        #expect(json.value(atPath: "drift") == .null)
    }

    @Test("MLS and policy version pass through")
    func mlsAndVersion() {
        let f = facts(.fakeEnabled(enforcing: true, mls: true, policyVersion: 35), .enforcing)
        #expect(f.kernel.mlsEnabled == true)
        #expect(f.kernel.policyVersion == 35)
        let g = facts(.fakeEnabled(enforcing: true, mls: nil, policyVersion: nil), .enforcing)
        #expect(g.kernel.mlsEnabled == nil)
        #expect(g.kernel.policyVersion == nil)
    }

    @Test(
        "deny_unknown/reject_unknown map to handle_unknown",
        arguments: [
            (false as Bool?, false as Bool?, "allow" as String?), (false, nil, "allow"), (true, false, "deny"),
            (true, true, "reject"), (true, nil, nil), (nil, true, nil), (nil, nil, nil),
        ])
    func handleUnknown(deny: Bool?, reject: Bool?, expected: String?) {
        let f = facts(.fakeEnabled(enforcing: true, denyUnknown: deny, rejectUnknown: reject), .enforcing)
        #expect(f.kernel.denyUnknown == deny)
        #expect(f.kernel.rejectUnknown == reject)
        #expect(f.kernel.handleUnknown == expected)
    }

    @Test("booleans: sorted by name, keyed by name in JSON, pending changes listed")
    func booleans() {
        let list = [
            SELinuxBoolean(name: "zebra_write", active: false, pending: true),
            SELinuxBoolean(name: "httpd_can_network_connect", active: true, pending: true),
            SELinuxBoolean(name: "ftpd_full_access", active: nil, pending: false),
        ]
        let f = facts(.fakeEnabled(enforcing: true, booleans: list), .enforcing)
        #expect(f.kernel.booleans?.booleans.map(\.name) == ["ftpd_full_access", "httpd_can_network_connect", "zebra_write"])
        #expect(f.kernel.booleansPendingChange == ["zebra_write"])
        #expect(f.kernel.booleans?["httpd_can_network_connect"]?.active == true)
        let json = f.json()
        #expect(json.value(atPath: "kernel.booleans.httpd_can_network_connect.active") == .bool(true))
        #expect(json.value(atPath: "kernel.booleans.zebra_write.pending") == .bool(true))
        #expect(json.value(atPath: "kernel.booleans.ftpd_full_access.active") == .null)
        #expect(json.value(atPath: "kernel.booleans")?.objectValue?.keys
            == ["ftpd_full_access", "httpd_can_network_connect", "zebra_write"])
        #expect(json.value(atPath: "kernel.booleans_pending_change") == ["zebra_write"])
    }

    @Test("booleans unreadable: null, not an empty map")
    func booleansUnreadable() {
        let f = facts(.fakeEnabled(enforcing: true, booleans: nil), .enforcing)
        #expect(f.json().value(atPath: "kernel.booleans") == .null)
        #expect(f.json().value(atPath: "kernel.booleans_pending_change") == .null)
        let g = facts(.fakeEnabled(enforcing: true, booleans: []), .enforcing)
        #expect(g.json().value(atPath: "kernel.booleans") == .object(JSONObject()))
    }

    @Test("drift: configured enforcing, running permissive (setenforce 0)")
    func driftPermissiveAtRuntime() throws {
        let f = facts(.fakeEnabled(enforcing: false), .enforcing)
        let d = try #require(f.drift)
        #expect(d.count == 1)
        #expect(d[0].kind == .runtimeModeDiffersFromConfig)
        #expect(d[0].configured == .enforcing)
        #expect(d[0].runtime == .permissive)
        #expect(d[0].message.contains("setenforce 0"))
        #expect(f.json().value(atPath: "drift.0.kind") == "runtime-mode-differs-from-config")
    }

    @Test("drift: configured permissive, running enforcing")
    func driftEnforcingAtRuntime() throws {
        let d = try #require(facts(.fakeEnabled(enforcing: true), .permissive).drift)
        #expect(d.map(\.kind) == [.runtimeModeDiffersFromConfig])
        #expect(d[0].runtime == .enforcing)
        #expect(d[0].message.contains("next reboot"))
    }

    @Test("drift: configured on, kernel disabled — relabel and reboot", arguments: [SELinuxMode.enforcing, .permissive])
    func driftKernelDisabled(mode: SELinuxMode) throws {
        let d = try #require(facts(.fakeDisabled, mode).drift)
        #expect(d.map(\.kind) == [.configEnabledKernelDisabled])
        #expect(d[0].configured == mode)
        #expect(d[0].runtime == .disabled)
        #expect(d[0].message.contains("relabel"))
        #expect(d[0].message.contains("reboot"))
    }

    @Test("drift: configured disabled, kernel enabled — only at reboot", arguments: [true as Bool?, false, nil])
    func driftConfigDisabled(enforcing: Bool?) throws {
        let d = try #require(facts(.fakeEnabled(enforcing: enforcing), .disabled).drift)
        #expect(d.map(\.kind) == [.configDisabledKernelEnabled])
        #expect(d[0].configured == .disabled)
        #expect(d[0].message.contains("next boot"))
        #expect(d[0].runtime == enforcing.map { $0 ? .enforcing : .permissive })
    }

    @Test("no drift when both say disabled")
    func noDriftDisabled() {
        #expect(facts(.fakeDisabled, .disabled).drift == [])
    }

    @Test("runtime unavailable: kernel nulls, reason, drift null")
    func unavailable() {
        let f = SELinuxFacts.make(runtime: nil, runtimeUnavailableReason: "not live", config: Self.enforcingConfig)
        #expect(f.runtimeAvailable == false)
        #expect(f.runtimeUnavailableReason == "not live")
        #expect(f.kernel.enabled == nil)
        #expect(f.kernel.runtimeMode == nil)
        #expect(f.drift == nil)
        #expect(f.config.mode == .enforcing)
        let json = f.json()
        #expect(json.value(atPath: "runtime_available") == false)
        #expect(json.value(atPath: "kernel.enabled") == .null)
        #expect(json.value(atPath: "kernel.runtime_mode") == .null)
        #expect(json.value(atPath: "kernel.booleans") == .null)
        #expect(json.value(atPath: "config.mode") == "enforcing")
    }

    @Test("runtime unavailable without a reason still gets one")
    func defaultReason() {
        let f = SELinuxFacts.make(runtime: nil, runtimeUnavailableReason: nil, config: .missing())
        #expect(f.runtimeUnavailableReason?.isEmpty == false)
    }

    @Test("JSON shape: stable snake_case keys in declaration order")
    func jsonShape() {
        let f = facts(.fakeEnabled(enforcing: false), .enforcing)
        let json = f.json()
        #expect(json.objectValue?.keys == ["runtime_available", "runtime_unavailable_reason", "kernel", "config", "drift", "boot", "unconfined_daemons"])
        #expect(
            json["kernel"]?.objectValue?.keys == [
                "enabled", "runtime_mode", "mls_enabled", "deny_unknown", "reject_unknown", "handle_unknown",
                "policy_version", "booleans", "booleans_pending_change", "selinuxfs_mount", "sys_fs_selinux_present",
                "libselinux_enabled", "errors",
            ])
        #expect(json["config"]?.objectValue?.keys == ["path", "present", "mode", "policy_type", "error", "problems"])
        #expect(json["drift"]?[0]?.objectValue?.keys == ["kind", "message", "configured", "runtime"])
        #expect(json.value(atPath: "config.policy_type") == "targeted")
        #expect(json.value(atPath: "config.path") == "/etc/selinux/config")
        #expect(json.value(atPath: "kernel.runtime_mode") == "permissive")
    }

    @Test("config problems and read errors reach the JSON")
    func configProblemsInJSON() {
        let bad = SELinuxConfig.parse(Array("SELINUX=bogus\n".utf8))
        let f = SELinuxFacts.make(runtime: nil, runtimeUnavailableReason: "x", config: bad)
        #expect(f.json().value(atPath: "config.problems.0.line") == 1)
        #expect(f.json().value(atPath: "config.problems.0.text") == "SELINUX=bogus")
        #expect(f.json().value(atPath: "config.mode") == .null)
        let unreadable = SELinuxConfig.unreadable(present: true, error: "open(/etc/selinux/config): Permission denied")
        let g = SELinuxFacts.make(runtime: .fakeDisabled, runtimeUnavailableReason: nil, config: unreadable)
        #expect(g.json().value(atPath: "config.error") == "open(/etc/selinux/config): Permission denied")
        #expect(g.json().value(atPath: "config.present") == true)
        #expect(g.drift == nil)
    }
}
