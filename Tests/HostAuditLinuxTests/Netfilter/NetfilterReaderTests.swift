import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

/// The `ruleset-dump` diagnostic built next to `hostaudit`. The reader runs
/// inside the namespace through `ip netns exec`; the test process never setns.
enum RulesetDumpTool {
    static var path: String {
        URL(fileURLWithPath: HostAuditCLI.binaryPath).deletingLastPathComponent().appendingPathComponent("ruleset-dump")
            .path
    }

    /// The snapshot as parsed JSON.
    static func snapshot(in ns: NetNamespace) throws -> [String: Any] {
        let r = try ns.check([path])
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdoutBytes)) as? [String: Any])
    }

    /// `nft -j list ruleset` in the namespace, as a list of `(kind, object)`.
    static func nftJSON(in ns: NetNamespace) throws -> [(String, [String: Any])] {
        let r = try ns.check(["nft", "-j", "list", "ruleset"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdoutBytes)) as? [String: Any])
        let items = try #require(doc["nftables"] as? [[String: Any]])
        return items.compactMap { item in
            guard let (k, v) = item.first, let obj = v as? [String: Any] else { return nil }
            return (k, obj)
        }
    }
}

private func int(_ v: Any?) -> Int? { (v as? NSNumber)?.intValue }
private func objects(_ v: Any?) -> [[String: Any]] { v as? [[String: Any]] ?? [] }

/// Flattened view of a ruleset-dump JSON document.
private struct Dumped {
    var tables: [[String: Any]]
    var chains: [[String: Any]] { tables.flatMap { objects($0["chains"]) } }
    var rules: [[String: Any]] { chains.flatMap { objects($0["rules"]) } }
    var sets: [[String: Any]] { tables.flatMap { objects($0["sets"]) } }
    var objs: [[String: Any]] { tables.flatMap { objects($0["objects"]) } }
    var expressions: [[String: Any]] {
        rules.flatMap { objects($0["expressions"]) }.flatMap { [$0] + objects($0["expressions"]) }
    }
    init(_ json: [String: Any]) { tables = objects(json["tables"]) }

    func chain(_ table: String, _ name: String) -> [String: Any]? {
        chains.first { $0["table"] as? String == table && $0["name"] as? String == name }
    }
    func set(_ name: String) -> [String: Any]? { sets.first { $0["name"] as? String == name } }
}

