import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

/// A parsed JSON value in a form that compares exactly: unlike `NSDictionary`
/// equality it keeps `true` apart from `1` (nft prints `"right": true` for
/// `exists`, `1` for a bit), and object key order does not matter.
indirect enum CanonicalJSON: Equatable, CustomStringConvertible {
    case null, bool(Bool), number(String), string(String), array([CanonicalJSON]), object([String: CanonicalJSON])

    init(_ any: Any) {
        switch any {
        case is NSNull: self = .null
        case let s as String: self = .string(s)
        case let n as NSNumber:
            // swift-corelibs JSONSerialization makes booleans with objCType "c".
            if String(cString: n.objCType) == "c" { self = .bool(n.boolValue) } else { self = .number(n.stringValue) }
        case let a as [Any]: self = .array(a.map(CanonicalJSON.init))
        case let d as [String: Any]: self = .object(d.mapValues(CanonicalJSON.init))
        default: self = .string("\(any)")
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> CanonicalJSON {
        CanonicalJSON(try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]))
    }

    subscript(key: String) -> CanonicalJSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var items: [CanonicalJSON] { if case .array(let a) = self { return a }; return [] }

    /// Removes `key` from every object, at any depth.
    func removing(_ keys: Set<String>) -> CanonicalJSON {
        switch self {
        case .array(let a): .array(a.map { $0.removing(keys) })
        case .object(let o): .object(o.filter { !keys.contains($0.key) }.mapValues { $0.removing(keys) })
        default: self
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .number(let n): n
        case .string(let s): "\"\(s)\""
        case .array(let a): "[" + a.map(\.description).joined(separator: ",") + "]"
        case .object(let o):
            "{" + o.keys.sorted().map { "\"\($0)\":" + o[$0]!.description }.joined(separator: ",") + "}"
        }
    }
}

/// `ruleset-dump --nft-json` (the `firewall show --format json` document)
/// against `nft -j list ruleset` (nftables 1.0.6) for the same ruleset, each
/// fixture loaded into a fresh namespace, compared as parsed JSON values.
///
/// Ignored on purpose, in both documents:
/// - `metainfo.version` and `release_name`: ours name hostaudit, not nftables
///   (`json_schema_version` is compared).
/// - Set elements' `expires`: the remaining lifetime counts down between the two
///   listings (a few milliseconds apart, but the seconds can tick over).
/// - Our `hostaudit` keys (the extension beside `nftables`, the decoded options
///   added to `xt` objects): nft has no such key. Their content is asserted
///   separately.
enum NFTJSONCorpus {
    static let nftDirectory = Fixtures.path("nft/corpus")

    /// Every nft corpus file, plus the all-expressions fixture.
    static var nftFiles: [String] {
        let corpus = ((try? FileManager.default.contentsOfDirectory(atPath: nftDirectory)) ?? [])
            .filter { $0.hasSuffix(".nft") }.sorted().map { "nft/corpus/" + $0 }
        return corpus + ["nft/all-expressions.nft"]
    }

    /// Files whose JSON differs on purpose or through a known gap, with the reason.
    static let knownGaps: [String: String] = [:]

    static func nftDocument(in ns: NetNamespace) throws -> CanonicalJSON {
        try CanonicalJSON.parse(try ns.check(["nft", "-j", "list", "ruleset"]).stdoutBytes)
    }

    static func ourDocument(in ns: NetNamespace) throws -> CanonicalJSON {
        try CanonicalJSON.parse(try ns.check([RulesetDumpTool.path, "--nft-json"]).stdoutBytes)
    }

    /// The `nftables` array without the fields that may differ (see the type's documentation).
    static func comparable(_ doc: CanonicalJSON) -> [CanonicalJSON] {
        (doc["nftables"].map { $0.removing(["hostaudit", "expires", "version", "release_name"]).items } ?? [])
            .map(withoutSingleTableFlag)
    }

    static let tableFlagNames: Set<String> = ["dormant", "owner", "persist"]

    /// nft 1.0.6 prints a table's only flag from freed memory (`table_flags_json`
    /// unpacks the one-element array with a borrowed reference, then frees the
    /// array): `"flags": "t2"` for a dormant table `t2`, the next table's name, or
    /// a truncated document. A single-string `flags` is therefore dropped from
    /// both documents; ours is checked against the flag names instead, and the
    /// text corpus test compares the `flags dormant` line.
    static func withoutSingleTableFlag(_ item: CanonicalJSON) -> CanonicalJSON {
        guard case .object(var table)? = item["table"], case .string? = table["flags"] else { return item }
        table["flags"] = nil
        return .object(["table": .object(table)])
    }

