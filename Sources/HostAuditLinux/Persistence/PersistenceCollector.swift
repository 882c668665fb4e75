#if canImport(Glibc)
import Glibc
#endif
import CHostAuditShims
import HostAuditCore

/// Collects `hostaudit facts persistence`: ld.so.preload, kernel tunables,
/// cron, systemd units, authorized_keys, immutable flags, /etc/hosts pool and
/// vendor entries and cloud security agents.
///
/// Every file is read through `HostFiles`, so `--root DIR` reads below DIR with
/// links resolved inside it. Runtime values (`/proc/sys`, `/sys`) and the
/// process scan are read only on the live host. Never throws: what cannot be
/// read becomes data.
public struct PersistenceCollector: Sendable {
    public let scope: CollectionScope
    public var domainLists: PersistenceDomainLists
    public var agents: [CloudAgentDefinition]
    let files: HostFiles
    /// For tests: a process table used instead of scanning /proc (also with `--root`).
    var processTableOverride: ProcessTable? = nil
    /// YARA over the files persistence points at (`persistence.signatures`); nil: not scanned.
    public var signatures: SignatureScanOptions? = nil

    public static let readLimit = 1 << 20
    /// At most this many files per directory are read (a hostile image may hold millions).
    public static let directoryLimit = 5000

    public init(scope: CollectionScope) {
        self.init(scope: scope, domainLists: .default, agents: CloudAgentDefinition.defaults)
    }

    public init(scope: CollectionScope, domainLists: PersistenceDomainLists, agents: [CloudAgentDefinition]) {
        self.scope = scope
        self.domainLists = domainLists
        self.agents = agents
        self.files = HostFiles(scope: scope)
    }

    public static let notLiveReason =
        "runtime values are not read when auditing a root directory (--root): the running kernel is not the audited system's"

    public func collect() -> PersistenceFacts {
        var indicators: [PersistenceIndicator] = []
        let accounts = readAccounts()

        let preload = readPreload()
        for e in preload.entries {
            indicators.append(
                .init(
                    area: "ld-so-preload", indicator: "preload-entry", path: preload.status.path, line: e.line,
                    match: e.library,
                    detail: "ld.so preloads \(e.library) into every dynamically linked program"
                        + (e.exists == false ? " (the library is missing)" : "")))
        }

        let kernel = readKernel()
        indicators += kernelIndicators(kernel)

        let cron = readCron()
        for f in cron.files {
            for e in f.entries {
                for i in e.indicators {
                    indicators.append(
                        .init(area: "cron", indicator: i.indicator, path: f.status.path, line: e.line, match: i.match, detail: e.command))
                }
            }
            for l in f.scriptLines {
                for i in l.indicators {
                    indicators.append(
                        .init(area: "cron", indicator: i.indicator, path: f.status.path, line: l.line, match: i.match, detail: l.text))
                }
            }
        }

        let systemd = readSystemd(accounts: accounts)
        for u in systemd.units {
            for i in u.indicators {
                let line = u.execs.first { $0.indicators.contains(i) }?.line
                indicators.append(
                    .init(
                        area: "systemd", indicator: i.indicator, path: u.resolvedPath ?? u.path, line: line, match: i.match,
                        detail: "\(u.name)" + (u.enabled ? " (enabled)" : "") + (u.description.map { ": \($0)" } ?? "")))
            }
        }

        let keys = readAuthorizedKeys(accounts: accounts)

        var sensitive = SensitiveFiles.fixed.map { attributes($0) }.filter { $0.present || $0.error != nil }
        let sudoers = listFiles("/etc/sudoers.d").names.map { attributes("/etc/sudoers.d/" + $0) }
        sensitive += sudoers.filter(\.present)
        let known = Set(sensitive.map(\.path))
        sensitive += cron.files.map(\.status).filter { !known.contains($0.path) }
        sensitive += keys.map(\.status)
        for s in sensitive {
            if s.immutable == true {
                indicators.append(
                    .init(area: "file-attributes", indicator: "immutable", path: s.path, line: nil, match: nil,
                          detail: "immutable flag set (chattr +i): nobody, not even root, can change or remove it without chattr -i"))
            }
            if s.appendOnly == true {
                indicators.append(
                    .init(area: "file-attributes", indicator: "append-only", path: s.path, line: nil, match: nil,
                          detail: "append-only flag set (chattr +a)"))
            }
        }

        let hosts = readHosts()
        for m in hosts.matches {
            indicators.append(
                .init(
                    area: "hosts", indicator: m.list == "pool" ? "pool-domain" : "security-vendor-domain", path: hosts.status.path,
                    line: m.line, match: m.name,
                    detail: "\(m.name) (under \(m.suffix)) points to \(m.address)"
                        + (m.pointsTo == "other" ? " (redirected)" : " (blocked)")))
        }

        let cloud = readCloudAgents(units: systemd.units)
        for a in cloud.agents where a.installed && a.running == false {
            indicators.append(
                .init(
                    area: "cloud-agent", indicator: "agent-not-running", path: a.evidence.first ?? "", line: nil, match: a.id,
                    detail: "\(a.vendor) \(a.product) is installed but none of \(a.expectedProcesses.joined(separator: ", ")) is running"))
        }

        var facts = PersistenceFacts(
            live: scope.isLive, indicators: indicators, ldSoPreload: preload, kernel: kernel, cron: cron, systemd: systemd,
            authorizedKeys: keys, fileAttributes: sensitive, hosts: hosts, cloudAgents: cloud)
        if let signatures {
            let s = scanSignatures(facts, options: signatures)
            facts.signatures = s
            facts.indicators += Self.signatureIndicators(s)
        }
        return facts
    }

