#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HostAuditCore

/// Collects the `kernel` section: taint flags, `/proc/modules`, and loadable
/// modules present in `/sys/module` but missing from `/proc/modules`.
/// These are live-kernel facts: unavailable with `--root`.
public struct KernelCollector: Sendable {
    public let scope: CollectionScope
    package let procfs: Procfs
    /// The sysfs mount (`/sys`, or a fixture tree).
    public let sysRoot: String
    /// Where the sysctl configuration files are read: `scope` unless given
    /// (`facts --sysctl-config-root`: a prepared tree compared with this kernel).
    public let sysctlConfigScope: CollectionScope

    public init(
        scope: CollectionScope = .live, procfs: Procfs = Procfs(), sysRoot: String = "/sys",
        sysctlConfigScope: CollectionScope? = nil
    ) {
        self.scope = scope
        self.procfs = procfs
        self.sysRoot = sysRoot
        self.sysctlConfigScope = sysctlConfigScope ?? scope
    }

    public func collect() -> KernelFacts {
        let sysctl = SysctlCollector(configScope: sysctlConfigScope, readLive: scope.isLive, procfs: procfs).collect()
        guard scope.isLive else {
            return .unavailable(
                "taint and loaded modules are live-kernel facts; not read with --root (the image's kernel is not running)",
                sysctl: sysctl)
        }
        let io = ProcfsIO()
        var errors: [String] = []

        var taint: KernelFacts.Taint?
        do throws(SysErr) {
            let text = try procfs.readText("sys/kernel/tainted", io)
            if let v = UInt64(text.filter { !$0.isWhitespace }) {
                taint = .decode(v)
            } else {
                errors.append("\(procfs.root)/sys/kernel/tainted: not a number")
            }
        } catch { errors.append("\(procfs.root)/sys/kernel/tainted: \(error.message)") }

        var modules: [KernelFacts.Module] = []
        var modulesRead = false
        do throws(SysErr) {
            modules = KernelFacts.Module.parse(try procfs.readText("modules", io, limit: 16 << 20))
            modulesRead = true
        } catch {
            // A kernel without module support has no /proc/modules (and no loadable modules).
            if error.errno != .noSuchFileOrDirectory { errors.append("\(procfs.root)/modules: \(error.message)") }
        }

        var hidden: [KernelFacts.HiddenModule] = []
        if modulesRead {
            let loaded = Set(modules.map(\.name))
            let base = sysRoot + "/module"
            do throws(SysErr) {
                let dir = try io.openDirectory(base)
                defer { close(dir) }
                for name in try io.names(of: dir).sorted() where !loaded.contains(name) {
                    guard let mdir = try? io.openDirectory(name, at: dir) else { continue }
                    defer { close(mdir) }
                    // Built-in modules have no initstate; loadable ones always do.
                    guard let initstate = try? io.read("initstate", at: mdir, limit: 64) else { continue }
                    var sections: [String] = []
                    if let sdir = try? io.openDirectory("sections", at: mdir) {
                        sections = ((try? io.names(of: sdir)) ?? []).sorted()
                        close(sdir)
                    }
                    let t = (try? io.read("taint", at: mdir, limit: 64)).map {
                        String(decoding: $0.bytes, as: UTF8.self).trimmingWhitespace
                    }
                    hidden.append(
                        KernelFacts.HiddenModule(
                            name: name, initstate: String(decoding: initstate.bytes, as: UTF8.self).trimmingWhitespace,
                            sections: sections, taint: t))
                }
            } catch { errors.append("\(base): \(error.message)") }
        }
        return KernelFacts(
            available: true, taint: taint, modules: modules, hiddenModules: hidden, errors: errors, sysctl: sysctl)
    }
}

extension String {
    var trimmingWhitespace: String {
        String(self.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
