import HostAuditCore
import Testing

@Suite struct PackageSourceParserTests {
    @Test func yumBaseurlMirrorlistMetalinkAndContinuations() {
        let text = """
            [base]
            name=Base $releasever
            baseurl=http://a.example/el/$releasever/ https://b.example:8443/el/,http://c.example/x
                    ftp://d.example/pub/
            # comment
            mirrorlist=http://list.example/?r=$releasever
            enabled=1

            [off]
            metalink=https://meta.example/metalink?repo=x
            enabled=0
            """
        let l = PackageSourceParser.parseYumRepo(text, path: "/etc/yum.repos.d/x.repo")
        #expect(l.problems.isEmpty)
        #expect(l.sources.map(\.url) == [
            "http://a.example/el/$releasever/", "https://b.example:8443/el/", "http://c.example/x", "ftp://d.example/pub/",
            "http://list.example/?r=$releasever", "https://meta.example/metalink?repo=x",
        ])
        #expect(l.sources.map(\.kind) == ["baseurl", "baseurl", "baseurl", "baseurl", "mirrorlist", "metalink"])
        #expect(l.sources.map(\.line) == [3, 3, 3, 4, 6, 10])
        #expect(l.sources.map(\.repo) == ["base", "base", "base", "base", "base", "off"])
        #expect(l.sources.map(\.enabled) == [true, true, true, true, true, false])
    }

    @Test func yumProblems() {
        let l = PackageSourceParser.parseYumRepo("[broken\nnonsense\nbaseurl=http://x.example/\n", path: "p")
        #expect(l.problems.map(\.line) == [1, 2, 3])  // the last: baseurl outside a section
        #expect(l.sources.count == 1)
    }

    @Test func aptOneLine() {
        let text = """
            deb http://deb.debian.org/debian bookworm main
            deb-src http://deb.debian.org/debian bookworm main
            deb [arch=amd64 signed-by=/k.gpg] https://sec.example/debian-security bookworm-security main # c
            deb [ arch=amd64 ] http://[2001:db8::1]:8080/debian bookworm main
              # indented comment
            deb cdrom:[Debian 12]/ bookworm main
            rpm http://x.example/ y
            deb http://only-uri.example/
            deb [arch=amd64 http://unterminated.example/ bookworm
            """
        let l = PackageSourceParser.parseAptList(text, path: "/etc/apt/sources.list")
        #expect(l.sources.map(\.url) == [
            "http://deb.debian.org/debian", "http://deb.debian.org/debian", "https://sec.example/debian-security",
            "http://[2001:db8::1]:8080/debian", "cdrom:[Debian",
        ])
        #expect(l.sources.map(\.kind) == ["deb", "deb-src", "deb", "deb", "deb"])
        #expect(l.problems.map(\.line) == [7, 8, 9])
    }

    @Test func deb822() {
        let text = """
            # comment
            Types: deb deb-src
            URIs: http://a.example/debian
              http://b.example/debian
            Suites: bookworm

            Types: deb
            URIs: https://c.example/debian https://d.example:444/debian
            Suites: bookworm
            Enabled: no

            Types: deb
            Suites: bookworm
            """
        let l = PackageSourceParser.parseDeb822(text, path: "/etc/apt/sources.list.d/x.sources")
        #expect(l.sources.map(\.url) == [
            "http://a.example/debian", "http://b.example/debian", "https://c.example/debian", "https://d.example:444/debian",
        ])
        #expect(l.sources.map(\.line) == [3, 4, 8, 8])
        #expect(l.sources.map(\.enabled) == [true, true, false, false])
        #expect(l.problems.map(\.line) == [12])
    }

    @Test func targetsDeduplicateAndSkipNonNetworkSources() {
        var l = PackageSourceList()
        l.sources = [
            PackageSource(kind: "deb", url: "http://deb.debian.org/debian", path: "/a", line: 1),
            PackageSource(kind: "deb-src", url: "http://deb.debian.org/debian-src", path: "/a", line: 2),
            PackageSource(kind: "deb", url: "https://deb.debian.org/debian", path: "/a", line: 3),
            PackageSource(kind: "baseurl", url: "file:///srv/repo", path: "/b", line: 1),
            PackageSource(kind: "baseurl", url: "http://$basearch.example/x", path: "/b", line: 2),
            PackageSource(kind: "baseurl", url: "http://off.example/", path: "/b", line: 3, enabled: false),
        ]
        let (targets, problems) = l.targets()
        #expect(targets.map(\.hostPort) == ["deb.debian.org:80", "deb.debian.org:443"])
        #expect(targets[0].origins.map(\.description) == ["/a:1", "/a:2"])
        #expect(targets[0].text == "http://deb.debian.org/debian")
        #expect(problems.map(\.line) == [1, 2])
        #expect(problems[1].problem.contains("variable"))
    }
}
