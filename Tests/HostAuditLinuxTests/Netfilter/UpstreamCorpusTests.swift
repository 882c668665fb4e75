import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

/// The upstream corpora: nftables' own shell-suite dumps and iptables' own
/// extension tests and saved rulesets, read from `../shared/corpora` beside the
/// package (never copied into it). Each case is loaded into a network
/// namespace; `hostaudit firewall show` must print what `nft list ruleset` /
/// `iptables-save` print there, and `--format json` must equal
/// `nft -j list ruleset` as parsed JSON (the fields `NFTJSONCorpus.comparable`
/// documents left out).
///
/// Speed: a few worker namespaces run the cases in parallel, each reused
/// between cases by `nft flush ruleset` (which also removes iptables-nft's
/// tables); every worker is one shell script run by one `ip netns exec`, its
/// outputs written to files and compared here afterwards. The iptables
/// extension cases of one `.t` section are loaded together (each rule added
/// by its own `iptables-nft -A`, rejected ones skipped and counted) and
/// dumped once; rule k of the chain in both listings is case k.
///
/// Cases that differ today are listed in
/// `Tests/Fixtures/upstream-corpus-known-differences.txt` (`ID CATEGORY`, one
/// a line). The test fails when a case not listed differs and when a listed
/// case now matches, so the list only shrinks. `HOSTAUDIT_CORPUS_WRITE_KNOWN=FILE`
/// writes the current list to FILE; `HOSTAUDIT_CORPUS_FILTER=TEXT` runs only the
/// cases whose id contains TEXT (and then checks the list only for those);
/// `HOSTAUDIT_CORPUS_SHOW=1` prints every difference, listed or not.
enum UpstreamCorpus {
    static let root = URL(fileURLWithPath: Fixtures.packageRoot + "/../shared/corpora").standardized.path
    static let knownFile = Fixtures.path("upstream-corpus-known-differences.txt")
    static let workers = 3

    static var present: Bool {
        FileManager.default.fileExists(atPath: root + "/nftables") && FileManager.default.fileExists(atPath: root + "/iptables")
    }

    enum Kind { case nft, iptRules, iptDump }

    /// One unit of work for a worker: a namespace state to load and dump once.
    struct Job {
        var id: String
        var kind: Kind
        var path: String = ""
        var v6 = false
        var table = "filter"
        var chain = ""
        /// iptables extension cases: (case id, rule arguments).
        var rules: [(id: String, args: [String])] = []
    }

    // MARK: Building the jobs

    static func nftJobs() -> [Job] {
        var jobs: [Job] = []
        for branch in ["master", "v1.0.6.y"] {
            let dir = root + "/nftables/" + branch
            guard let e = FileManager.default.enumerator(atPath: dir) else { continue }
            for case let rel as String in e where rel.hasSuffix(".nft") {
                jobs.append(Job(id: "nft:\(branch)/\(rel)", kind: .nft, path: dir + "/" + rel))
            }
        }
        return jobs.sorted { $0.id < $1.id }
    }

