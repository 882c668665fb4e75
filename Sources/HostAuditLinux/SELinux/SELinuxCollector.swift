#if canImport(Glibc)
import Glibc
#endif
import HostAuditCore

/// Collects the `selinux` facts: the configuration from the audited host's
/// files (below `--root` when given) and, on the live host only, the running
/// kernel's state. Never throws: whatever fails becomes data in the facts.
public struct SELinuxCollector: Sendable {
    public let scope: CollectionScope
    package let runtime: any SELinuxRuntimeSource
    /// Where the configuration is read: the scope's files, except in tests.
    let files: HostFiles
    /// Where process contexts are read (`attr/current`): /proc, except in tests.
    var procfs = Procfs()

    public init(scope: CollectionScope, runtime: any SELinuxRuntimeSource = LibSELinuxRuntime()) {
        self.init(scope: scope, runtime: runtime, files: HostFiles(scope: scope))
    }

    /// For tests: a live scope (the runtime source is asked) with the
    /// configuration read from `files` (a fixture root).
    init(scope: CollectionScope, runtime: any SELinuxRuntimeSource, files: HostFiles) {
        self.scope = scope
        self.runtime = runtime
        self.files = files
    }

    public static let notLiveReason =
        "the kernel is not read when auditing a root directory (--root): the running kernel is not the audited system's"

    public func collect() -> SELinuxFacts {
        var facts = collectModes()
        facts.boot = readBoot()
        if scope.isLive, facts.kernel.enabled == true { facts.unconfinedDaemons = unconfinedDaemons() }
        return facts
    }

    func collectModes() -> SELinuxFacts {
        let config = readConfig()
        guard scope.isLive else {
            return .make(runtime: nil, runtimeUnavailableReason: Self.notLiveReason, config: config)
        }
        do {
            let state = try runtime.read()
            return .make(runtime: state, runtimeUnavailableReason: nil, config: config)
        } catch {
            return .make(runtime: nil, runtimeUnavailableReason: "reading SELinux state failed: \(error)", config: config)
        }
    }

    /// Every process whose SELinux context is an unconfined daemon's (see
    /// `SELinuxFacts.isUnconfinedDaemon`); processes that exit or cannot be read are skipped.
    func unconfinedDaemons() -> [SELinuxFacts.UnconfinedProcess]? {
        let io = ProcfsIO()
        guard let pids = try? procfs.listPids(io), let procfd = try? io.openDirectory(procfs.root) else { return nil }
        defer { close(procfd) }
        var out: [SELinuxFacts.UnconfinedProcess] = []
        for pid in pids.sorted() {
            guard let dir = try? io.openDirectory(String(pid), at: procfd) else { continue }
            defer { close(dir) }
            guard let raw = try? io.read("attr/current", at: dir, limit: 4096).bytes,
                let s = try? io.read("stat", at: dir, limit: 4096), let st = Procfs.parseStat(s.bytes)
            else { continue }
            let context = String(decoding: raw.prefix { $0 != 0 && $0 != 10 }, as: UTF8.self)
            guard SELinuxFacts.isUnconfinedDaemon(context: context, ppid: st.ppid) else { continue }
            out.append(.init(pid: pid, ppid: st.ppid, comm: HostBytes.text(st.commBytes).0, context: context))
        }
        return out
    }

    /// The running kernel's command line (live only) and the boot loader
    /// configuration below the scope's root.
    func readBoot() -> SELinuxBootFacts {
        var errors: [String] = []
        var cmdline: [UInt8]?
        var reason: String?
        if scope.isLive {
            do { cmdline = try HostFiles(scope: .live).read("/proc/cmdline", limit: 8192).bytes } catch {
                reason = "/proc/cmdline: \(error)"
            }
        } else {
            reason = "the running kernel's command line is not the audited system's (--root)"
        }
        var lines: [SELinuxBootFacts.BootloaderLine] = []
        func read(_ path: String) -> [UInt8]? {
            do { return try files.read(path, limit: 1 << 20).bytes } catch {
                if error.errnoValue != ENOENT && error.errnoValue != ENOTDIR { errors.append("\(path): \(error)") }
                return nil
            }
        }
        func list(_ dir: String, suffix: String) -> [String] {
            ((try? files.list(dir)) ?? []).filter { $0.hasSuffix(suffix) }.sorted().map { dir + "/" + $0 }
        }
        for path in ["/etc/default/grub"] + list("/etc/default/grub.d", suffix: ".cfg") {
            if let b = read(path) { lines += SELinuxBootFacts.grubLines(b, path: path) }
        }
        if let b = read("/etc/kernel/cmdline") {
            lines.append(
                .init(
                    path: "/etc/kernel/cmdline", line: 1, setting: "cmdline",
                    parameters: SELinuxBootFacts.parameters(SELinuxBootFacts.tokens(String(decoding: b, as: UTF8.self)))))
        }
        for path in list("/boot/loader/entries", suffix: ".conf") {
            if let b = read(path) { lines += SELinuxBootFacts.loaderEntryLines(b, path: path) }
        }
        return SELinuxBootFacts(cmdline: cmdline, cmdlineUnavailableReason: reason, bootloader: lines, errors: errors)
    }

    /// Reads and parses /etc/selinux/config through `HostFiles`.
    func readConfig() -> SELinuxConfig {
        let path = SELinuxConfig.defaultPath
        do {
            let contents = try files.read(path, limit: SELinuxConfig.sizeLimit)
            return SELinuxConfig.parse(contents.bytes, path: path, truncated: contents.truncated)
        } catch {
            switch error.errnoValue {
            case ENOENT?, ENOTDIR?:
                return .missing(path: path)
            default:
                // It may exist but be unreadable (EACCES, ELOOP, a FIFO…): say whether it is there.
                let present: Bool? = (try? files.metadata(path, followLinks: false)) != nil ? true : nil
                return .unreadable(path: path, present: present, error: error.description)
            }
        }
    }
}
