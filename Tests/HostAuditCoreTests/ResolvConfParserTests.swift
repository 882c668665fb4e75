import Testing

@testable import HostAuditCore

/// A small deterministic generator for property-style tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random input that looks enough like a config file to reach every branch:
/// keywords, addresses, separators, CR, NUL, high bytes.
func garbage(_ rng: inout SeededGenerator, pieces: [String]) -> [UInt8] {
    let atoms: [[UInt8]] =
        pieces.map { Array($0.utf8) } + [
            [0x20], [0x09], [0x0A], [0x0A], [0x0D], [0x00], [0xFF], [0xC3, 0xA9], Array("#".utf8), Array(";".utf8),
            Array("/".utf8), Array("&".utf8), Array(":".utf8), Array("%".utf8), Array("[".utf8), Array("]".utf8),
            Array("!".utf8), Array("=".utf8), Array("1".utf8), Array("0x".utf8), Array("255".utf8), Array(".".utf8),
        ]
    var out: [UInt8] = []
    let n = Int.random(in: 0...120, using: &rng)
    for _ in 0..<n {
        if Int.random(in: 0..<10, using: &rng) == 0 {
            out.append(UInt8.random(in: 0...255, using: &rng))
        } else {
            out += atoms.randomElement(using: &rng)!
        }
    }
    return out
}

@Suite struct ResolvConfParserTests {
    @Test func plainFile() {
        let c = ResolvConfParser.parse(
            """
            # comment
            ; also a comment
            nameserver 192.0.2.1
            nameserver 192.0.2.2
            search example.com corp.example.com
            options ndots:2 timeout:3

            """)
        #expect(c.lineCount == 6)
        #expect(c.nameservers.map(\.address) == ["192.0.2.1", "192.0.2.2"])
        #expect(c.nameservers.map(\.line) == [3, 4])
        #expect(c.nameservers.allSatisfy { $0.used && $0.family == "ipv4" })
        #expect(c.search.domains == ["example.com", "corp.example.com"])
        #expect(c.search.from == "search")
        #expect(c.search.line == 5)
        #expect(c.search.count == 2)
        #expect(c.options.ndots == 2 && !c.options.ndotsDefault && c.options.ndotsLine == 6)
        #expect(c.options.timeout == 3 && !c.options.timeoutDefault)
        #expect(c.options.attempts == 2 && c.options.attemptsDefault && c.options.attemptsLine == nil)
        #expect(c.comments.map(\.line) == [1, 2])
        #expect(c.problems.isEmpty, "\(c.problems)")
        #expect(!c.usesSystemdStub)
    }

    @Test func emptyFileHasGlibcDefaults() {
        let c = ResolvConfParser.parse("")
        #expect(c.nameservers.isEmpty)
        #expect(c.options.ndots == 1 && c.options.ndotsDefault)
        #expect(c.options.timeout == 5 && c.options.timeoutDefault)
        #expect(c.options.attempts == 2 && c.options.attemptsDefault)
        #expect(c.search.from == nil && c.search.domains.isEmpty)
        #expect(c.search.note?.contains("host name") == true)
    }

    @Test func onlyFirstThreeNameserversAreUsed() {
        let c = ResolvConfParser.parse(
            "nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver bogus\nnameserver 192.0.2.3\nnameserver 192.0.2.4\nnameserver 192.0.2.5\n")
        // The invalid line does not count towards MAXNS.
        #expect(c.nameservers.map(\.used) == [true, true, true, false, false])
        #expect(c.nameservers.map(\.line) == [1, 2, 4, 5, 6])
        #expect(c.ignoredNameservers == ["192.0.2.4", "192.0.2.5"])
        #expect(c.problems.contains { $0.line == 3 && $0.problem.contains("invalid nameserver") })
        #expect(c.problems.contains { $0.line == 5 && $0.problem.contains("MAXNS") })
        #expect(c.problems.contains { $0.line == 6 && $0.problem.contains("never used") })
    }

    @Test func ipv6WithScope() {
        let c = ResolvConfParser.parse(
            "nameserver fe80::1%eth0\nnameserver 2001:db8::1\nnameserver ::ffff:192.0.2.7\nnameserver fe80::2%\n")
        #expect(c.nameservers.map(\.family) == ["ipv6", "ipv6", "ipv6", "ipv6"])
        #expect(c.nameservers[0].address == "fe80::1")
        #expect(c.nameservers[0].scope == "eth0")
        #expect(c.nameservers[1].scope == nil)
        #expect(c.nameservers[2].address == "::ffff:192.0.2.7")
        #expect(Set(c.problems.map(\.line)) == [4])
        #expect(c.problems.contains { $0.problem.contains("empty IPv6 scope") })
        #expect(c.ignoredNameservers == ["fe80::2"])
    }