    // MARK: - File helpers

    /// Reads a file: its status (with inode flags when `attributes`) and bytes.
    /// A path built from a listed name that is not UTF-8 opens it by its bytes
    /// (`RawName`, in `HostFiles`).
    func read(_ path: String, attributes: Bool = true) -> (FileStatus, [UInt8]?) {
        var status = FileStatus(path: path)
        do throws(ProbeError) {
            let c = try files.read(path, limit: Self.readLimit)
            status.present = true
            status.mtimeMs = c.metadata.mtimeMs
            status.size = c.size
            status.truncated = c.truncated
            if attributes { addFlags(&status) }
            return (status, c.bytes)
        } catch {
            switch error.errnoValue {
            case ENOENT?, ENOTDIR?: break
            default:
                status.present = (try? files.metadata(path, followLinks: false)) != nil
                status.error = error.description
                if status.present, attributes { addFlags(&status) }
            }
            return (status, nil)
        }
    }

    func addFlags(_ status: inout FileStatus) {
        do {
            let f = try files.inodeFlags(status.path)
            status.immutable = f.immutable
            status.appendOnly = f.appendOnly
        } catch {
            status.attributesError = error.description
        }
    }

    /// Status and flags without reading the content.
    func attributes(_ path: String) -> FileStatus {
        var status = FileStatus(path: path)
        do {
            let m = try files.metadata(path)
            status.present = true
            status.mtimeMs = m.mtimeMs
            status.size = m.size
            addFlags(&status)
        } catch {
            if error.errnoValue != ENOENT && error.errnoValue != ENOTDIR { status.error = error.description }
        }
        return status
    }

    /// `listFiles` with each entry's exact bytes.
    func listEntries(_ dir: String) -> (entries: [HostFiles.DirectoryEntry], problem: FileProblem?) {
        capped(dir) { () throws(ProbeError) in try files.listEntries(dir) }
    }

    /// Names in a directory (sorted, capped); a directory that exists but cannot be listed is a problem.
    func listFiles(_ dir: String) -> (names: [String], problem: FileProblem?) {
        capped(dir) { () throws(ProbeError) in try files.list(dir) }
    }

    /// A directory listing cut to `directoryLimit` entries (saying so); an
    /// absent directory is empty, one that cannot be listed is a problem.
    private func capped<T>(_ dir: String, _ list: () throws(ProbeError) -> [T]) -> ([T], FileProblem?) {
        do {
            let items = try list()
            if items.count > Self.directoryLimit {
                return (
                    Array(items.prefix(Self.directoryLimit)),
                    FileProblem(path: dir, line: nil, text: nil, problem: "\(items.count) entries; only the first \(Self.directoryLimit) were read")
                )
            }
            return (items, nil)
        } catch {
            switch error.errnoValue {
            case ENOENT?, ENOTDIR?: return ([], nil)
            default: return ([], FileProblem(path: dir, line: nil, text: nil, problem: error.description))
            }
        }
    }

    func type(_ path: String, followLinks: Bool) -> HostFiles.FileType? {
        (try? files.metadata(path, followLinks: followLinks))?.type
    }

