import Foundation
import HostAuditCore
@testable import HostAuditLinux
import HostAuditTestSupport
import Testing

private let liveSELinux = FileManager.default.fileExists(atPath: "/sys/fs/selinux/enforce")
private let liveNoSELinux = !FileManager.default.fileExists(atPath: "/sys/fs/selinux")

@Suite("SELinux live (real libselinux)")
struct SELinuxLiveTests {
    @Test("a kernel without SELinux reads as disabled", .enabled(if: liveNoSELinux, "this kernel has SELinux"))
    func disabledKernel() throws {
        let state = try LibSELinuxRuntime().read()
        #expect(state.selinuxfsMount == nil)
        #expect(state.sysFsSelinuxPresent == false)
        #expect(state.libselinuxEnabled == false)
        #expect(state.kernelEnabled == false)
        // Nothing else is asked of a kernel without selinuxfs.
        #expect(state.enforcing == nil)
        #expect(state.mlsEnabled == nil)
        #expect(state.denyUnknown == nil)
        #expect(state.rejectUnknown == nil)
        #expect(state.policyVersion == nil)
        #expect(state.booleans == nil)
        #expect(state.errors == [])
    }

    @Test("the live collector on a kernel without SELinux", .enabled(if: liveNoSELinux, "this kernel has SELinux"))
    func liveCollectorDisabled() {
        let facts = SELinuxCollector(scope: .live).collect()
        #expect(facts.runtimeAvailable)
        #expect(facts.kernel.enabled == false)
        #expect(facts.kernel.runtimeMode == .disabled)
        let configExists = FileManager.default.fileExists(atPath: "/etc/selinux/config")
        #expect(facts.config.present == configExists)
        #expect(facts.config.path == "/etc/selinux/config")
        if !configExists {
            #expect(facts.config.mode == nil)
            #expect(facts.drift == nil)
        }
        let json = facts.json()
        #expect(json.value(atPath: "kernel.runtime_mode") == "disabled")
        #expect(json.value(atPath: "runtime_unavailable_reason") == .null)
    }