    @Test func invalidAddressesAreReported() {
        for bad in ["999.1.1.1", "1.2.3.4.5", "2001:db8:::1", "12345::1", "1:2:3:4:5:6:7:8:9", "example.com", "1.2.3.4#x"] {
            let c = ResolvConfParser.parse("nameserver \(bad)\n")
            #expect(c.nameservers.isEmpty, "\(bad)")
            #expect(c.problems.count == 1 && c.problems[0].line == 1 && c.problems[0].problem.contains("invalid"), "\(bad)")
        }
    }

    @Test func inetAtonFormsAreAcceptedAndExplained() {
        let c = ResolvConfParser.parse("nameserver 0x7f.1\nnameserver 010.0.0.1\nnameserver 127.1\n")
        #expect(c.nameservers.map(\.ipv4Canonical) == ["127.0.0.1", "8.0.0.1", "127.0.0.1"])
        #expect(c.problems.filter { $0.problem.contains("inet_aton reads it as") }.map(\.line) == [1, 2, 3])
    }

    @Test func domainAndSearchOverrideEachOther() {
        let a = ResolvConfParser.parse("domain a.example\nsearch b.example c.example\n")
        #expect(a.search.domains == ["b.example", "c.example"] && a.search.from == "search" && a.search.line == 2)
        #expect(a.domain == .init(value: "a.example", line: 1, effective: false))
        #expect(a.problems.contains { $0.line == 1 && $0.problem.contains("overridden") })

        let b = ResolvConfParser.parse("search b.example c.example\ndomain a.example extra\n")
        #expect(b.search.domains == ["a.example"] && b.search.from == "domain" && b.search.line == 2)
        #expect(b.domain?.effective == true)
        #expect(b.problems.contains { $0.line == 2 && $0.problem.contains("one name") })
    }

    @Test func legacySearchLimits() {
        let domains = (1...8).map { "d\($0).example" }
        let c = ResolvConfParser.parse("search \(domains.joined(separator: " "))\n")
        #expect(c.search.count == 8)
        #expect(c.search.droppedByGlibcBefore226 == ["d7.example", "d8.example"])
        #expect(c.search.note?.contains("2.26") == true)

        let long = String(repeating: "a", count: 250) + ".example"
        let d = ResolvConfParser.parse("search short.example \(long)\n")
        #expect(d.search.domains.count == 2)
        #expect(d.search.droppedByGlibcBefore226 == [long])

        let ok = ResolvConfParser.parse("search a.example b.example\n")
        #expect(ok.search.droppedByGlibcBefore226.isEmpty && ok.search.note == nil)
    }

    @Test func everyOption() {
        let c = ResolvConfParser.parse(
            """
            options ndots:20 timeout:60 attempts:9 rotate edns0 single-request single-request-reopen no-tld-query
            options use-vc no-reload trust-ad inet6 debug no-aaaa no_tld_query strict-error frobnicate
            """)
        let o = c.options
        #expect(o.ndots == 15 && o.timeout == 30 && o.attempts == 5)
        #expect(!o.ndotsDefault && !o.timeoutDefault && !o.attemptsDefault)
        #expect(o.rotate && o.edns0 && o.singleRequest && o.singleRequestReopen && o.noTldQuery)
        #expect(o.useVc && o.noReload && o.trustAd && o.inet6 && o.debug && o.noAaaa && o.strictError)
        #expect(o.unknown == ["frobnicate"])
        #expect(o.entries.count == 17)
        #expect(o.entries.first { $0.text == "no_tld_query" }?.name == "no-tld-query")
        #expect(o.entries.first { $0.text == "ndots:20" }?.value == 15)
        #expect(o.entries.first { $0.text == "trust-ad" }?.note?.contains("2.31") == true)
        #expect(!c.problems.contains { $0.text == "trust-ad" || $0.text == "no-aaaa" })
        #expect(c.problems.contains { $0.line == 1 && $0.problem.contains("capped to 15") })
        #expect(c.problems.contains { $0.line == 1 && $0.problem.contains("capped to 30") })
        #expect(c.problems.contains { $0.line == 1 && $0.problem.contains("capped to 5") })
        #expect(c.problems.contains { $0.line == 2 && $0.problem.contains("unknown option 'frobnicate'") })
        #expect(c.problems.contains { $0.problem.contains("inet6 is deprecated") })
    }

    @Test func singleRequestReopenIsNotSingleRequest() {
        let c = ResolvConfParser.parse("options single-request-reopen\n")
        #expect(c.options.singleRequestReopen && !c.options.singleRequest)
        #expect(c.problems.isEmpty)
    }