    // MARK: - Accounts

    func readAccounts() -> [PasswdAccount] {
        let (_, bytes) = read("/etc/passwd", attributes: false)
        return bytes.map(PasswdParser.parse) ?? []
    }

    /// Distinct home directories with their accounts, root's first.
    func homes(_ accounts: [PasswdAccount]) -> [(home: String, users: [String])] {
        var order: [String] = []
        var users: [String: [String]] = [:]
        var list = accounts
        if !list.contains(where: { $0.name == "root" }) {
            list.insert(PasswdAccount(name: "root", uid: 0, home: "/root", shell: "", line: 0), at: 0)
        }
        for a in list where a.home.hasPrefix("/") && a.home != "/" {
            let h = HostFiles.normalize(a.home)
            if users[h] == nil { order.append(h) }
            users[h, default: []].append(a.name)
        }
        return order.map { ($0, users[$0]!) }
    }

    // MARK: - ld.so.preload

    static let libraryDirs = [
        "/lib", "/usr/lib", "/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
        "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/local/lib",
    ]

    func readPreload() -> PersistenceFile<LdSoPreload> {
        let (status, bytes) = read("/etc/ld.so.preload")
        var content = LdSoPreload()
        for e in (bytes.map(LdSoPreloadParser.parse) ?? []).prefix(1000) {
            let line = e.line, library = e.library
            if library.contains("/") {
                content.entries.append(.init(line: line, library: library, exists: files.exists(library), foundAt: nil))
            } else {
                let found = Self.libraryDirs.map { $0 + "/" + library }.first { files.exists($0) }
                content.entries.append(.init(line: line, library: library, exists: found != nil, foundAt: found))
            }
        }
        return PersistenceFile(status: status, content: content)
    }

    // MARK: - Kernel tunables

    /// Configuration files of a `*.d` directory family in systemd's order: by
    /// file name, a name in an earlier directory masking the same name later.
    func configFiles(_ dirs: [String], suffix: String?) -> [String] {
        var byName: [String: String] = [:]
        var seenDirs = Set<String>()
        for dir in dirs {
            let resolved = (try? files.resolve(dir).hostPath) ?? dir
            guard seenDirs.insert(resolved).inserted else { continue }
            for name in listFiles(dir).names where suffix.map({ name.hasSuffix($0) }) ?? true {
                if byName[name] == nil { byName[name] = dir + "/" + name }
            }
        }
        return byName.keys.sorted().map { byName[$0]! }
    }

    func runtime(_ path: String) -> TunableValue? {
        guard scope.isLive else { return nil }
        guard let c = try? files.read(path, limit: 4096) else { return nil }
        let v = TerminalText.decode(c.bytes).persistTrimmedNewline
        return TunableValue(value: v, path: path, line: nil, runtime: true)
    }

