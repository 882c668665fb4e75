import Testing

@testable import HostAuditCore

@Suite struct HostsFileParserTests {
    @Test func entries() {
        let h = HostsFileParser.parse(
            "127.0.0.1 localhost   # loopback\n::1 localhost ip6-localhost\n# full comment\n192.0.2.6\ttabbed.example\talias1\talias2\n")
        #expect(h.entries.count == 3)
        #expect(h.entries[0] == .init(line: 1, address: "127.0.0.1", family: "ipv4", canonicalName: "localhost", aliases: []))
        #expect(h.entries[1] == .init(line: 2, address: "::1", family: "ipv6", canonicalName: "localhost", aliases: ["ip6-localhost"]))
        #expect(h.entries[2].line == 4)
        #expect(h.entries[2].aliases == ["alias1", "alias2"])
        #expect(h.problems.isEmpty)
    }

    @Test func badLines() {
        let h = HostsFileParser.parse(
            """
            192.0.2.300 bad.example
            10.1 short.example
            192.0.2.5
            fe80::1%eth0 scoped.example
            not-an-address host
            192.0.2.7 bad_na$me
            2001:db8::5 v6.example\r
            """)
        func has(_ line: Int, _ text: String) -> Bool { h.problems.contains { $0.line == line && $0.problem.contains(text) } }
        #expect(has(1, "invalid address"))
        #expect(has(2, "not a dotted quad"))
        #expect(has(3, "without a host name"))
        #expect(has(4, "scope"))
        #expect(has(5, "invalid address"))
        #expect(has(6, "not a valid host name"))
        // \r is white space for the hosts parser (isspace), so line 7 is fine.
        #expect(h.entries.map(\.line) == [6, 7])
        #expect(h.entries.last?.canonicalName == "v6.example")
    }

    @Test func binary() {
        let h = HostsFileParser.parse([0x31, 0x00, 0x0A] + Array("192.0.2.1 a.example\n".utf8))
        #expect(h.entries.map(\.line) == [2])
        #expect(h.problems.contains { $0.line == 1 && $0.problem.contains("NUL") })
    }

    @Test func randomGarbageNeverCrashes() {
        var rng = SeededGenerator(seed: 0xBEEF)
        let pieces = ["127.0.0.1 ", "::1 ", "localhost", "fe80::1%lo", " alias", "999.1.1.1"]
        for _ in 0..<1500 {
            let input = garbage(&rng, pieces: pieces)
            let h = HostsFileParser.parse(input)
            let lines = input.split(separator: 0x0A, omittingEmptySubsequences: false).count
            #expect(h.problems.allSatisfy { $0.line != nil && $0.line! >= 1 && $0.line! <= lines })
            #expect(h.entries.allSatisfy { !$0.canonicalName.isEmpty && ($0.family == "ipv4" || $0.family == "ipv6") })
        }
    }
}