    @Test func badOptionValues() {
        let c = ResolvConfParser.parse("options ndots:abc timeout:-1 attempts:3x rotatex timeout:0\n")
        #expect(c.options.ndots == 0 && !c.options.ndotsDefault)
        #expect(c.options.attempts == 3)
        #expect(c.options.timeout == 0)
        #expect(c.options.rotate)
        #expect(c.problems.contains { $0.problem.contains("ndots value 'abc' is not a plain number") })
        #expect(c.problems.contains { $0.problem.contains("timeout is negative") })
        #expect(c.problems.contains { $0.problem.contains("'rotatex' is read by glibc as 'rotate'") })
        #expect(c.problems.contains { $0.problem.contains("minimum of 1 second") })
        #expect(c.problems.allSatisfy { $0.line == 1 })
        // A negative value is reported once, not also as "timeout:0".
        #expect(c.problems.filter { $0.text == "timeout:-1" }.count == 1)
    }

    @Test func sortlist() {
        let c = ResolvConfParser.parse("sortlist 130.155.160.0/255.255.240.0 130.155.0.0 10.0.0.0&255.0.0.0 10.1.0.0/24 ; 1.2.3.4\n")
        #expect(c.sortlist.map(\.address) == ["130.155.160.0", "130.155.0.0", "10.0.0.0", "10.1.0.0"])
        #expect(c.sortlist.map(\.mask) == ["255.255.240.0", "255.255.0.0", "255.0.0.0", "0.0.0.24"])
        #expect(c.sortlist.map(\.maskSource) == ["explicit", "classful", "explicit", "explicit"])
        #expect(c.problems.count == 1 && c.problems[0].problem.contains("not a prefix length"))
    }

    @Test func sortlistWhereGlibcCannotProgress() {
        let c = ResolvConfParser.parse("sortlist 300.1.1.1/8 10.0.0.0\nsortlist 10.0.0.0\r\n")
        #expect(c.sortlist.map(\.address) == ["10.0.0.0"])
        #expect(c.sortlist[0].line == 2)
        #expect(c.problems.contains { $0.line == 1 && $0.problem.contains("invalid address") })
        #expect(c.problems.contains { $0.line == 1 && $0.problem.contains("without progress") })
        #expect(c.problems.contains { $0.line == 2 && $0.problem.contains("without progress") })
    }

    @Test func malformedLines() {
        let c = ResolvConfParser.parse(
            "garbage line here\nnameserver 1.2.3.4\r\nnameserver\n nameserver 192.0.2.9\nNameserver 192.0.2.8\n"
                + "nameserver 192.0.2.1 # trailing comment\nsearch x.example # not a comment\r\ndomain\n\tsearch y.example\n"
                + "  # indented comment\nnameserver\t192.0.2.7\n")
        #expect(c.nameservers.map(\.address) == ["192.0.2.1", "192.0.2.7"])
        #expect(c.nameservers.map(\.line) == [6, 11])
        // CR stays in the last word: the search list really contains "comment\r".
        #expect(c.search.domains == ["x.example", "#", "not", "a", "comment\r"])
        func has(_ line: Int, _ text: String) -> Bool {
            c.problems.contains { $0.line == line && $0.problem.contains(text) }
        }
        #expect(has(1, "unrecognised line"))
        #expect(has(2, "carriage return"))
        #expect(has(2, "invalid nameserver"))
        #expect(has(3, "without a value"))
        #expect(has(4, "indented 'nameserver'"))
        #expect(has(5, "case-sensitive"))
        #expect(has(6, "ignores the text after"))
        #expect(has(7, "starts a comment only at the start of a line"))
        #expect(has(8, "without a value"))
        #expect(has(9, "indented 'search'"))
        #expect(has(10, "indented comment"))
        #expect(c.problems.allSatisfy { $0.line != nil })
    }

    @Test func veryLongLineIsBoundedInProblems() {
        let long = "x" + String(repeating: "y", count: 100_000)
        let c = ResolvConfParser.parse("\(long)\nnameserver \(long)\n")
        #expect(c.problems.count == 2)
        #expect(c.problems.allSatisfy { ($0.text?.count ?? 0) <= ProblemList.textLimit + 1 })
    }

    @Test func manyProblemsAreCapped() {
        let text = String(repeating: "garbage\n", count: 5000)
        let c = ResolvConfParser.parse(text)
        #expect(c.problems.count == ProblemList.limit + 1)
        #expect(c.problems.last?.problem.contains("more problems not listed") == true)
        #expect(c.lineCount == 5000)
    }

    @Test func binaryContent() {
        let bytes: [UInt8] = Array("nameserver 192.0.2.1\n".utf8) + [0xFF, 0x00, 0x01, 0x0A] + Array("nameserver 192.0.2.2\0junk\n".utf8)
        let c = ResolvConfParser.parse(bytes)
        #expect(c.binary)
        #expect(c.nameservers.map(\.address) == ["192.0.2.1", "192.0.2.2"])
        #expect(c.problems.contains { $0.line == 2 && $0.problem.contains("NUL") })
    }