    func readKernel() -> KernelTunables {
        var problems: [FileProblem] = []
        var readFiles: [String] = []
        // sysctl: systemd-sysctl's directories, then /etc/sysctl.conf (procps reads it last).
        let sysctlFiles =
            configFiles(["/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"], suffix: ".conf")
            + ["/etc/sysctl.conf"]
        var hugepages: [TunableValue] = []
        var nmi: [TunableValue] = []
        var resolvedSysctl = Set<String>()
        for path in sysctlFiles {
            // /etc/sysctl.d/99-sysctl.conf is usually a link to /etc/sysctl.conf: read it once.
            if let r = try? files.resolve(path).hostPath, !resolvedSysctl.insert(r).inserted { continue }
            let (status, bytes) = read(path, attributes: false)
            if let e = status.error { problems.append(FileProblem(path: path, line: nil, text: nil, problem: e)) }
            guard let bytes else { continue }
            readFiles.append(path)
            let r = SysctlConfParser.parse(bytes, path: path)
            problems += r.problems
            for a in r.assignments {
                if a.key == "vm.nr_hugepages" { hugepages.append(TunableValue(value: a.value, path: path, line: a.line, runtime: false)) }
                if a.key == "kernel.nmi_watchdog" { nmi.append(TunableValue(value: a.value, path: path, line: a.line, runtime: false)) }
            }
        }
        // modprobe.d
        var allowWrites: [TunableValue] = []
        var msrDirectives: [TunableValue] = []
        for path in configFiles(["/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d"], suffix: ".conf") {
            let (status, bytes) = read(path, attributes: false)
            if let e = status.error { problems.append(FileProblem(path: path, line: nil, text: nil, problem: e)) }
            guard let bytes else { continue }
            readFiles.append(path)
            let r = ModprobeConfParser.parse(bytes, path: path)
            problems += r.problems
            for d in r.directives where d.module == "msr" {
                msrDirectives.append(TunableValue(value: "\(d.directive) msr \(d.arguments)", path: path, line: d.line, runtime: false))
                if d.directive == "options" {
                    for p in ModprobeConfParser.parameters(d.arguments) where p.name == "allow_writes" {
                        allowWrites.append(TunableValue(value: p.value ?? "", path: path, line: d.line, runtime: false))
                    }
                } else if d.directive == "install" {
                    // `install msr /sbin/modprobe --ignore-install msr allow_writes=on`
                    for w in ShellCommand.parse(d.arguments).flatMap(\.words) where w.hasPrefix("allow_writes=") {
                        allowWrites.append(TunableValue(value: String(w.dropFirst("allow_writes=".count)), path: path, line: d.line, runtime: false))
                    }
                }
            }
        }
        // modules-load.d and /etc/modules
        var autoload: [TunableValue] = []
        let loadFiles =
            listFiles("/etc/modules-load.d").names.map { "/etc/modules-load.d/" + $0 }
            + configFiles(["/run/modules-load.d", "/usr/local/lib/modules-load.d", "/usr/lib/modules-load.d", "/lib/modules-load.d"], suffix: ".conf")
            + ["/etc/modules"]
        for path in loadFiles {
            let (status, bytes) = read(path, attributes: false)
            if let e = status.error, type(path, followLinks: true) != .directory {
                problems.append(FileProblem(path: path, line: nil, text: nil, problem: e))
            }
            guard let bytes else { continue }
            readFiles.append(path)
            for (line, module) in ModulesLoadParser.parse(bytes) where module == "msr" {
                autoload.append(TunableValue(value: module, path: path, line: line, runtime: false))
            }
        }

        var pools: [TunableValue] = []
        var moduleLoaded: Bool? = nil
        if scope.isLive {
            for dir in listFiles("/sys/kernel/mm/hugepages").names where dir.hasPrefix("hugepages-") {
                if let v = runtime("/sys/kernel/mm/hugepages/\(dir)/nr_hugepages") { pools.append(v) }
            }
            moduleLoaded = type("/sys/module/msr", followLinks: true) == .directory
        }
        return KernelTunables(
            runtimeRead: scope.isLive, runtimeUnavailableReason: scope.isLive ? nil : Self.notLiveReason,
            nrHugepages: Tunable(name: "vm.nr_hugepages", runtime: runtime("/proc/sys/vm/nr_hugepages"), configured: hugepages),
            hugepagePools: pools,
            nmiWatchdog: Tunable(name: "kernel.nmi_watchdog", runtime: runtime("/proc/sys/kernel/nmi_watchdog"), configured: nmi),
            msr: .init(
                moduleLoaded: moduleLoaded,
                allowWrites: Tunable(name: "msr.allow_writes", runtime: runtime("/sys/module/msr/parameters/allow_writes"), configured: allowWrites),
                autoload: autoload, modprobe: msrDirectives),
            files: readFiles, problems: Array(problems.prefix(500)))
    }

    func kernelIndicators(_ k: KernelTunables) -> [PersistenceIndicator] {
        var out: [PersistenceIndicator] = []
        func add(_ indicator: String, _ v: TunableValue, _ detail: String) {
            out.append(.init(area: "kernel", indicator: indicator, path: v.path, line: v.line, match: v.value, detail: detail))
        }
        for v in k.nrHugepages.configured + [k.nrHugepages.runtime].compactMap({ $0 }) + k.hugepagePools {
            if let n = Int(v.value), n > 0 {
                add("hugepages", v, "\(n) huge pages reserved (\(v.source)); miners reserve them for RandomX, databases too")
            }
        }
        for v in k.msr.allowWrites.configured + [k.msr.allowWrites.runtime].compactMap({ $0 }) where v.value.lowercased() == "on" {
            add("msr-allow-writes", v, "msr allow_writes=on (\(v.source)): user space may write CPU model-specific registers (xmrig's MSR mod)")
        }
        if k.msr.moduleLoaded == true {
            out.append(.init(area: "kernel", indicator: "msr-module-loaded", path: "/sys/module/msr", line: nil, match: "msr", detail: "the msr module is loaded"))
        }
        for v in k.msr.autoload { add("msr-autoload", v, "msr is loaded at boot (\(v.source))") }
        for v in k.nmiWatchdog.configured + [k.nmiWatchdog.runtime].compactMap({ $0 }) where v.value == "0" {
            add("nmi-watchdog-off", v, "kernel.nmi_watchdog = 0 (\(v.source))")
        }
        return out
    }

