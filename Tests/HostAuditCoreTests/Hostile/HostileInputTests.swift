import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

/// Attacks on hostaudit through the bytes it reads (issue 13), reproduced
/// against the pure-Swift layer: each test is the attack, then the defence.
@Suite struct HostileInputTests {
    // MARK: - Bounded matching

    static func processFacts(args: [String], pid: Int = 4242, comm: String = "sh", exe: String = "/usr/bin/dash") -> JSONValue {
        [
            "schema": "hostaudit.facts/v1",
            "processes": [
                "available": true,
                "list": [
                    [
                        "pid": .int(Int64(pid)), "comm": .string(comm),
                        "exe": ["path": .string(exe), "deleted": false, "memfd": false, "in_temp_dir": false, "in_dot_dir": false],
                        "cmdline": ["args": .array(args.map(JSONValue.string))],
                    ]
                ],
            ],
        ]
    }

    static func engine(_ pattern: String) throws -> PolicyEngine {
        let text = PolicyText.noProcessArgument(matching: pattern, name: "t", rule: "hostile-redos")
        switch PolicyLoader().loadPolicy(text: text, file: "t.yaml") {
        case .success(let p): return try PolicyEngine(policies: [p])
        case .failure(let e): throw e
        }
    }

    @Test func catastrophicPatternStopsAtItsBudget() {
        // (a+)+$ on 101 characters took 80 s before matches were bounded.
        let re = try! CompiledRegex("(a+)+$")
        let budget = MatchBudget(perMatch: .milliseconds(50))
        let r = MatchBudget.$current.withValue(budget) { re.match(String(repeating: "a", count: 100) + "!") }
        #expect(r == nil)
        #expect(budget.exhausted.count == 1)
        // Ordinary matching still works under the budget.
        #expect(MatchBudget.$current.withValue(budget) { re.match("aaa") } == true)
        #expect(MatchBudget.$current.withValue(budget) { re.match("!") } == false)
    }

    @Test func ruleThatRunsOutIsAnErrorNamingTheRuleAndTheProcess() throws {
        let engine = try Self.engine("(a+)+$")
        let facts = Self.processFacts(args: ["sh", String(repeating: "a", count: 100) + "!"])
        let f = engine.evaluate(facts: facts, perMatch: .milliseconds(50))[0]
        #expect(f.status == .error)
        let detail = f.detail ?? ""
        #expect(detail.contains("hostile-redos"))
        #expect(detail.contains("4242"))
        #expect(f.evidence.first?["pid"] == .int(4242), "\(f.evidence) \(detail)")
    }

    @Test func evaluationDeadlineStopsEveryLaterMatch() throws {
        let engine = try Self.engine("^a")
        let facts = Self.processFacts(args: ["abc"])
        // A deadline already past: the match is not attempted and the rule cannot pass.
        let f = engine.evaluate(facts: facts, deadline: ContinuousClock().now)[0]
        #expect(f.status == .error)
        #expect(f.detail?.contains("time budget") == true)
    }

    @Test func failingEvidenceStillWinsOverAnExhaustedMatch() throws {
        let engine = try Self.engine("(a+)+$|^xmrig$")
        var facts = Self.processFacts(args: [String(repeating: "a", count: 100) + "!"])
        // A second process that does match: the rule fails on it.
        if case .object(var doc) = facts, case .object(var procs)? = doc["processes"], case .array(var list)? = procs["list"] {
            list.append(["pid": 7, "comm": "xmrig", "cmdline": ["args": ["xmrig"]]])
            procs["list"] = .array(list)
            doc["processes"] = .object(procs)
            facts = .object(doc)
        }
        let f = engine.evaluate(facts: facts, perMatch: .milliseconds(50))[0]
        #expect(f.status == .fail)
        #expect(f.detail?.contains("budget") == true)
    }

    /// Every shipped pattern, on 64 KiB of the inputs that make backtracking
    /// engines quadratic or worse, finishes well inside a generous budget.
    @Test func shippedPatternsAreLinearOnAdversarialInput() throws {
        let lib = PolicyLibrary.load(paths: [Fixtures.packageRoot + "/Policies"])
        #expect(lib.errors.isEmpty)
        var patterns = Set<String>()
        func walk(_ c: PolicyCheck) {
            switch c {
            case .match(_, let m, _):
                if m.kind == .matches, case .literal(let v) = m.operand, let s = v.stringValue { patterns.insert(s) }
            case .all(let cs, _), .any(let cs, _): cs.forEach(walk)
            case .not(let i, _): walk(i)
            case .quantified(let q, _): if let c = q.condition { walk(c) }
            }
        }
        for p in lib.policies {
            for r in p.rules {
                if let w = r.when { walk(w) }
                if case .facts(let c) = r.check { walk(c) }
            }
        }
        #expect(patterns.count >= 10)
        let n = 65536
        func rep(_ s: String) -> String { String(String(repeating: s, count: n / s.utf8.count + 1).prefix(n)) }
        let inputs = [
            rep("a."), rep("a"), rep("pool"), rep("pool."), rep("-"), rep("a-"), rep(".so"), rep("libjemalloc.so"),
            rep("/"), rep("a/"), rep("4"), rep("a:"), rep(" "), rep("stratum+"), rep("--"), rep("x.minexmr"),
            "a." + rep("a.") + "!", rep("/libjemalloc.so:"),
        ]
        // Quadratic on 64 KiB is billions of steps: minutes, far past 5 s.
        let budget = MatchBudget(perMatch: .seconds(5))
        for p in patterns.sorted() {
            let re = try CompiledRegex(p)
            for input in inputs {
                let r = MatchBudget.$current.withValue(budget) { re.match(input) }
                #expect(r != nil, "'\(p)' ran out on \(input.prefix(16))…")
            }
        }
    }