    @Test func stubDetection() {
        #expect(ResolvConfParser.parse("nameserver 127.0.0.53\n").usesSystemdStub)
        #expect(ResolvConfParser.parse("nameserver 127.0.0.54\n").stubAddresses == ["127.0.0.54"])
        #expect(!ResolvConfParser.parse("nameserver 127.0.0.1\n").usesSystemdStub)
        // Beyond MAXNS the stub is never queried.
        #expect(!ResolvConfParser.parse("nameserver 1.1.1.1\nnameserver 1.0.0.1\nnameserver 9.9.9.9\nnameserver 127.0.0.53\n").usesSystemdStub)
    }

    @Test func jsonShape() throws {
        let c = ResolvConfParser.parse("nameserver 127.0.0.53\noptions edns0\n")
        let facts = ResolvConfFacts(path: "/etc/resolv.conf", present: true, manager: "plain-file", parsed: c)
        let json = try JSONValueEncoder().encode(facts)
        #expect(json["nameservers"]?[0]?["address"] == .string("127.0.0.53"))
        #expect(json["options"]?["ndots"] == .int(1))
        #expect(json["options"]?["ndots_default"] == .bool(true))
        #expect(json["options"]?["edns0"] == .bool(true))
        #expect(json["options"]?["single_request_reopen"] == .bool(false))
        #expect(json["search"]?["dropped_by_glibc_before_2_26"] == .array([]))
        #expect(json["immutable"] == .null)
        #expect(json["symlink_target"] == .null)
        #expect(json["nameservers"]?[0]?["used"] == .bool(true))
        #expect(json["nameservers"]?[0]?["ipv4_canonical"] == nil)
        #expect(json.objectValue?.keys.first == "path")
    }

    @Test func inetAtonExact() {
        #expect(IPAddress.parseInetAton(Array("1.2.3.4".utf8)) == 0x0102_0304)
        #expect(IPAddress.parseInetAton(Array("1.2.772".utf8)) == 0x0102_0304)
        #expect(IPAddress.parseInetAton(Array("0xffffffff".utf8)) == 0xFFFF_FFFF)
        #expect(IPAddress.parseInetAton(Array("4294967296".utf8)) == nil)
        #expect(IPAddress.parseInetAton(Array("08".utf8)) == nil)
        #expect(IPAddress.parseInetAton(Array("1.2.3.256".utf8)) == nil)
        #expect(IPAddress.parseInetAton(Array("1.2.3.4 ".utf8)) == nil)
        #expect(IPAddress.parseInetAton(Array("".utf8)) == nil)
        #expect(IPAddress.parseInetAton(Array("1..2".utf8)) == nil)
    }

    @Test func inetPton6() {
        #expect(IPAddress.parseIPv6(Array("::".utf8)) == [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(IPAddress.parseIPv6(Array("::1".utf8)) == [0, 0, 0, 0, 0, 0, 0, 1])
        #expect(IPAddress.parseIPv6(Array("1::".utf8)) == [1, 0, 0, 0, 0, 0, 0, 0])
        #expect(IPAddress.parseIPv6(Array("1:2:3:4:5:6:7:8".utf8)) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(IPAddress.parseIPv6(Array("::ffff:1.2.3.4".utf8)) == [0, 0, 0, 0, 0, 0xFFFF, 0x0102, 0x0304])
        for bad in [":", ":::", "1:2:3:4:5:6:7:8::", "1::2::3", "1:", ":1", "1:2:3:4:5:6:7", "::ffff:1.2.3", "::01.2.3.4", "g::1"] {
            #expect(IPAddress.parseIPv6(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    /// Property: any input parses without crashing, every problem names a line,
    /// and the structural invariants hold.
    @Test func randomGarbageNeverCrashes() {
        var rng = SeededGenerator(seed: 0x5EED)
        let pieces = [
            "nameserver ", "search ", "domain ", "options ", "sortlist ", "ndots:", "timeout:", "attempts:", "rotate",
            "127.0.0.53", "fe80::1%eth0", "::", "1.2.3.4/24",
        ]
        for _ in 0..<1500 {
            let input = garbage(&rng, pieces: pieces)
            let c = ResolvConfParser.parse(input)
            #expect(c.problems.allSatisfy { $0.line != nil && $0.line! >= 1 && $0.line! <= max(c.lineCount, 1) })
            #expect(c.nameservers.filter(\.used).count <= ResolvConf.maxNameservers)
            #expect(c.options.ndots <= 15 && c.options.timeout <= 30 && c.options.attempts <= 5)
            #expect(c.nameservers.allSatisfy { $0.line >= 1 && $0.line <= c.lineCount })
            #expect(c.search.count == c.search.domains.count)
        }
    }
}