    // MARK: - Cron

    func readCron() -> CronFacts {
        var out: [PersistenceFile<CronFile>] = []
        var problems: [FileProblem] = []
        func add(_ path: String, kind: String, user: String?) {
            let (status, bytes) = read(path)
            guard status.present else { return }
            let table: CronTable
            switch kind {
            case "periodic-script": table = bytes.map { CronParser.parseScript($0, path: path) } ?? CronTable()
            case "anacrontab": table = bytes.map { CronParser.parse($0, path: path, format: .anacron) } ?? CronTable()
            case "user-crontab": table = bytes.map { CronParser.parse($0, path: path, format: .user, owner: user) } ?? CronTable()
            default: table = bytes.map { CronParser.parse($0, path: path, format: .system) } ?? CronTable()
            }
            out.append(PersistenceFile(status: status, content: CronFile(kind: kind, user: user, table: table)))
        }
        // A name that is not UTF-8 (cron runs it) keeps its bytes, as every listing (RawName).
        func regularFiles(_ dir: String) -> [HostFiles.DirectoryEntry] {
            let l = listEntries(dir)
            if let p = l.problem { problems.append(p) }
            return l.entries.filter { type(dir + "/" + $0.name, followLinks: true) != .directory }
        }
        func addEntry(_ dir: String, _ e: HostFiles.DirectoryEntry, kind: String, user: String?) {
            add(dir + "/" + e.name, kind: kind, user: user)
        }
        add("/etc/crontab", kind: "system-crontab", user: nil)
        for e in regularFiles("/etc/cron.d") { addEntry("/etc/cron.d", e, kind: "system-crontab", user: nil) }
        for period in ["hourly", "daily", "weekly", "monthly"] {
            for e in regularFiles("/etc/cron." + period) { addEntry("/etc/cron." + period, e, kind: "periodic-script", user: nil) }
        }
        for dir in ["/var/spool/cron/crontabs", "/var/spool/cron", "/var/spool/cron/tabs"] {
            for e in regularFiles(dir) where e.bytes.first != UInt8(ascii: ".") || dir != "/var/spool/cron" {
                addEntry(dir, e, kind: "user-crontab", user: e.name)
            }
        }
        add("/etc/anacrontab", kind: "anacrontab", user: nil)
        return CronFacts(files: out, unreadableDirectories: problems)
    }

    // MARK: - systemd

    static let systemUnitDirs = [
        "/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
        "/lib/systemd/system", "/etc/systemd/user", "/usr/lib/systemd/user",
    ]
    static let unitSuffixes = [".service", ".socket", ".timer", ".path", ".mount", ".automount", ".swap"]