    @Test func lintWarnsOnNestedQuantifiers() throws {
        for bad in ["(a+)+$", "([a-z0-9-]+\\.)*pool", "(\\w*)*", "((ab)*c)+", "(x[a-z]{1,5}){2,}", "(?i)(^|[^a-z])([a-z]+\\.)*x"] {
            #expect(CompiledRegex.nestedQuantifier(bad) != nil, "\(bad)")
        }
        for ok in ["^a+b*$", "(ab)+", "(a|b)*", "(?>a+)+", "(a+)++", "^[a-z]{2,5}(\\.[a-z]+)?$", "\\(a+\\)+", "[(a+)]+"] {
            #expect(CompiledRegex.nestedQuantifier(ok) == nil, "\(ok)")
        }
        // The shipped policies were rewritten so lint has nothing to say about them.
        let lib = PolicyLibrary.load(paths: [Fixtures.packageRoot + "/Policies"])
        #expect(lib.warnings == [])
        // A policy with one: the warning is located at the matcher.
        let dir = try Fixtures.temporaryDirectory("ha-lint")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = PolicyText.oneRule(check: """
            none:
              path: processes.list
              where: {path: comm, matches: '(a+)+$'}
            """)
        try text.write(toFile: dir + "/t.yaml", atomically: true, encoding: .utf8)
        let l = PolicyLibrary.load(paths: [dir + "/t.yaml"])
        #expect(l.errors.isEmpty)
        #expect(l.warnings.count == 1)
        #expect(l.warnings.first?.hasPrefix(dir + "/t.yaml:9:") == true)
        #expect(l.warnings.first?.contains("warning: '(a+)+'") == true)
    }
}

extension HostileInputTests {
    // MARK: - Byte-exact names (a combining mark must not hide a path)

    @Test(arguments: ["/dev/shm/\u{301}x", "/tmp/\u{301}", "/var/tmp/\u{301}/m"])
    func combiningMarkAfterTempDirIsStillTemp(_ path: String) {
        #expect(ProcessPath.classify(Array(path.utf8)).inTempDir)
        #expect(SuspiciousPath.classify(path) == "temp")
    }

    @Test func combiningMarkDotDirAndMemfd() {
        let dot = ProcessPath.classify(Array("/home/u/.\u{301}/miner".utf8))
        #expect(dot.inDotDir)
        #expect(SuspiciousPath.classify("/home/u/.\u{301}/miner") == "dot-dir")
        let memfd = ProcessPath.classify(Array("/memfd:\u{301}kworker (deleted)".utf8))
        #expect(memfd.memfd && memfd.deleted)
        // Control: a plain name is none of them.
        let plain = ProcessPath.classify(Array("/usr/bin/\u{301}x".utf8))
        #expect(!plain.inTempDir && !plain.inDotDir && !plain.memfd)
    }

    @Test func matchersCompareScalarsNotGraphemes() throws {
        let evil = "/dev/shm/\u{301}xmrig"
        let facts = Self.processFacts(args: ["x"], exe: evil)
        func status(_ matcher: String) throws -> Finding.Status {
            let text = PolicyText.oneRule(check: """
                any:
                  path: processes.list
                  where: {path: exe.path, \(matcher)}
                """)
            switch PolicyLoader().loadPolicy(text: text, file: "t.yaml") {
            case .success(let p): return try PolicyEngine(policies: [p]).evaluate(facts: facts)[0].status
            case .failure(let e): throw e
            }
        }
        #expect(try status("starts-with: /dev/shm/") == .pass)
        #expect(try status("contains: \"/\"") == .pass)
        #expect(try status("contains: \"shm/\"") == .pass)
        #expect(try status("ends-with: \"\u{301}xmrig\"") == .pass)
        #expect(try status("ends-with: xmrig") == .pass)
        // The regex prefix filter: ^/dev/shm/ must reach ICU, which matches scalars.
        #expect(try status("matches: '^/dev/shm/'") == .pass)
        #expect(try status("starts-with: /tmp/") == .fail)
    }
}