    /// Our single table flags, which `comparable` drops: each a real flag name.
    static func singleTableFlags(_ doc: CanonicalJSON) -> [String] {
        (doc["nftables"]?.items ?? []).compactMap { item in
            if case .string(let f)? = item["table"]?["flags"] { return f }
            return nil
        }
    }

    /// Records the first few differing entries (nft order is part of the contract).
    /// Reads nft's document and ours in `ns` and compares them (a known gap
    /// for `file` is a known issue); returns both for further checks.
    static func compareDocuments(in ns: NetNamespace, _ file: String) throws -> (ours: CanonicalJSON, nft: CanonicalJSON) {
        let nft = try nftDocument(in: ns)
        let ours = try ourDocument(in: ns)
        if let reason = knownGaps[file] {
            withKnownIssue(Comment(rawValue: reason)) { compare(ours, nft, file) }
        } else {
            compare(ours, nft, file)
        }
        return (ours, nft)
    }

    static func compare(_ ours: CanonicalJSON, _ nft: CanonicalJSON, _ label: String) {
        let a = comparable(ours)
        let b = comparable(nft)
        #expect(a.count == b.count, "\(label): \(a.count) entries, nft has \(b.count)")
        var shown = 0
        for (x, y) in zip(a, b) where x != y {
            Issue.record("\(label)\n  ours: \(x)\n  nft:  \(y)")
            shown += 1
            if shown == 5 { break }
        }
    }

    /// Every `xt` object in the `nftables` array.
    static func xtObjects(_ doc: CanonicalJSON) -> [CanonicalJSON] {
        var out: [CanonicalJSON] = []
        for item in doc["nftables"]?.items ?? [] {
            for e in item["rule"]?["expr"]?.items ?? [] {
                if let x = e["xt"] { out.append(x) }
            }
        }
        return out
    }
}

@Suite("NFTJSON corpus (real kernel, own namespace)", .privileged, .serialized)
struct NFTJSONCorpusTests {
    @Test(arguments: NFTJSONCorpus.nftFiles)
    func nftCorpusMatchesNftJSON(_ file: String) throws {
        try NetNamespace.with(tag: "nftjson") { ns in
            try ns.check(["nft", "-f", Fixtures.path(file)])
            let ours = try NFTJSONCorpus.compareDocuments(in: ns, file).ours
            for flag in NFTJSONCorpus.singleTableFlags(ours) {
                #expect(NFTJSONCorpus.tableFlagNames.contains(flag), "\(file): table flag \(flag)")
            }
            // The document is nft's plus our one sibling key; metainfo keeps nft's schema version.
            if case .object(let top) = ours { #expect(Set(top.keys) == ["nftables", "hostaudit"]) }
            #expect(ours["nftables"]?.items.first?["metainfo"]?["json_schema_version"] == .number("1"))
            #expect(NFTJSONCorpus.xtObjects(ours).isEmpty)
        }
    }

    /// iptables-nft: equal to nft's JSON once our keys are stripped; every xt
    /// object nft leaves opaque carries its decoded options and iptables text.
    @Test(arguments: IptablesCorpus.files)
    func iptablesCorpusMatchesNftJSON(_ file: String) throws {
        let v6 = IptablesCorpus.isV6(file)
        try NetNamespace.with(tag: "iptjson") { ns in
            try ns.check([v6 ? "ip6tables-restore" : "iptables-restore", IptablesCorpus.directory + "/" + file])
            let (ours, nft) = try NFTJSONCorpus.compareDocuments(in: ns, file)
            let xts = NFTJSONCorpus.xtObjects(ours)
            #expect(xts.count == NFTJSONCorpus.xtObjects(nft).count)
            for x in xts {
                guard case .string(let kind)? = x["type"], case .string(let name)? = x["name"] else {
                    Issue.record("xt without type/name: \(x)")
                    continue
                }
                let ext = x["hostaudit"]
                #expect(ext?["decoded"] == .bool(true), "\(file): \(x)")
                #expect(ext?["options"] != nil, "\(file): \(x)")
                guard case .string(let text)? = ext?["iptables"] else {
                    Issue.record("\(file): no iptables text in \(x)")
                    continue
                }
                let prefix = kind == "target" ? "-j \(name)" : "-m "
                #expect(text.hasPrefix(prefix), "\(file): \(text)")
            }
            // The xt lines are the iptables-save lines' pieces.
            let save = try ns.check([v6 ? "ip6tables-save" : "iptables-save"]).stdout
            for x in xts {
                if case .string(let text)? = x["hostaudit"]?["iptables"] {
                    #expect(save.contains(text), "\(file): `\(text)` not in iptables-save")
                }
            }
        }
    }

    /// Spot checks of decoded options on the all-extensions fixture.
    @Test func xtOptionsAreDecoded() throws {
        try NetNamespace.with(tag: "iptjsonx") { ns in
            try ns.check(["iptables-restore", IptablesCorpus.directory + "/all-extensions.rules"])
            let xts = NFTJSONCorpus.xtObjects(try NFTJSONCorpus.ourDocument(in: ns))
            let conntrack = xts.compactMap { $0["hostaudit"]?["options"] }.first { $0["ctstate"] == .array([.string("ESTABLISHED")]) }
            #expect(conntrack != nil)
            let multiport = xts.first { $0["name"] == .string("multiport") && $0["hostaudit"]?["options"]?["dports"] != nil }
            #expect(multiport?["hostaudit"]?["options"]?["dports"]
                == .array([.number("80"), .number("443"), .array([.number("8000"), .number("8080")])]))
            let reject = xts.first { $0["name"] == .string("REJECT") }
            #expect(reject?["type"] == .string("target"))
            #expect(reject?["hostaudit"]?["options"]?["reject_with"] != nil)
        }
    }