@Suite("Netfilter reader (real kernel, own namespace)", .privileged, .serialized)
struct NetfilterReaderTests {
    @Test func matchesNftForEveryExpressionKind() throws {
        try NetNamespace.with(tag: "nftall") { ns in
            try ns.check(["nft", "-f", Fixtures.path("nft/all-expressions.nft")])
            let dump = Dumped(try RulesetDumpTool.snapshot(in: ns))
            let nft = try RulesetDumpTool.nftJSON(in: ns)

            // Tables, chains, rules: same identities and handles, same order per chain.
            func key(_ o: [String: Any], _ fields: [String]) -> String {
                fields.map { "\(o[$0] ?? "-")" }.joined(separator: "|")
            }
            let nftTables = nft.filter { $0.0 == "table" }.map { key($0.1, ["family", "name", "handle"]) }
            #expect(dump.tables.map { key($0, ["family", "name", "handle"]) } == nftTables)
            let nftChains = nft.filter { $0.0 == "chain" }.map { key($0.1, ["family", "table", "name", "handle"]) }
            #expect(dump.chains.map { key($0, ["family", "table", "name", "handle"]) } == nftChains)
            let nftRules = nft.filter { $0.0 == "rule" }.map { key($0.1, ["family", "table", "chain", "handle"]) }
            #expect(dump.rules.map { key($0, ["family", "table", "chain", "handle"]) } == nftRules)
            #expect(dump.rules.count == 33)

            // Base chains: hook, priority, policy, type.
            for (_, c) in nft where c["hook"] != nil {
                let ours = try #require(dump.chain(c["table"] as! String, c["name"] as! String))
                let base = try #require(ours["base"] as? [String: Any])
                #expect(base["hook"] as? String == c["hook"] as? String)
                #expect(int(base["priority"]) == int(c["prio"]))
                #expect(base["policy"] as? String == c["policy"] as? String)
                #expect(base["type"] as? String == c["type"] as? String)
            }
            #expect(dump.chain("filter", "sub")?["base"] is NSNull)
            let ingress = try #require(dump.chain("edge", "ingress")?["base"] as? [String: Any])
            #expect(ingress["devices"] as? [String] == ["lo"])
            #expect(int(dump.chain("nat", "postrouting").flatMap { ($0["base"] as? [String: Any])?["priority"] }) == 100)

            // Comments and positions (position = handle of the previous rule).
            let nftComments = nft.filter { $0.0 == "rule" }.compactMap { $0.1["comment"] as? String }
            #expect(dump.rules.compactMap { $0["comment"] as? String } == nftComments)
            #expect(nftComments == ["established traffic", "no plain http"])
            for c in dump.chains {
                let rules = objects(c["rules"])
                for (i, r) in rules.enumerated() {
                    if i == 0 { #expect(r["position"] is NSNull) } else { #expect(int(r["position"]) == int(rules[i - 1]["handle"])) }
                }
            }

            // Every expression kind decoded, numgen included (typed since it has
            // its own file in Ruleset/Expressions): nothing left opaque.
            let kinds = Set(dump.expressions.compactMap { $0["expr"] as? String })
            let required: Set = [
                "meta", "payload", "cmp", "bitwise", "range", "lookup", "immediate", "counter", "ct", "reject", "log",
                "limit", "quota", "nat", "masq", "redir", "dynset", "objref", "fib", "socket", "exthdr", "numgen",
            ]
            #expect(required.subtracting(kinds).isEmpty, "missing: \(required.subtracting(kinds))")
            let opaque = dump.expressions.filter { $0["attributes"] != nil }
            #expect(opaque.isEmpty, "opaque: \(opaque.map { $0["expr"] as? String })")
            let numgen = try #require(dump.expressions.first { $0["expr"] as? String == "numgen" })
            #expect(int(numgen["modulus"]) == 2)

            // Verdicts: jump, goto, return, continue, accept, drop.
            let verdicts = dump.expressions.compactMap { $0["verdict"] as? [String: Any] }
            #expect(verdicts.contains { $0["verdict"] as? String == "jump" && $0["chain"] as? String == "sub" })
            #expect(verdicts.contains { $0["verdict"] as? String == "goto" && $0["chain"] as? String == "sub" })
            for v in ["return", "continue", "accept", "drop"] {
                #expect(verdicts.contains { $0["verdict"] as? String == v }, "no \(v)")
            }
            // dynset carries its nested limit.
            let dynsets = dump.expressions.filter { $0["expr"] as? String == "dynset" }
            let nestedKinds = dynsets.flatMap { objects($0["expressions"]) }.compactMap { $0["expr"] as? String }
            #expect(nestedKinds == ["limit"])

            // Named sets equal nft's (nft -j lists no anonymous sets); anonymous ones flagged.
            let nftSets = nft.filter { $0.0 == "set" || $0.0 == "map" }.map { key($0.1, ["name", "handle"]) }
            let named = dump.sets.filter { (int($0["flags"]) ?? 0) & 1 == 0 }
            #expect(named.map { key($0, ["name", "handle"]) } == nftSets)
            #expect(dump.sets.contains { ($0["name"] as? String)?.hasPrefix("__set") == true && int($0["flags"])! & 1 == 1 })
            // Interval set: half-open ranges with end markers.
            let allowed = objects(dump.set("allowed_v4")?["elements"])
            #expect(allowed.count == 5)
            #expect(allowed.filter { int($0["flags"]) == 1 }.count == 3)
            // Concatenated interval set: key_end present, flags concat|interval.
            let ranges = try #require(dump.set("ranges"))
            #expect(int(ranges["flags"])! & 0x84 == 0x84)
            let range = try #require(objects(ranges["elements"]).first)
            #expect(range["key"] as? [Int] == [10, 0, 0, 0, 0, 22, 0, 0])
            #expect(range["key_end"] as? [Int] == [10, 255, 255, 255, 0, 25, 0, 0])
            #expect(int(dump.set("pairs")?["key_type"]) == 461)
            // Verdict map.
            let vm = try #require(dump.set("vm"))
            #expect(int(vm["data_type"]) == 0xffff_ff00)
            let vmVerdicts = objects(vm["elements"]).compactMap { $0["verdict"] as? [String: Any] }
            #expect(vmVerdicts.contains { $0["verdict"] as? String == "jump" && $0["chain"] as? String == "sub" })
            #expect(vmVerdicts.contains { $0["verdict"] as? String == "drop" })
            // Timeout set: milliseconds.
            #expect(int(dump.set("dyn")?["timeout"]) == 60_000)

            // Named objects.
            let nftObjs = nft.filter { ["counter", "quota", "limit", "ct helper"].contains($0.0) }
                .map { key($0.1, ["name", "handle"]) }
            #expect(dump.objs.map { key($0, ["name", "handle"]) } == nftObjs)
            let kindsByName = Dictionary(uniqueKeysWithValues: dump.objs.map { ($0["name"] as! String, $0["kind"] as! [String: Any]) })
            #expect(kindsByName["cnt1"]?["type"] as? String == "counter")
            #expect(int(kindsByName["q1"]?["bytes"]) == 100 * 1024 * 1024)
            #expect(int(kindsByName["lim1"]?["rate"]) == 10)
            #expect(kindsByName["ftp-standard"]?["name"] as? String == "ftp")
            #expect(int(kindsByName["ftp-standard"]?["l4proto"]) == 6)
        }
    }

    @Test func iptablesNftRuleIsAnXtMatch() throws {
        try NetNamespace.with(tag: "iptnft") { ns in
            try ns.check(["iptables", "-A", "OUTPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED", "-j", "ACCEPT"])
            let dump = Dumped(try RulesetDumpTool.snapshot(in: ns))
            let output = try #require(dump.chain("filter", "OUTPUT"))
            let rule = try #require(objects(output["rules"]).first)
            let exprs = objects(rule["expressions"])
            let match = try #require(exprs.first { $0["expr"] as? String == "match" })
            #expect(match["name"] as? String == "conntrack")
            #expect(int(match["revision"]) == 3)
            let info = try #require(match["info"] as? [Int])
            #expect(info.count >= 168)  // struct xt_conntrack_mtinfo3, XT_ALIGN-padded
            #expect(exprs.map { $0["expr"] as? String } == ["match", "counter", "immediate"])
            #expect((exprs.last?["verdict"] as? [String: Any])?["verdict"] as? String == "accept")
        }
    }

    @Test func legacyTablesAreDetected() throws {
        try NetNamespace.with(tag: "legacy") { ns in
            let before = try RulesetDumpTool.snapshot(in: ns)
            #expect((before["legacy_tables"] as? [String: [String]])?["ip"]?.isEmpty ?? true)
            try ns.check(["iptables-legacy", "-A", "OUTPUT", "-j", "ACCEPT"])
            let after = try RulesetDumpTool.snapshot(in: ns)
            let legacy = try #require(after["legacy_tables"] as? [String: [String]])
            #expect(legacy["ip"]?.contains("filter") == true)
            // x_tables rules are invisible to nf_tables.
            #expect(objects(after["tables"]).isEmpty)
        }
    }

    @Test func withoutCapNetAdminItIsAClearError() throws {
        try NetNamespace.with(tag: "noperm") { ns in
            try ns.check(["nft", "add", "table", "inet", "t"])
            let r = try ns.run([
                "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                try UnprivilegedCopy.of(RulesetDumpTool.path),
            ])
            #expect(r.status == 3, "\(r)")
            #expect(r.stderr.contains("CAP_NET_ADMIN"), "\(r)")
        }
    }

    @Test func optionalKernelFeatures() throws {
        try NetNamespace.with(tag: "nftopt") { ns in
            let load = try ns.run(["nft", "-f", Fixtures.path("nft/optional-expressions.nft")])
            guard load.status == 0 else {
                // This kernel lacks CONFIG_NFT_QUEUE / CONFIG_NF_FLOW_TABLE (the CI kernel does).
                return
            }
            let dump = Dumped(try RulesetDumpTool.snapshot(in: ns))
            let kinds = Set(dump.expressions.compactMap { $0["expr"] as? String })
            #expect(kinds.contains("queue"))
            let flowtables = dump.tables.flatMap { objects($0["flowtables"]) }
            #expect(flowtables.first?["devices"] as? [String] == ["lo"])
        }
    }

    /// A writer adds one rule to chain `a` and one to chain `b` in each
    /// transaction, at most four times a second whatever the machine's speed
    /// (a writer that never pauses would, by design, exhaust the reader's time
    /// budget), so any consistent snapshot has as many rules in `a` as in `b`.
    /// The reader retries with back-off within its time budget, so a loaded
    /// machine makes it slower, not wrong; reads continue until the writer has
    /// visibly changed the ruleset between two of them (bounded), so a fast
    /// machine cannot finish all reads inside one generation either.
    @Test func consistentWhileAnotherProcessChangesTheRuleset() throws {
        try NetNamespace.with(tag: "churn") { ns in
            let dir = try Fixtures.temporaryDirectory("ha-churn")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var base = "table ip t {\n chain a {\n"
            for i in 0..<1500 { base += "  ip saddr 10.0.\(i / 256).\(i % 256) tcp dport \(1000 + i) counter accept\n" }
            base += " }\n chain b {\n"
            for i in 0..<1500 { base += "  ip daddr 10.1.\(i / 256).\(i % 256) udp dport \(1000 + i) counter drop\n" }
            base += " }\n}\n"
            try base.write(toFile: dir + "/base.nft", atomically: true, encoding: .utf8)
            try "add rule ip t a counter accept\nadd rule ip t b counter drop\n"
                .write(toFile: dir + "/batch.nft", atomically: true, encoding: .utf8)
            try ns.check(["nft", "-f", dir + "/base.nft"])

            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            writer.arguments = ["ip", "netns", "exec", ns.name, "sh", "-c", "while :; do nft -f \(dir)/batch.nft; sleep 0.25; done"]
            writer.standardOutput = FileHandle.nullDevice
            writer.standardError = FileHandle.nullDevice
            try writer.run()
            defer {
                writer.terminate()
                writer.waitUntilExit()
            }
            usleep(200_000)

            var generations: [Int] = []
            var rounds = 0
            while rounds < 20 && (generations.count < 12 || Set(generations).count < 2) {
                rounds += 1
                let r = try ns.check([RulesetDumpTool.path, "--counts", "--repeat", "6"], timeout: 600)
                let lines = r.stdout.split(separator: "\n")
                #expect(lines.count == 6, "\(r.stderr)")
                for line in lines {
                    let doc = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    let chains = try #require(doc["chains"] as? [String: Any])
                    let a = int(chains["ip t a"]) ?? -1
                    let b = int(chains["ip t b"]) ?? -2
                    #expect(a == b, "inconsistent snapshot at generation \(doc["generation"] ?? "?"): a=\(a) b=\(b)")
                    #expect(a >= 1500)
                    generations.append(int(doc["generation"]) ?? 0)
                }
                if generations.count >= 12 && Set(generations).count < 2 { usleep(300_000) }
            }
            // The writer really was changing the ruleset during the reads.
            #expect(Set(generations).count > 1, "generations \(generations)")
        }
    }
}