extension HostileInputTests {
    // MARK: - YAML alias bombs and sizes

    static let bomb = """
        name: bomb
        a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
        f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
        g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
        h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
        i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
        rules: *i
        """

    @Test func aliasBombIsRefusedAtTheFirstAnchor() {
        guard case .failure(let e) = PolicyLoader().loadPolicy(text: Self.bomb, file: "bomb.yaml") else {
            Issue.record("the bomb loaded")
            return
        }
        #expect(e.errors.count == 1)
        #expect(e.errors.first?.description.hasPrefix("bomb.yaml:2:4: error: YAML anchor '&a'") == true, "\(e)")
    }

    @Test func aliasAsMappingKeyIsRefused() {
        let text = "name: t\nk: &k {x: [1, 2, 3]}\nm:\n  ? *k\n  : v\nrules: []\n"
        guard case .failure(let e) = PolicyLoader().loadPolicy(text: text, file: "k.yaml") else {
            Issue.record("loaded")
            return
        }
        #expect(e.errors.first?.line == 2 && e.errors.first?.kind == .syntax, "\(e)")
        // An alias without an anchor (a dangling one) is located too.
        guard case .failure(let e2) = PolicyLoader().loadPolicy(text: "name: t\nrules: *r\n", file: "r.yaml") else {
            Issue.record("loaded")
            return
        }
        #expect(e2.errors.first?.description.hasPrefix("r.yaml:2:8: error:") == true, "\(e2)")
    }

    @Test func aliasesInParametersAndWaiversAreRefused() throws {
        let p = try PolicyEval.policy("path: resolver.resolv_conf.manager\nequals: plain-file", extra: "parameters:\n  x: {type: string, default: a}")
        let params = "parameters:\n  x: &x yes\n  y: *x\n"
        guard case .failure(let e) = PolicyLoader().loadParameters(bytes: Array(params.utf8), file: "params.yaml", policies: [p]) else {
            Issue.record("loaded")
            return
        }
        #expect(e.errors.first?.line == 2 && e.errors.first?.message.contains("anchor") == true, "\(e)")
        let waivers = "waivers:\n  - &w {rule: r, reason: x, expires: 2099-01-01}\n  - *w\n"
        guard case .failure(let w) = PolicyLoader().loadWaivers(bytes: Array(waivers.utf8), file: "w.yaml", policies: [p]) else {
            Issue.record("loaded")
            return
        }
        #expect(w.errors.first?.line == 2, "\(w)")
    }

    /// A 1 GiB policy (sparse: no disk used) is refused from its size, and a
    /// FIFO planted as a policy does not block the reader.
    @Test func sizeIsCheckedBeforeReading() throws {
        let dir = try Fixtures.temporaryDirectory("ha-big")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let big = dir + "/big.yaml"
        let fd = open(big, O_WRONLY | O_CREAT, 0o644)
        #expect(ftruncate(fd, 1 << 30) == 0)
        close(fd)
        guard case .failure(let e) = PolicyLoader.readBytes(big) else {
            Issue.record("read")
            return
        }
        #expect(e.message.contains("larger than 4 MiB"))
        let fifo = dir + "/fifo.yaml"
        #expect(mkfifo(fifo, 0o644) == 0)
        guard case .failure(let f) = PolicyLoader.readBytes(fifo) else {
            Issue.record("read")
            return
        }
        #expect(f.message.contains("not a regular file"))
        // Policies at the limit still load.
        #expect(PolicyLoader.maxFileSize == 4 << 20)
    }
}

extension HostileInputTests {
    // MARK: - Smaller items