    /// Legacy x_tables appear in the extension beside `nftables`: their rules as
    /// `iptables-legacy-save` prints them, counters, and the two-backends warning.
    @Test func legacyTablesInTheExtension() throws {
        try NetNamespace.with(tag: "iptjsonleg") { ns in
            try ns.check(["iptables-legacy-restore", IptablesCorpus.directory + "/docker.rules"])
            let alone = try NFTJSONCorpus.ourDocument(in: ns)
            #expect(alone["hostaudit"]?["backends_conflict"] == .bool(false))
            #expect(alone["nftables"]?.items.count == 1)  // metainfo only: nft sees nothing
            #expect(NFTJSONCorpus.comparable(alone) == NFTJSONCorpus.comparable(try NFTJSONCorpus.nftDocument(in: ns)))

            try ns.check(["iptables-restore", IptablesCorpus.directory + "/ufw.rules"])
            let doc = try NFTJSONCorpus.ourDocument(in: ns)
            let ext = try #require(doc["hostaudit"])
            #expect(ext["schema"] == .string("hostaudit.firewall/v1"))
            #expect(ext["backends_conflict"] == .bool(true))
            #expect(ext["warnings"]?.items.first.map { "\($0)".contains("both loaded") } == true)
            // nf_tables part still equals nft's.
            NFTJSONCorpus.compare(doc, try NFTJSONCorpus.nftDocument(in: ns), "ufw.rules beside legacy docker.rules")

            let legacy = ext["legacy"]?.items ?? []
            let names = legacy.map { "\($0["family"]?.description ?? "") \($0["name"]?.description ?? "")" }
            for table in try IptablesCorpus.tables(in: "docker.rules") {
                #expect(names.contains("\"ip\" \"\(table)\""), "legacy table \(table) missing: \(names)")
                let save = try IptablesCorpus.save("iptables-legacy-save", table: table, in: ns)
                let expected = save.split(separator: "\n").filter { $0.hasPrefix("-A ") }.map(String.init)
                let t = legacy.first { $0["name"] == .string(table) }
                let got = (t?["rules"]?.items ?? []).compactMap { r -> String? in
                    if case .string(let s)? = r["iptables"] { return s }
                    return nil
                }
                #expect(got == expected, "legacy \(table)")
                // Built-in chains carry policy and counters; user chains a null policy.
                for c in t?["chains"]?.items ?? [] {
                    #expect(c["packets"] != nil && c["bytes"] != nil)
                    #expect(c["policy"] != nil)
                }
                for r in t?["rules"]?.items ?? [] {
                    #expect(r["chain"] != nil && r["packets"] != nil && r["bytes"] != nil)
                }
            }
        }
    }

    @Test func canonicalJSONKeepsBooleansApartFromNumbers() throws {
        #expect(try CanonicalJSON.parse(Array("true".utf8)) != CanonicalJSON.parse(Array("1".utf8)))
        #expect(try CanonicalJSON.parse(Array(#"{"a":1,"b":[2]}"#.utf8)) == CanonicalJSON.parse(Array(#"{"b":[2],"a":1}"#.utf8)))
    }
}
