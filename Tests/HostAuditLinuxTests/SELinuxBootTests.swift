import Foundation
import HostAuditCore
@testable import HostAuditLinux
import HostAuditTestSupport
import Testing

/// `selinux.boot`: parameters that disable SELinux or boot it permissive, from
/// the boot loader configuration below --root and the running command line.
@Suite struct SELinuxBootTests {
    @Test func bootloaderFilesBelowRoot() throws {
        let f = SELinuxCollector(scope: CollectionScope(root: Fixtures.root("selinux-boot"))).collect()
        let boot = try #require(f.boot)
        #expect(boot.checked)
        #expect(!boot.cmdlineAvailable && boot.cmdline == nil, "the running kernel is not the image's")
        let found = boot.disabling.map { "\($0.path):\($0.line ?? 0) \($0.parameter) \($0.effect)" }
        #expect(
            found == [
                "/etc/default/grub:4 selinux=0 disabled",
                "/etc/default/grub.d/50-debug.cfg:1 enforcing=0 permissive",
                "/etc/kernel/cmdline:1 security=apparmor disabled",
                "/boot/loader/entries/a.conf:3 lsm=landlock,yama disabled",
            ])
        #expect(boot.bootloader.map(\.setting) == ["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT", "GRUB_CMDLINE_LINUX_DEFAULT", "cmdline", "options"])
        #expect(boot.errors.isEmpty, "\(boot.errors)")
    }

    @Test func noParametersNoFindings() throws {
        let f = SELinuxCollector(scope: CollectionScope(root: Fixtures.root("selinux-enforcing"))).collect()
        let boot = try #require(f.boot)
        #expect(boot.disabling.isEmpty && boot.bootloader.isEmpty)
    }

    @Test func liveCommandLineIsRead() throws {
        let f = SELinuxCollector(scope: .live).collect()
        let boot = try #require(f.boot)
        let cmdline = try String(contentsOfFile: "/proc/cmdline", encoding: .utf8)
        #expect(boot.cmdlineAvailable)
        // Whatever this machine booted with, the facts say the same about selinux=.
        let selinux = SELinuxBootFacts.tokens(cmdline).last { $0.hasPrefix("selinux=") }.map { String($0.dropFirst(8)) }
        #expect(boot.cmdline?.selinux == selinux)
    }

    @Test func commandLineParsing() {
        #expect(SELinuxBootFacts.tokens("a \"b c\" d=\"e f\"  g") == ["a", "b c", "d=e f", "g"])
        let p = SELinuxBootFacts.parameters(["selinux=1", "enforcing=0", "selinux=0", "lsm=yama,selinux"])
        #expect(p.selinux == "0", "the last occurrence wins")
        #expect(p.enforcing == "0" && p.lsm == "yama,selinux")
        let b = SELinuxBootFacts(
            cmdline: Array("BOOT_IMAGE=/vmlinuz ro lsm=yama,selinux enforcing=1".utf8), cmdlineUnavailableReason: nil,
            bootloader: [])
        #expect(b.disabling.isEmpty, "selinux in lsm= and enforcing=1 disable nothing")
        let g = SELinuxBootFacts.grubLines(Array("#GRUB_CMDLINE_LINUX=\"selinux=0\"\nexport GRUB_CMDLINE_LINUX='enforcing=0'\n".utf8), path: "/g")
        #expect(g.map(\.line) == [2] && g.first?.parameters.enforcing == "0", "comments are not settings")
        let q = SELinuxBootFacts.grubLines(Array("GRUB_CMDLINE_LINUX=\"quiet selinux=0\" # note\n".utf8), path: "/g")
        #expect(q.first?.parameters.selinux == "0", "a double-quoted value holds several parameters")
    }

    @Test func unconfinedDaemonsFromProcessContexts() throws {
        var c = SELinuxCollector(
            scope: .live, runtime: FakeSELinuxRuntime(.fakeEnabled(enforcing: true)), files: HostFiles(root: Fixtures.root("selinux-enforcing")))
        c.procfs = Procfs(root: Fixtures.path("proc/selinux-unconfined"))
        let f = c.collect()
        let list = try #require(f.unconfinedDaemons)
        // init_t and sshd_t are confined; an unconfined_t shell whose parent is not init is a user's, not a daemon.
        #expect(list.map(\.pid) == [300, 400, 500])
        #expect(list.map(\.comm) == ["redis-server", "legacyd", "nohupd"])
        #expect(list.first?.context == "system_u:system_r:unconfined_service_t:s0")
        // SELinux off in the running kernel: nothing to tell.
        var off = SELinuxCollector(
            scope: .live, runtime: FakeSELinuxRuntime(.fakeDisabled), files: HostFiles(root: Fixtures.root("selinux-enforcing")))
        off.procfs = c.procfs
        #expect(off.collect().unconfinedDaemons == nil)
    }
}