    /// `iptables-test.py`'s `.t` files: `:CHAINS` and `*table` lines open a
    /// section; `RULE;SAVED;RESULT[;VARIANT…]` lines are cases. Only `OK`
    /// cases not limited to the legacy backend are loaded.
    static func iptRuleJobs() -> (jobs: [Job], skippedLegacy: Int) {
        let dir = root + "/iptables/extensions"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".t") }.sorted()
        var jobs: [Job] = []
        var legacyOnly = 0
        for file in files {
            let families: [Bool]
            if file.hasPrefix("libxt_") { families = [false, true] }
            else if file.hasPrefix("libipt_") || file == "iptables.t" { families = [false] }
            else if file.hasPrefix("libip6t_") { families = [true] }
            else { continue }  // ebtables / arptables: out of scope
            guard let text = try? String(contentsOfFile: dir + "/" + file, encoding: .utf8) else { continue }
            for v6 in families {
                var table = "filter"
                var current: Job?
                func close() { if let c = current, !c.rules.isEmpty { jobs.append(c) }; current = nil }
                for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let line = String(raw)
                    let lineNo = n + 1
                    if line.hasPrefix("*") {
                        // `*table` may follow `:CHAINS` (socket, cgroup, CONNMARK, …):
                        // the chains stay, in the new table.
                        let chain = current?.chain
                        close()
                        table = String(line.dropFirst())
                        if let chain {
                            current = Job(
                                id: "\(v6 ? "ip6t" : "ipt"):\(file):\(lineNo)", kind: .iptRules, v6: v6, table: table, chain: chain)
                        }
                    } else if line.hasPrefix(":") {
                        close()
                        let chain = String(line.dropFirst().split(separator: ",").first ?? "")
                        current = Job(
                            id: "\(v6 ? "ip6t" : "ipt"):\(file):\(lineNo)", kind: .iptRules, v6: v6, table: table,
                            chain: chain)
                    } else if !line.hasPrefix("#"), !line.isEmpty, current != nil {
                        let f = line.components(separatedBy: ";")
                        guard f.count >= 3, f[2] == "OK" else { continue }
                        if f.count >= 4, f[3] == "LEGACY" { legacyOnly += 1; continue }
                        guard let args = shellSplit(f[0]) else { continue }
                        current!.rules.append((id: "\(v6 ? "ip6t" : "ipt"):\(file):\(lineNo)", args: args))
                    }
                }
                close()
            }
        }
        return (jobs, legacyOnly)
    }

    static func iptDumpJobs() -> [Job] {
        let dir = root + "/iptables/dumps"
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        var jobs: [Job] = []
        for case let rel as String in e {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue,
                !rel.hasSuffix(".xml")
            else { continue }
            let v6 = (rel as NSString).lastPathComponent.contains("ip6")
            jobs.append(Job(id: "\(v6 ? "ip6t" : "ipt"):dumps/\(rel)", kind: .iptDump, path: dir + "/" + rel, v6: v6))
        }
        return jobs.sorted { $0.id < $1.id }
    }

    /// Splits a rule the way `shlex.split` does (quotes and backslashes); nil when unbalanced.
    static func shellSplit(_ s: String) -> [String]? {
        var out: [String] = []
        var cur = ""
        var inWord = false
        var quote: Character?
        var it = s.makeIterator()
        while let c = it.next() {
            if let q = quote {
                if c == q { quote = nil }
                else if c == "\\" && q == "\"" { if let n = it.next() { cur.append(n) } }
                else { cur.append(c) }
            } else if c == "'" || c == "\"" { quote = c; inWord = true }
            else if c == "\\" { if let n = it.next() { cur.append(n) }; inWord = true }
            else if c == " " || c == "\t" { if inWord { out.append(cur); cur = ""; inWord = false } }
            else { cur.append(c); inWord = true }
        }
        if quote != nil { return nil }
        if inWord { out.append(cur) }
        return out
    }

    static func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// The shell text that loads and dumps one job into `dir`.
    static func script(_ job: Job, dir: String, binary: String) -> String {
        let d = q(dir)
        let dump = """
            nft list ruleset >\(d)/nft.txt 2>&1
            nft -j list ruleset >\(d)/nft.json 2>\(d)/nft.json.err
            env NO_COLOR=1 \(q(binary)) firewall show >\(d)/ha.txt 2>\(d)/ha.err; echo $? >\(d)/ha.rc
            env NO_COLOR=1 \(q(binary)) firewall show --format json >\(d)/ha.json 2>\(d)/ha.json.err
            """
        var s = "mkdir -p \(d)\nnft flush ruleset\n"
        switch job.kind {
        case .nft:
            s += "if nft -f \(q(job.path)) >\(d)/load.err 2>&1; then\n\(dump)\nelse touch \(d)/skipped; fi\n"
        case .iptDump:
            let restore = job.v6 ? "ip6tables-nft-restore" : "iptables-nft-restore"
            let save = job.v6 ? "ip6tables-nft-save" : "iptables-nft-save"
            s += "if \(restore) \(q(job.path)) >\(d)/load.err 2>&1; then\n\(save) >\(d)/save.txt 2>&1\n\(dump)\n"
            s += "else touch \(d)/skipped; fi\n"
        case .iptRules:
            let tool = job.v6 ? "ip6tables-nft" : "iptables-nft"
            let save = job.v6 ? "ip6tables-nft-save" : "iptables-nft-save"
            s += ": >\(d)/loaded\n"
            for (i, r) in job.rules.enumerated() {
                let args = (["-t", job.table, "-A", job.chain] + r.args).map(q).joined(separator: " ")
                s += "\(tool) \(args) >/dev/null 2>&1 && echo \(i) >>\(d)/loaded\n"
            }
            s += "if [ -s \(d)/loaded ]; then\n\(save) >\(d)/save.txt 2>&1\n\(dump)\nfi\n"
        }
        return s
    }

    // MARK: Comparing

    struct Outcome {
        var differing: [String: String] = [:]  // id#aspect -> first differing lines
        var identical: Set<String> = []        // id#aspect
        var skipped: Set<String> = []          // case ids
        var categories: [String: String] = [:] // id#aspect -> category
    }

    static func read(_ path: String) -> String? {
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: d, as: UTF8.self)
    }

    static func normalise(_ s: String) -> String {
        s.replacingOccurrences(of: #" expires [0-9a-z]+"#, with: "", options: .regularExpression)
    }

    static func firstDifference(_ a: String, _ b: String) -> String {
        let x = a.split(separator: "\n", omittingEmptySubsequences: false)
        let y = b.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(x.count, y.count) {
            let l = i < x.count ? String(x[i]) : "(end)"
            let r = i < y.count ? String(y[i]) : "(end)"
            if l != r { return "line \(i + 1)\n    ours: \(l)\n    want: \(r)" }
        }
        return "(no line differs)"
    }

    /// `*table … COMMIT` blocks of an iptables-save text, comment lines dropped.
    static func saveBlocks(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        var name: String?
        var lines: [Substring] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            if line.hasPrefix("*") { name = String(line.dropFirst()); lines = [line]; continue }
            lines.append(line)
            if line == "COMMIT", let n = name { out[n] = lines.joined(separator: "\n") + "\n"; name = nil }
        }
        return out
    }

    /// The `-A CHAIN` lines of a block, per chain in order, and the rest.
    static func split(_ block: String) -> (head: [Substring], rules: [String: [Substring]]) {
        var head: [Substring] = []
        var rules: [String: [Substring]] = [:]
        for line in block.split(separator: "\n") {
            if line.hasPrefix("-A ") {
                let chain = String(line.dropFirst(3).prefix { $0 != " " })
                rules[chain, default: []].append(line)
            } else { head.append(line) }
        }
        return (head, rules)
    }

    static func jsonItems(_ path: String) -> [CanonicalJSON]? {
        guard let d = FileManager.default.contents(atPath: path), let j = try? CanonicalJSON.parse([UInt8](d)) else {
            return nil
        }
        return NFTJSONCorpus.comparable(j)
    }

    static func evaluate(_ job: Job, dir: String, into o: inout Outcome) {
        let fm = FileManager.default
        switch job.kind {
        case .nft, .iptDump:
            if fm.fileExists(atPath: dir + "/skipped") || !fm.fileExists(atPath: dir + "/ha.json.err") {
                o.skipped.insert(job.id); return
            }
        case .iptRules:
            let loaded = (read(dir + "/loaded") ?? "").split(separator: "\n").compactMap { Int($0) }
            let loadedSet = Set(loaded)
            for (i, r) in job.rules.enumerated() where !loadedSet.contains(i) { o.skipped.insert(r.id) }
            guard !loaded.isEmpty, fm.fileExists(atPath: dir + "/ha.json.err") else { return }
        }
        let ha = read(dir + "/ha.txt") ?? ""
        let haJSON = jsonItems(dir + "/ha.json")
        let nftJSON = jsonItems(dir + "/nft.json")

        func record(_ key: String, _ equal: Bool, _ detail: @autoclosure () -> String, _ category: @autoclosure () -> String) {
            if equal { o.identical.insert(key) } else { o.differing[key] = detail(); o.categories[key] = category() }
        }

        if job.kind == .nft {
            let want = normalise(read(dir + "/nft.txt") ?? "")
            let got = normalise(ha)
            record(job.id + "#text", got == want, firstDifference(got, want), nftCategory(got, want, job.id))
            let eq = haJSON != nil && haJSON == nftJSON
            record(job.id + "#json", eq, jsonDifference(haJSON, nftJSON), nftCategory(got, want, job.id))
            return
        }

        // iptables: each table block of iptables-save against ours.
        let family = job.v6 ? "ip6" : "ip"
        let blocks = saveBlocks(read(dir + "/save.txt") ?? "")
        if job.kind == .iptDump {
            var equal = true
            var detail = ""
            for (table, want) in blocks.sorted(by: { $0.key < $1.key }) {
                let got = IptablesCorpus.block(ha, family: family, table: table, tag: "iptables-nft") ?? "(no block)\n"
                if got != want, equal { equal = false; detail = "\(table): " + firstDifference(got, want) }
            }
            record(job.id + "#text", equal, detail, "dump")
            record(job.id + "#json", haJSON != nil && haJSON == nftJSON, jsonDifference(haJSON, nftJSON), "dump")
            return
        }

        let loaded = (read(dir + "/loaded") ?? "").split(separator: "\n").compactMap { Int($0) }
        let want = blocks[job.table] ?? ""
        let gotBlock = IptablesCorpus.block(ha, family: family, table: job.table, tag: "iptables-nft")
        let (wantHead, wantRules) = split(want)
        let (gotHead, gotRules) = gotBlock.map(split) ?? ([], [:])
        let w = wantRules[job.chain] ?? []
        let g = gotRules[job.chain] ?? []
        if gotBlock == nil || w.count != loaded.count || g.count != w.count || gotHead != wantHead {
            // Not attributable rule by rule: every loaded case of the section differs.
            let detail = gotBlock == nil
                ? "no iptables-nft block for \(family) \(job.table) (table printed in nft syntax?)"
                : firstDifference(gotBlock ?? "", want)
            for i in loaded { record(job.rules[i].id + "#text", false, detail, iptCategory(job.rules[i].args)) }
        } else {
            for (k, i) in loaded.enumerated() {
                record(
                    job.rules[i].id + "#text", g[k] == w[k], "    ours: \(g[k])\n    want: \(w[k])",
                    iptCategory(job.rules[i].args))
            }
        }
        // JSON: the k-th rule object of the chain is case k; everything else must match too.
        func rulesAndRest(_ items: [CanonicalJSON]?) -> ([CanonicalJSON], [CanonicalJSON]) {
            var r: [CanonicalJSON] = []
            var rest: [CanonicalJSON] = []
            for item in items ?? [] {
                if let rule = item["rule"], rule["chain"] == .string(job.chain) { r.append(rule) } else { rest.append(item) }
            }
            return (r, rest)
        }
        let (hr, hrest) = rulesAndRest(haJSON)
        let (nr, nrest) = rulesAndRest(nftJSON)
        if haJSON == nil || hrest != nrest || hr.count != nr.count || nr.count != loaded.count {
            for i in loaded {
                record(job.rules[i].id + "#json", false, jsonDifference(haJSON, nftJSON), iptCategory(job.rules[i].args))
            }
        } else {
            for (k, i) in loaded.enumerated() {
                record(
                    job.rules[i].id + "#json", hr[k] == nr[k], "    ours: \(hr[k])\n    want: \(nr[k])",
                    iptCategory(job.rules[i].args))
            }
        }
    }

    static func jsonDifference(_ a: [CanonicalJSON]?, _ b: [CanonicalJSON]?) -> String {
        guard let a else { return "our JSON does not parse" }
        guard let b else { return "nft -j output does not parse" }
        for (x, y) in zip(a, b) where x != y { return "    ours: \(x)\n    want: \(y)" }
        return "\(a.count) entries, nft has \(b.count)"
    }

    /// The extensions a rule names (`-m NAME`, `-j NAME`), as its category.
    static func iptCategory(_ args: [String]) -> String {
        var names: [String] = []
        for (i, a) in args.enumerated() where (a == "-m" || a == "-j" || a == "--match" || a == "--jump") && i + 1 < args.count {
            names.append(args[i + 1])
        }
        return names.isEmpty ? "base" : names.joined(separator: ",")
    }

    /// A short category for an nft case: a keyword of the first differing line, else the suite folder.
    static func nftCategory(_ got: String, _ want: String, _ id: String) -> String {
        let folder = id.split(separator: "/").dropFirst(2).first.map(String.init) ?? "?"
        let x = got.split(separator: "\n", omittingEmptySubsequences: false)
        let y = want.split(separator: "\n", omittingEmptySubsequences: false)
        var line = ""
        for i in 0..<max(x.count, y.count) {
            let l = i < x.count ? x[i] : ""
            let r = i < y.count ? y[i] : ""
            if l != r { line = String(r); break }
        }
        let keywords: [(String, String)] = [
            ("vlan", "vlan"), ("synproxy", "synproxy"), ("ct expectation", "ct-expectation"), ("jump {", "anon-chain"),
            ("goto {", "anon-chain"), ("typeof", "typeof"), ("devices", "multi-device"), (" map {", "nat-map"),
            ("auto-merge", "interval"), ("interval", "interval"), ("<<", "bitwise"), (">>", "bitwise"), ("|", "bitwise"),
            ("comment", "comment"), (" . ", "concat"), ("elements", "elements"), ("flowtable", "flowtable"),
            ("*", "catch-all"), ("@", "set-stmt"),
        ]
        for (k, c) in keywords where line.contains(k) { return "\(folder):\(c)" }
        return folder
    }

    // MARK: Known differences

    static func known() -> [String: String] {
        var out: [String: String] = [:]
        for line in (read(knownFile) ?? "").split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard let id = parts.first else { continue }
            out[String(id)] = parts.count > 1 ? String(parts[1]) : ""
        }
        return out
    }

    static func run(filter: String?) throws -> (Outcome, [Job]) {
        var jobs = nftJobs()
        let (ruleJobs, legacyOnly) = iptRuleJobs()
        _ = legacyOnly
        jobs += ruleJobs + iptDumpJobs()
        if let filter {
            jobs = jobs.compactMap { j in
                var j = j
                if j.kind == .iptRules {
                    j.rules = j.rules.filter { $0.id.contains(filter) }
                    return j.rules.isEmpty ? nil : j
                }
                return j.id.contains(filter) ? j : nil
            }
        }
        let work = try Fixtures.temporaryDirectory("ha-corpus")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let binary = HostAuditCLI.binaryPath
        // Deal the jobs round-robin so each worker gets a mix of slow and fast cases.
        var scripts = Array(repeating: "set +e\n", count: workers)
        for (n, job) in jobs.enumerated() {
            scripts[n % workers] += script(job, dir: "\(work)/\(n)", binary: binary)
        }
        let finalScripts = scripts
        nonisolated(unsafe) var errors: [any Error] = []
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            do {
                let path = "\(work)/worker\(w).sh"
                try Data(finalScripts[w].utf8).write(to: URL(fileURLWithPath: path))
                try NetNamespace.with(tag: "corpus\(w)") { ns in
                    _ = try ns.run(["sh", path], timeout: 3000)
                }
            } catch {
                lock.lock(); errors.append(error); lock.unlock()
            }
        }
        if let e = errors.first { throw e }
        var outcome = Outcome()
        for (n, job) in jobs.enumerated() { evaluate(job, dir: "\(work)/\(n)", into: &outcome) }
        return (outcome, jobs)
    }
}