    func readSystemd(accounts: [PasswdAccount]) -> SystemdFacts {
        var unitFiles: [(path: String, scope: String, user: String?, dropIn: Bool, name: String)] = []
        var links: [SystemdFacts.EnablementLink] = []
        var problems: [FileProblem] = []
        var seenDirs = Set<String>()
        var total = 0

        func walk(_ dir: String, scope: String, user: String?, depth: Int) {
            let resolved = (try? files.resolve(dir).hostPath) ?? dir
            guard depth <= 4, seenDirs.insert(resolved).inserted else { return }
            let l = listFiles(dir)
            if let p = l.problem { problems.append(p) }
            for name in l.names {
                total += 1
                guard total <= Self.directoryLimit * 2 else { return }
                let path = dir + "/" + name
                let own = type(path, followLinks: false)
                let target = type(path, followLinks: true)
                let isDirectory = target == .directory
                if isDirectory {
                    if let suffix = [".wants", ".requires", ".upholds"].first(where: name.hasSuffix) {
                        let wantedBy = String(name.dropLast(suffix.count))
                        for entry in listFiles(path).names {
                            let linkPath = path + "/" + entry
                            let t = (try? files.readLink(linkPath)) ?? ""
                            links.append(.init(path: linkPath, target: t, unit: entry, wantedBy: wantedBy))
                        }
                    } else if name.hasSuffix(".d") {
                        for entry in listFiles(path).names where entry.hasSuffix(".conf") {
                            unitFiles.append((path + "/" + entry, scope, user, true, String(name.dropLast(2))))
                        }
                    } else if own != .symlink {
                        walk(path, scope: scope, user: user, depth: depth + 1)
                    }
                } else if Self.unitSuffixes.contains(where: name.hasSuffix) {
                    unitFiles.append((path, scope, user, false, name))
                }
            }
        }
        for dir in Self.systemUnitDirs { walk(dir, scope: dir.hasSuffix("/user") ? "user" : "system", user: nil, depth: 0) }
        for (home, users) in homes(accounts) {
            walk(home + "/.config/systemd/user", scope: "user", user: users.first, depth: 0)
        }

        // Units reached only through an enablement link (a unit file in /tmp linked from wants/).
        let listed = Set(unitFiles.map { (try? files.resolve($0.path).hostPath) ?? $0.path })
        for link in links where link.target.hasPrefix("/") || link.target.hasPrefix(".") {
            guard let resolved = try? files.resolve(link.path).hostPath, !listed.contains(resolved),
                type(resolved, followLinks: true) == .regular
            else { continue }
            if !unitFiles.contains(where: { $0.path == resolved }) {
                unitFiles.append((resolved, link.path.contains("/user/") ? "user" : "system", nil, false, link.unit))
            }
        }

        var units: [SystemdUnit] = []
        for f in unitFiles {
            var linkTarget: String? = nil
            if type(f.path, followLinks: false) == .symlink { linkTarget = try? files.readLink(f.path) }
            let masked = linkTarget == "/dev/null" || (try? files.resolve(f.path).hostPath) == "/dev/null"
            var unit = SystemdUnit(
                name: f.name, path: f.path, scope: f.scope, user: f.user, dropIn: f.dropIn, linkTarget: linkTarget,
                masked: masked, resolvedPath: nil, mtimeMs: nil, enabled: false, enabledBy: [], description: nil, execs: [],
                indicators: [], error: nil, problems: [])
            if !masked {
                do {
                    let c = try files.read(f.path, limit: Self.readLimit)
                    unit.resolvedPath = c.resolution.hostPath
                    unit.mtimeMs = c.metadata.mtimeMs
                    let parsed = UnitFileParser.parse(c.bytes, path: f.path)
                    unit.description = parsed.value("Unit", "Description")
                    unit.execs = parsed.execs
                    unit.problems = parsed.problems
                } catch {
                    unit.error = error.description
                }
            }
            var indicators: [CommandIndicator] = []
            for e in unit.execs { for i in e.indicators where !indicators.contains(i) { indicators.append(i) } }
            if !f.dropIn, UnitFileParser.knownMinerUnitNames.contains(f.name) {
                indicators.append(.init(indicator: "known-miner-unit-name", match: f.name))
            }
            // User units live in ~/.config (a dot directory) by design; other dot directories and temp dirs do not hold units.
            if let r = unit.resolvedPath, let cls = SuspiciousPath.classify(r),
                cls == "temp" || !(r.contains("/.config/systemd/user/") || r.contains("/.local/share/systemd/user/"))
            {
                indicators.append(.init(indicator: cls == "temp" ? "unit-file-in-temp" : "unit-file-in-dot-dir", match: r))
            }
            unit.indicators = indicators
            // Enabled: a wants/ link named like the unit, or like an instance of a template.
            let enabledBy = links.filter { l in
                l.unit == f.name
                    || (f.name.contains("@.") && l.unit.hasPrefix(String(f.name.prefix(upTo: f.name.firstIndex(of: "@")!)) + "@")
                        && l.unit.hasSuffix(String(f.name[f.name.lastIndex(of: ".")!...])))
            }
            unit.enabled = !f.dropIn && !enabledBy.isEmpty && !masked
            unit.enabledBy = f.dropIn ? [] : enabledBy.map(\.path)
            units.append(unit)
        }
        return SystemdFacts(units: units, enablementLinks: links, unreadableDirectories: problems)
    }

    // MARK: - authorized_keys

