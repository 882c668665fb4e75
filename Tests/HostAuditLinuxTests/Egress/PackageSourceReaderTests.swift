import HostAuditCore
import HostAuditLinux
import HostAuditTestSupport
import Testing

@Suite struct PackageSourceReaderTests {
    func read(_ fixture: String) -> PackageSourceList {
        PackageSourceReader(scope: CollectionScope(root: Fixtures.root(fixture))).read()
    }

    @Test func yumRepos() {
        let l = read("pkgsrc-yum")
        #expect(l.files == ["/etc/yum.repos.d/corp.repo", "/etc/yum.repos.d/fedora.repo"])
        let (targets, problems) = l.targets()
        #expect(targets.map(\.hostPort) == [
            "mirror1.corp.example:80", "mirror2.corp.example:8443", "mirror3.corp.example:21",
            "mirrorlist.corp.example:80", "mirrors.fedoraproject.org:443",
        ])
        #expect(targets[0].origins.map(\.description) == ["/etc/yum.repos.d/corp.repo:4"])
        // file:// and a variable in the host are reported, not probed; the disabled repo is skipped.
        #expect(problems.map { "\($0.path):\($0.line ?? 0)" } == ["/etc/yum.repos.d/corp.repo:10", "/etc/yum.repos.d/corp.repo:11"])
        #expect(!targets.contains { $0.text.contains("debug") })
    }

    @Test func aptListsAndDeb822() {
        let l = read("pkgsrc-apt")
        #expect(l.files == [
            "/etc/apt/sources.list", "/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list.d/docker.list",
        ])
        let (targets, problems) = l.targets()
        #expect(targets.map(\.hostPort) == [
            "deb.debian.org:80", "security.debian.org:443", "[2001:db8::80]:8080", "mirrors.example:80",
            "ftp.example.org:80", "backports.example.net:443", "backports2.example.net:444",
            "download.docker.example:443",
        ])
        let debian = targets[0]
        #expect(debian.origins.map(\.description) == [
            "/etc/apt/sources.list:2", "/etc/apt/sources.list:3", "/etc/apt/sources.list.d/debian.sources:3",
        ])
        #expect(!targets.contains { $0.host == "disabled.example" || $0.host == "commented.example" })
        #expect(problems.map(\.line) == [7])  // cdrom
        #expect(l.problems.map(\.line) == [9])  // "bogus line here"
    }

    @Test func missingFilesGiveNothing() {
        let l = read("pkgsrc-empty")
        #expect(l.sources.isEmpty && l.problems.isEmpty && l.files.isEmpty)
    }
}
