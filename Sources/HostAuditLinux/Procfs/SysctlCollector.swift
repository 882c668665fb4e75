#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HostAuditCore

/// Collects `kernel.sysctl`: the network parameters' live values from
/// `/proc/sys/net` (bounded reads relative to directory fds, raw
/// `getdents64` listings) and their configured values from the sysctl
/// configuration files, read below the root through `HostFiles` (links
/// resolved inside the root, bounded, FIFOs and devices refused).
public struct SysctlCollector: Sendable {
    /// Where the configuration files are read (the live host, or `--root`).
    public let configScope: CollectionScope
    /// Whether to read the running kernel's values.
    public let readLive: Bool
    public let procfs: Procfs

    /// The directories of sysctl.d(5), in precedence order.
    public static let directories = ["/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"]
    static let fileLimit = 1 << 20
    static let maxFiles = 1000
    static let maxInterfaces = 4096

    public init(configScope: CollectionScope, readLive: Bool, procfs: Procfs = Procfs()) {
        self.configScope = configScope
        self.readLive = readLive
        self.procfs = procfs
    }

    public func collect() -> SysctlFacts {
        var problems: [FileProblem] = []
        var configuration = SysctlConfiguration()
        let files = HostFiles(scope: configScope)
        let ordered = Self.configFiles(files, problems: &problems)
        var read: [String] = []
        var seen = Set<String>()
        for path in ordered {
            // /etc/sysctl.d/99-sysctl.conf usually links to /etc/sysctl.conf: read each file once, where it first applies.
            if let r = try? files.resolve(path).hostPath, !seen.insert(r).inserted { continue }
            do throws(ProbeError) {
                let c = try files.read(path, limit: Self.fileLimit)
                read.append(path)
                if c.truncated {
                    problems.append(FileProblem(path: path, line: nil, text: nil, problem: "larger than \(Self.fileLimit) bytes: the rest is ignored"))
                }
                problems += configuration.add(file: path, bytes: c.bytes)
            } catch {
                if Self.isNotFound(error), path == "/etc/sysctl.conf" { continue }
                problems.append(FileProblem(path: path, line: nil, text: nil, problem: error.description))
            }
        }
        var live: SysctlFacts.LiveValues? = nil
        var errors: [String] = []
        var reason: String? = nil
        if readLive {
            do throws(SysErr) {
                live = try readLiveValues()
            } catch {
                reason = "\(procfs.root)/sys/net: \(error.message)"
                errors.append(reason!)
            }
        } else {
            reason = "live kernel parameters are not read with --root (the image's kernel is not running); configured values only"
        }
        return SysctlFacts.make(
            configuration: configuration, files: read, problems: Array(problems.prefix(500)), live: live,
            liveUnavailableReason: reason, errors: errors)
    }

    /// sysctl.d files by name across the directories (a name in an earlier
    /// directory masks the same name later), then /etc/sysctl.conf.
    static func configFiles(_ files: HostFiles, problems: inout [FileProblem]) -> [String] {
        var byName: [String: String] = [:]
        var seenDirs = Set<String>()
        for dir in directories {
            let resolved = (try? files.resolve(dir).hostPath) ?? dir
            guard seenDirs.insert(resolved).inserted else { continue }
            let names: [String]
            do throws(ProbeError) {
                names = try files.list(dir)
            } catch {
                if isNotFound(error) { continue }
                problems.append(FileProblem(path: dir, line: nil, text: nil, problem: error.description))
                continue
            }
            for name in names where name.hasSuffix(".conf") && byName[name] == nil {
                byName[name] = dir + "/" + name
            }
        }
        return Array(byName.keys.sorted().prefix(maxFiles).map { byName[$0]! }) + ["/etc/sysctl.conf"]
    }

    static func isNotFound(_ e: ProbeError) -> Bool {
        if case .syscall(_, _, let errno) = e { return errno == .noSuchFileOrDirectory }
        return false
    }

    /// Reads every tracked parameter under /proc/sys/net.
    func readLiveValues() throws(SysErr) -> SysctlFacts.LiveValues {
        let io = ProcfsIO()
        let net = try io.openDirectory(procfs.root + "/sys/net")
        defer { close(net) }
        var out = SysctlFacts.LiveValues()
        func readValue(_ relative: String, at dir: Int32, key: String) {
            do throws(SysErr) {
                let r = try io.read(relative, at: dir, limit: 4096)
                out.values[key] = SysctlValue.normalize(TerminalText.decode(r.bytes))
            } catch {
                out.errors[key] = "\(error.call): \(error.message)"
            }
        }
        for g in SysctlCatalog.global {
            let c = SysctlKey.components(g.key)
            readValue(c.dropFirst().joined(separator: "/"), at: net, key: g.key)
        }
        for family in ["ipv4", "ipv6"] {
            let conf: Int32
            do throws(SysErr) {
                conf = try io.openDirectory(family + "/conf", at: net)
            } catch {
                // A kernel without IPv6 has no net/ipv6.
                if error.errno != .noSuchFileOrDirectory { out.errors["net.\(family).conf"] = "\(error.call): \(error.message)" }
                continue
            }
            defer { close(conf) }
            var names: [String] = []
            try io.forEachEntry(of: conf) { raw, _ in
                guard names.count < Self.maxInterfaces else { return }
                // A name that is not UTF-8 cannot be opened again by its decoded form: reported, not read.
                guard let name = String(validating: raw, as: UTF8.self) else {
                    out.errors["net.\(family).conf.?"] = "an interface name is not valid UTF-8: \(TerminalText.decode(raw))"
                    return
                }
                if name != "." && name != ".." { names.append(name) }
            }
            out.interfaces[family] = names.filter { $0 != "all" && $0 != "default" }.sorted()
            for iface in ["all", "default"] + out.interfaces[family]! {
                let dir: Int32
                do throws(SysErr) {
                    dir = try io.openDirectory(iface, at: conf)
                } catch {
                    // The interface went away between the listing and now.
                    continue
                }
                defer { close(dir) }
                for name in SysctlCatalog.conf(family) {
                    readValue(name, at: dir, key: SysctlCatalog.confKey(family, iface, name))
                }
            }
        }
        return out
    }
}
