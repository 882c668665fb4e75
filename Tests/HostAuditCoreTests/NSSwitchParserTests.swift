import Testing

@testable import HostAuditCore

@Suite struct NSSwitchParserTests {
    @Test func simpleHostsLine() {
        let c = NSSwitchParser.parse("passwd: files\nhosts:          files dns\n")
        let hosts = c.database("hosts")
        #expect(hosts?.line == 2)
        #expect(hosts?.sources.map(\.name) == ["files", "dns"])
        #expect(hosts?.sources.allSatisfy { $0.criteria.isEmpty } == true)
        #expect(c.problems.isEmpty)
    }

    @Test func criteria() {
        let c = NSSwitchParser.parse(
            "hosts: files mdns4_minimal [NOTFOUND=return] dns [ !UNAVAIL = return success=Continue ] myhostname files[tryagain=merge]\n")
        let s = c.database("hosts")!.sources
        #expect(s.map(\.name) == ["files", "mdns4_minimal", "dns", "myhostname", "files"])
        #expect(s[1].criteria == [.init(negated: false, status: "NOTFOUND", action: "return")])
        #expect(
            s[2].criteria == [
                .init(negated: true, status: "UNAVAIL", action: "return"),
                .init(negated: false, status: "SUCCESS", action: "continue"),
            ])
        #expect(s[4].criteria == [.init(negated: false, status: "TRYAGAIN", action: "merge")])
        #expect(c.problems.isEmpty, "\(c.problems)")
    }

    @Test func variants() {
        let c = NSSwitchParser.parse(
            """
            # comment line
            passwd: files systemd
            hosts: dns
            Hosts: files
            hosts:  files   mdns4_minimal [NOTFOUND=return]   dns myhostname # trailing
            networks: files
            """)
        let hosts = c.database("hosts")!
        // The last definition wins; '#' inside the line is not a comment for glibc.
        #expect(hosts.line == 5)
        #expect(hosts.sources.map(\.name) == ["files", "mdns4_minimal", "dns", "myhostname", "#", "trailing"])
        #expect(c.problems.contains { $0.line == 3 && $0.problem.contains("last definition") })
        #expect(c.problems.contains { $0.line == 4 && $0.problem.contains("case-sensitive") })
        #expect(c.problems.contains { $0.line == 5 && $0.problem.contains("'#' starts a comment only") })
        #expect(c.database("networks")?.line == 6)
    }

    @Test func syntaxErrorRejectsTheFile() {
        for line in [
            "hosts: files [NOTFOUND=explode] dns", "hosts: files [BOGUS=return] dns", "hosts: files [NOTFOUND return]",
            "hosts: files [NOTFOUND=return",
        ] {
            let c = NSSwitchParser.parse(line + "\n")
            #expect(c.database("hosts") == nil, "\(line)")
            #expect(c.problems.count == 1 && c.problems[0].line == 1, "\(line)")
            #expect(c.problems.first?.problem.contains("reject the whole nsswitch.conf") == true, "\(line)")
        }
    }

    @Test func missingColonAndEmptyList() {
        let a = NSSwitchParser.parse("hosts files dns\n")
        #expect(a.database("hosts")?.sources.map(\.name) == ["files", "dns"])
        #expect(a.problems.contains { $0.problem.contains("missing ':'") })
        let b = NSSwitchParser.parse("hosts:\n")
        #expect(b.database("hosts")?.sources == [])
        #expect(b.problems.contains { $0.problem.contains("lists no services") })
    }

    @Test func criteriaWithoutService() {
        let c = NSSwitchParser.parse("hosts: [NOTFOUND=return] files\n")
        #expect(c.database("hosts")?.sources == [])
        #expect(c.problems.contains { $0.line == 1 && $0.problem.contains("without a service") })
    }

    @Test func unknownDatabasesAndGarbage() {
        let c = NSSwitchParser.parse("sudoers: files\nthis is garbage\n   \n")
        #expect(c.databases.isEmpty)
        #expect(c.problems.map(\.line) == [2])
    }

    @Test func defaultHosts() {
        #expect(NSSwitchParser.defaultHosts.sources.map(\.name) == ["files", "dns"])
        #expect(NSSwitchParser.defaultHosts.line == nil)
    }

    @Test func randomGarbageNeverCrashes() {
        var rng = SeededGenerator(seed: 0xD00D)
        let pieces = ["hosts:", "hosts ", "files", "dns", "[", "]", "NOTFOUND", "=return", "!UNAVAIL=continue", "passwd:"]
        for _ in 0..<1500 {
            let input = garbage(&rng, pieces: pieces)
            let c = NSSwitchParser.parse(input)
            let lines = input.split(separator: 0x0A, omittingEmptySubsequences: false).count
            #expect(c.problems.allSatisfy { $0.line != nil && $0.line! >= 1 && $0.line! <= lines })
            #expect(Set(c.databases.map(\.name)).count == c.databases.count)
        }
    }
}