    @Test("on an SELinux kernel, the values have the right shape", .enabled(if: liveSELinux, "no SELinux here"))
    func enabledKernelShape() throws {
        let state = try LibSELinuxRuntime().read()
        #expect(state.selinuxfsMount != nil)
        #expect(state.kernelEnabled)
        #expect(state.enforcing != nil)
        if let v = state.policyVersion { #expect((15...100).contains(v)) }
        if let b = state.booleans { #expect(b.allSatisfy { !$0.name.isEmpty && !$0.name.contains("/") }) }
    }
}

@Suite("SELinux collector with fixture roots")
struct SELinuxCollectorRootTests {
    func collect(_ fixture: String, runtime: FakeSELinuxRuntime = FakeSELinuxRuntime(.fakeDisabled)) -> SELinuxFacts {
        SELinuxCollector(scope: CollectionScope(root: Fixtures.root(fixture)), runtime: runtime).collect()
    }

    @Test("--root never reads the running kernel")
    func rootIsNotLive() {
        let fake = FakeSELinuxRuntime(.fakeEnabled(enforcing: true))
        let f = collect("selinux-enforcing", runtime: fake)
        #expect(fake.readCount == 0)
        #expect(f.runtimeAvailable == false)
        #expect(f.runtimeUnavailableReason == SELinuxCollector.notLiveReason)
        #expect(f.kernel.enabled == nil)
        #expect(f.kernel.runtimeMode == nil)
        #expect(f.drift == nil)
        let json = f.json()
        #expect(json.value(atPath: "runtime_available") == false)
        #expect(json.value(atPath: "kernel.enabled") == .null)
        #expect(json.value(atPath: "kernel.runtime_mode") == .null)
        #expect(json.value(atPath: "drift") == .null)
    }

    @Test(
        "fixture configs",
        arguments: [
            ("selinux-enforcing", SELinuxMode.enforcing, "targeted"), ("selinux-permissive", .permissive, "mls"),
            ("selinux-disabled", .disabled, "targeted"),
        ])
    func modes(fixture: String, mode: SELinuxMode, type: String) {
        let f = collect(fixture)
        #expect(f.config.present == true)
        #expect(f.config.mode == mode)
        #expect(f.config.policyType == type)
        #expect(f.config.problems == [])
        #expect(f.config.error == nil)
        #expect(f.config.path == "/etc/selinux/config", "the host path, not the fixture path")
    }

    @Test("a missing file is absent, not an error")
    func missing() {
        let f = collect("selinux-missing")
        #expect(f.config.present == false)
        #expect(f.config.mode == nil)
        #expect(f.config.policyType == nil)
        #expect(f.config.error == nil)
        #expect(f.config.problems == [])
    }

    @Test("a malformed file: libselinux's reading, every problem with its line")
    func malformed() {
        let f = collect("selinux-malformed")
        #expect(f.config.present == true)
        #expect(f.config.mode == .permissive, "first valid SELINUX= line (7) wins")
        #expect(f.config.policyType == "\"targeted\"", "last SELINUXTYPE= wins, quotes kept as libselinux does")
        let lines = f.config.problems.compactMap(\.line)
        #expect(lines == [1, 2, 3, 4, 5, 6, 8, 9, 11, 11, 12])
        let byLine = Dictionary(grouping: f.config.problems, by: { $0.line ?? 0 })
        #expect(byLine[1]?.first?.problem.contains("CRLF") == true)
        #expect(byLine[2]?.first?.problem.contains("not a KEY=VALUE") == true)
        #expect(byLine[3]?.first?.problem.contains("bogus") == true)
        #expect(byLine[6]?.first?.problem.contains("quotes") == true)
        #expect(byLine[8]?.first?.problem.contains("duplicate SELINUX=") == true)
        #expect(byLine[11]?.contains { $0.problem.contains("overrides line 10") } == true)
        #expect(byLine[12]?.first?.problem == "unknown key FOO; ignored")
        #expect(f.config.problems.allSatisfy { $0.text.map { !$0.contains("\r") } ?? true })
    }

    @Test("a binary file is reported, not parsed")
    func binary() {
        let f = collect("selinux-binary")
        #expect(f.config.present == true)
        #expect(f.config.mode == nil)
        #expect(f.config.problems.count == 1)
        #expect(f.config.problems.first?.problem.contains("binary") == true)
    }

    @Test("a huge file is bounded and reported")
    func huge() throws {
        let root = try Fixtures.temporaryDirectory("ha-selinux")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let filler = String(repeating: "# padding padding padding padding padding padding padding\n", count: 20_000)
        try Fixtures.write("SELINUX=enforcing\nSELINUXTYPE=targeted\n" + filler, to: "/etc/selinux/config", under: root)
        let f = SELinuxCollector(scope: CollectionScope(root: root), runtime: FakeSELinuxRuntime(.fakeDisabled)).collect()
        #expect(f.config.mode == .enforcing)
        #expect(f.config.problems.count == 1)
        #expect(f.config.problems.first?.problem.contains("larger than") == true)
    }

    @Test("a FIFO planted as the config is refused without blocking")
    func fifo() throws {
        let root = try Fixtures.temporaryDirectory("ha-selinux")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/etc/selinux", withIntermediateDirectories: true)
        #expect(mkfifo(root + "/etc/selinux/config", 0o644) == 0)
        let f = SELinuxCollector(scope: CollectionScope(root: root), runtime: FakeSELinuxRuntime(.fakeDisabled)).collect()
        #expect(f.config.present == true)
        #expect(f.config.mode == nil)
        #expect(f.config.error?.contains("not a regular file") == true)
    }

    @Test("an absolute symlink resolves inside the root, never on this machine")
    func symlinkStaysInRoot() throws {
        let root = try Fixtures.temporaryDirectory("ha-selinux")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Fixtures.write("SELINUX=permissive\nSELINUXTYPE=minimum\n", to: "/usr/share/selinux/config", under: root)
        try FileManager.default.createDirectory(atPath: root + "/etc/selinux", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: root + "/etc/selinux/config", withDestinationPath: "/usr/share/selinux/config")
        let f = SELinuxCollector(scope: CollectionScope(root: root), runtime: FakeSELinuxRuntime(.fakeDisabled)).collect()
        #expect(f.config.mode == .permissive)
        #expect(f.config.policyType == "minimum")
        // A dangling link is a missing file.
        try FileManager.default.removeItem(atPath: root + "/usr/share/selinux/config")
        let g = SELinuxCollector(scope: CollectionScope(root: root), runtime: FakeSELinuxRuntime(.fakeDisabled)).collect()
        #expect(g.config.present == false)
    }
}

/// The live scope with a fake kernel and a fixture configuration: drift
/// computed end to end through the collector.
@Suite("SELinux collector drift with a fake runtime")
struct SELinuxCollectorDriftTests {
    func facts(_ fixture: String, _ state: SELinuxRuntimeState) -> SELinuxFacts {
        let fake = FakeSELinuxRuntime(state)
        let f = SELinuxCollector(scope: .live, runtime: fake, files: HostFiles(root: Fixtures.root(fixture))).collect()
        #expect(fake.readCount == 1)
        return f
    }

    @Test("live scope asks the runtime source exactly once")
    func liveUsesRuntime() {
        let fake = FakeSELinuxRuntime(.fakeEnabled(enforcing: false))
        let f = SELinuxCollector(scope: .live, runtime: fake).collect()
        #expect(fake.readCount == 1)
        #expect(f.runtimeAvailable)
        #expect(f.kernel.runtimeMode == .permissive)
    }

    @Test("a failing runtime source becomes data, not a crash")
    func runtimeFailure() {
        let fake = FakeSELinuxRuntime(error: .unsupported(reason: "no libselinux"))
        let f = SELinuxCollector(scope: .live, runtime: fake).collect()
        #expect(f.runtimeAvailable == false)
        #expect(f.runtimeUnavailableReason?.contains("no libselinux") == true)
        #expect(f.kernel.enabled == nil)
        #expect(f.drift == nil)
    }

    @Test("enforcing config, permissive kernel: setenforce 0 leftover")
    func setenforceZero() {
        let f = facts("selinux-enforcing", .fakeEnabled(enforcing: false))
        #expect(f.drift?.map(\.kind) == [.runtimeModeDiffersFromConfig])
        #expect(f.json().value(atPath: "drift.0.configured") == "enforcing")
        #expect(f.json().value(atPath: "drift.0.runtime") == "permissive")
    }

    @Test("enforcing config, SELinux-less kernel: relabel and reboot")
    func kernelDisabled() {
        let f = facts("selinux-enforcing", .fakeDisabled)
        #expect(f.drift?.map(\.kind) == [.configEnabledKernelDisabled])
        #expect(f.drift?.first?.message.contains("relabel") == true)
    }

    @Test("disabled config, enforcing kernel: only at reboot")
    func configDisabled() {
        let f = facts("selinux-disabled", .fakeEnabled(enforcing: true))
        #expect(f.drift?.map(\.kind) == [.configDisabledKernelEnabled])
    }

    @Test("agreement and missing config give no drift")
    func noDrift() {
        #expect(facts("selinux-enforcing", .fakeEnabled(enforcing: true)).drift == [])
        #expect(facts("selinux-permissive", .fakeEnabled(enforcing: false)).drift == [])
        #expect(facts("selinux-disabled", .fakeDisabled).drift == [])
        #expect(facts("selinux-missing", .fakeEnabled(enforcing: true)).drift == nil)
        #expect(facts("selinux-binary", .fakeEnabled(enforcing: true)).drift == nil)
    }
}