@Suite("Upstream corpora (nftables and iptables test suites, real kernel)", .privileged)
struct UpstreamCorpusTests {
    @Test func everyCaseReadsBackOrIsAKnownDifference() throws {
        guard UpstreamCorpus.present else {
            if Privileged.required {
                Issue.record("corpora missing at \(UpstreamCorpus.root) (required when \(Privileged.requireVariable)=1)")
            }
            return
        }
        let filter = ProcessInfo.processInfo.environment["HOSTAUDIT_CORPUS_FILTER"].flatMap { $0.isEmpty ? nil : $0 }
        let (o, _) = try UpstreamCorpus.run(filter: filter)

        // Totals per corpus and aspect.
        for corpus in ["nft", "ipt"] {
            func inCorpus(_ k: String) -> Bool { corpus == "nft" ? k.hasPrefix("nft:") : !k.hasPrefix("nft:") }
            let skipped = o.skipped.filter(inCorpus).count
            for aspect in ["text", "json"] {
                let same = o.identical.filter { inCorpus($0) && $0.hasSuffix("#" + aspect) }.count
                let diff = o.differing.keys.filter { inCorpus($0) && $0.hasSuffix("#" + aspect) }.count
                print("upstream corpus \(corpus) \(aspect): identical \(same), differing \(diff), skipped \(skipped)")
            }
        }

        if let out = ProcessInfo.processInfo.environment["HOSTAUDIT_CORPUS_WRITE_KNOWN"], !out.isEmpty {
            let lines = o.differing.keys.sorted().map { "\($0) \(o.categories[$0] ?? "")" }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: out))
        }

        // HOSTAUDIT_CORPUS_SHOW=1: every difference, listed or not (for working on the list).
        if ProcessInfo.processInfo.environment["HOSTAUDIT_CORPUS_SHOW"] == "1" {
            for key in o.differing.keys.sorted() { print("DIFF \(key)\n\(o.differing[key] ?? "")") }
        }

        let known = UpstreamCorpus.known()
        let unexpected = o.differing.keys.filter { known[$0] == nil }.sorted()
        for key in unexpected.prefix(30) {
            Issue.record("\(key) differs and is not a known difference:\n\(o.differing[key] ?? "")")
        }
        #expect(unexpected.isEmpty, "\(unexpected.count) cases differ that are not in the known-differences list")

        // A listed case that now reads back identically must leave the list.
        let fixed = known.keys.filter { o.identical.contains($0) }.sorted()
        #expect(fixed.isEmpty, "now identical, remove from \(UpstreamCorpus.knownFile): \(fixed.prefix(40))")
        // And every listed id is still a case of the corpus (when running everything).
        if filter == nil {
            let stale = known.keys.filter { o.differing[$0] == nil && !o.identical.contains($0) }
                .filter { key in !o.skipped.contains(String(key.prefix { $0 != "#" })) }.sorted()
            #expect(stale.isEmpty, "listed but not a case of the corpus: \(stale.prefix(20))")
        }
    }

    @Test func shellSplitFollowsShlex() {
        #expect(UpstreamCorpus.shellSplit(#"-m comment --comment "a b" -j ACCEPT"#) == ["-m", "comment", "--comment", "a b", "-j", "ACCEPT"])
        #expect(UpstreamCorpus.shellSplit(#"--log-prefix 'x y"#) == nil)
        #expect(UpstreamCorpus.shellSplit(#"a\ b "c\"d""#) == ["a b", "c\"d"])
    }
}