    @Test(arguments: ["0x7f.0.0.1:9", "0x7f.1:80", "0177.0x0.0.1:443", "http://0x7f000001/"])
    func inetAtonFormsAreNotLookedUpAsNames(_ target: String) {
        #expect(throws: (any Error).self) { try EgressTargetParser.parse(target) }
        do { _ = try EgressTargetParser.parse(target) } catch { #expect("\(error)".contains("127.0.0.1"), "\(error)") }
        // A real name that merely starts like hex stays a name.
        #expect((try? EgressTargetParser.parse("0x7f.example.com:80"))?.hostKind == .name)
    }

    @Test func leadingDashHostIsAClearError() {
        do {
            _ = try EgressTargetParser.parse("-example.com:80")
            Issue.record("parsed")
        } catch { #expect("\(error)".contains("cannot start or end with '-'")) }
    }

    @Test func yamlErrorsSpeakOurWords() {
        var deep = "name: t\n"
        for i in 0..<1100 { deep += String(repeating: "  ", count: i) + "k\(i):\n" }
        guard case .failure(let e) = PolicyLoader().loadPolicy(text: deep, file: "d.yaml") else {
            Issue.record("loaded")
            return
        }
        #expect(e.errors.first?.message == "nesting deeper than libyaml's limit of 1000 levels", "\(e)")
        #expect(!e.description.contains("yaml_"))
        guard case .failure(let t) = PolicyLoader().loadPolicy(text: "name: t\nrules:\n\t- id: x\n", file: "t.yaml") else {
            Issue.record("loaded")
            return
        }
        #expect(t.errors.first?.description.hasPrefix("t.yaml:3:1: error: a tab cannot indent YAML") == true, "\(t)")
        // A tab between tokens is YAML and loads.
        if case .failure(let x) = PolicyLoader().loadPolicy(text: "name: t\t# a comment\nrules: [\t]\n", file: "ok.yaml") {
            Issue.record("\(x)")
        }
    }
}

extension HostileInputTests {
    /// Padding past the kept 64 KiB used to hide the arguments after it.
    @Test func argumentsAfterPaddingAreKept() {
        let pad = [UInt8](repeating: UInt8(ascii: "x"), count: 200_000)
        let full: [UInt8] = Array("xmrig".utf8) + [0] + pad + [0] + Array("--donate-level=1".utf8) + [0]
        let limit = 65536
        let prefix = Array(full.prefix(limit))
        let tail = Array(full.dropFirst(limit).suffix(limit))
        let c = ProcessCommandLine.parse(
            prefix: prefix, totalLength: full.count, totalNULs: 3, endsWithNUL: true, tail: Array(tail))
        #expect(c.args.first == "xmrig")
        #expect(c.args.last == "--donate-level=1")
        #expect(c.truncated)
        #expect(c.argc == 3)
        // Without a gap the whole line is kept exactly.
        let short: [UInt8] = Array("a".utf8) + [0] + [UInt8](repeating: 0x79, count: 70_000) + [0] + Array("b".utf8) + [0]
        let s = ProcessCommandLine.parse(
            prefix: Array(short.prefix(limit)), totalLength: short.count, totalNULs: 3, endsWithNUL: true,
            tail: Array(short.dropFirst(limit)))
        #expect(s.args.count == 3 && s.args.last == "b" && !s.truncated)
    }
}

extension HostileInputTests {
    /// Under process churn a process with miner indicators can vanish between
    /// the CPU samples: miner-sustained-cpu became `error` in 3 of 3 audits.
    @Test func vanishedProcessIsNotAnErrorForSustainedCPU() throws {
        let lib = PolicyLibrary.load(paths: [Fixtures.packageRoot + "/Policies"])
        let engine = try PolicyEngine(policies: lib.policies)
        let facts: JSONValue = [
            "schema": "hostaudit.facts/v1",
            "processes": [
                "available": true,
                "cpu": ["interval_seconds": 0.5, "unaccounted_percent": 0],
                "list": [
                    ["pid": 10, "comm": "xmrig", "cpu": nil, "cmdline": nil, "exe": nil, "fake_kernel_thread": false],
                    ["pid": 11, "comm": "bash", "cpu": ["percent": 1.0], "cmdline": ["args": ["bash"]], "exe": nil,
                     "fake_kernel_thread": false],
                ],
            ],
        ]
        let f = engine.evaluate(facts: facts, only: ["miner-sustained-cpu"])
        #expect(f.first?.status == .pass, "\(f)")
    }
}

extension HostileInputTests {
    /// The output-boundary escape leaves JSON and ordinary text byte for byte
    /// as they are, and removes every control a renderer could have missed.
    @Test func blockEscapeKeepsJSONAndLayout() throws {
        let doc: JSONValue = ["name": "a\u{1b}[2J\u{202e}\u{fffd}\\b\t\n\u{7f}\u{9b}"]
        let json = JSONWriter().string(doc)
        #expect(TerminalText.escapeBlock(json) == json)
        #expect((try? JSONValue(parsing: TerminalText.escapeBlock(json))) == doc)
        let nft = "table inet t {\n\tchain c {\n\t\tcomment \"a\\b\"\n\t}\n}\n"
        #expect(TerminalText.escapeBlock(nft) == nft)
        let evil = "x\u{1b}[1A\u{1b}[2K\u{7}\u{202e}\u{9b}\u{7f}\r"
        let out = TerminalText.escapeBlock(evil)
        #expect(!out.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{202e}" })
        // Colour sequences stay only when allowed.
        #expect(TerminalText.escapeBlock("\u{1b}[31mred\u{1b}[0m", allowingColour: true) == "\u{1b}[31mred\u{1b}[0m")
        #expect(TerminalText.escapeBlock("\u{1b}[31mred", allowingColour: false).hasPrefix("\\x1b[31m"))
    }
}