    func readAuthorizedKeys(accounts: [PasswdAccount]) -> [PersistenceFile<AuthorizedKeysFile>] {
        var out: [PersistenceFile<AuthorizedKeysFile>] = []
        var seen = Set<String>()
        for (home, users) in homes(accounts) {
            for name in ["authorized_keys", "authorized_keys2"] {
                let path = home + "/.ssh/" + name
                guard seen.insert(path).inserted else { continue }
                let (status, bytes) = read(path)
                guard status.present || status.error != nil else { continue }
                let parsed = bytes.map { AuthorizedKeysParser.parse($0, path: path) } ?? AuthorizedKeys()
                out.append(
                    PersistenceFile(
                        status: status, content: AuthorizedKeysFile(users: users, keys: parsed.keys, problems: parsed.problems)))
            }
        }
        return out
    }

    // MARK: - /etc/hosts

    func readHosts() -> PersistenceFile<HostsDomains> {
        let (status, bytes) = read("/etc/hosts", attributes: false)
        guard let bytes else { return PersistenceFile(status: status, content: HostsDomains()) }
        let parsed = HostsFileParser.parse(bytes, path: "/etc/hosts")
        return PersistenceFile(
            status: status, content: HostsDomains(matches: HostsDomains.match(parsed, lists: domainLists), problems: []))
    }

    // MARK: - Cloud agents

    func readCloudAgents(units: [SystemdUnit]) -> CloudAgents {
        let unitPaths = Dictionary(units.filter { !$0.dropIn }.map { ($0.name, $0.path) }, uniquingKeysWith: { a, _ in a })
        var scan: ProcessTable? = nil
        var scanState = CloudAgents.ProcessScan(performed: false, reason: Self.notLiveReason, processes: nil, unreadable: nil)
        if let t = processTableOverride {
            scan = t
            scanState = .init(performed: true, reason: "process table supplied by the caller", processes: t.processes.count, unreadable: t.unreadable)
        } else if scope.isLive {
            switch ProcessTable.read() {
            case .success(let t):
                scan = t
                scanState = .init(performed: true, reason: nil, processes: t.processes.count, unreadable: t.unreadable)
            case .failure(let e):
                scanState = .init(performed: false, reason: "listing /proc failed: \(e)", processes: nil, unreadable: nil)
            }
        }
        let agents = self.agents.map { def -> CloudAgents.Agent in
            let evidence = def.paths.filter { files.exists($0) } + def.units.compactMap { unitPaths[$0] }
            let procs = scan?.processes.filter { def.matches(comm: $0.comm, exe: $0.exe) } ?? []
            return CloudAgents.Agent(
                id: def.id, vendor: def.vendor, product: def.product, installed: !evidence.isEmpty, evidence: evidence,
                expectedProcesses: def.processes, running: scan == nil ? nil : !procs.isEmpty, processes: procs)
        }
        return CloudAgents(processScan: scanState, agents: agents)
    }
}

/// A minimal /proc reader for the agent check, through the one procfs
/// reader (`ProcfsIO`: pids from raw `getdents64`, not libc's `readdir`,
/// which an LD_PRELOAD rootkit can hook), then each process's comm and exe.
/// A process that exits mid-scan is skipped.
struct ProcessTable: Sendable {
    var processes: [CloudAgents.RunningProcess]
    var unreadable: Int

    static func read(proc: String = "/proc") -> Result<ProcessTable, ProbeError> {
        let io = ProcfsIO()
        let procfd: Int32
        let pids: [Int32]
        do throws(SysErr) {
            procfd = try io.openDirectory(proc)
            do throws(SysErr) { pids = try io.pids(of: procfd) } catch {
                close(procfd)
                throw error
            }
        } catch {
            return .failure(.from(error.call, path: proc, errno: error.errno))
        }
        defer { close(procfd) }
        var table = ProcessTable(processes: [], unreadable: 0)
        for pid in pids {
            guard let dir = try? io.openProcess(pid, at: procfd) else {
                table.unreadable += 1
                continue
            }
            defer { close(dir) }
            guard var comm = try? io.withContents("comm", at: dir, limit: 256, { TerminalText.decode($0) }) else {
                table.unreadable += 1
                continue
            }
            if comm.hasSuffix("\n") { comm.removeLast() }
            let exe = try? io.withLink("exe", at: dir) { TerminalText.decode($0) }
            table.processes.append(.init(pid: Int(pid), comm: comm, exe: exe))
        }
        return .success(table)
    }
}

extension String {
    var persistTrimmedNewline: String {
        var s = Substring(self)
        while let l = s.last, l == "\n" || l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
