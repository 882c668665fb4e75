import HostAuditCore

/// Reads the package manager's repository configuration through `HostFiles`
/// (so `--root DIR` reads below DIR): yum/dnf `.repo` files, apt's
/// `sources.list`, `sources.list.d/*.list` and `*.sources` (deb822).
/// Never throws: a file that cannot be read is a problem in the list.
package struct PackageSourceReader: Sendable {
    static let yumDirectory = "/etc/yum.repos.d"
    static let aptList = "/etc/apt/sources.list"
    static let aptDirectory = "/etc/apt/sources.list.d"

    let files: HostFiles

    package init(scope: CollectionScope) { files = HostFiles(scope: scope) }

    package func read() -> PackageSourceList {
        var list = PackageSourceList()
        for name in names(in: Self.yumDirectory) where name.hasSuffix(".repo") {
            let path = Self.yumDirectory + "/" + name
            if let text = text(path, into: &list) { list.append(PackageSourceParser.parseYumRepo(text, path: path)) }
        }
        if files.exists(Self.aptList), let text = text(Self.aptList, into: &list) {
            list.append(PackageSourceParser.parseAptList(text, path: Self.aptList))
        }
        for name in names(in: Self.aptDirectory) {
            let path = Self.aptDirectory + "/" + name
            if name.hasSuffix(".list"), let text = text(path, into: &list) {
                list.append(PackageSourceParser.parseAptList(text, path: path))
            } else if name.hasSuffix(".sources"), let text = text(path, into: &list) {
                list.append(PackageSourceParser.parseDeb822(text, path: path))
            }
        }
        return list
    }

    private func names(in dir: String) -> [String] {
        (try? files.list(dir)) ?? []
    }

    private func text(_ path: String, into list: inout PackageSourceList) -> String? {
        do {
            return TerminalText.decode(try files.read(path).bytes)
        } catch {
            list.problems.append(FileProblem(path: path, line: nil, text: nil, problem: "\(error)"))
            return nil
        }
    }
}
