import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

@Suite struct PolicyLoaderTests {
    static let invalidDir = Fixtures.path("policies/invalid")
    static let invalidFiles: [String] = {
        ((try? FileManager.default.contentsOfDirectory(atPath: invalidDir)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    /// Each invalid fixture's first line: `# expect: LINE:COLUMN KIND message fragment`.
    @Test(arguments: invalidFiles)
    func invalidFileReportsTheExactLocation(_ name: String) throws {
        let path = Self.invalidDir + "/" + name
        let bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        let header = String(decoding: bytes.prefix { $0 != 0x0A }, as: UTF8.self)
        let spec = header.replacingOccurrences(of: "# expect: ", with: "").split(separator: " ", maxSplits: 2).map(String.init)
        let position = spec[0].split(separator: ":").compactMap { Int($0) }
        let kind = try #require(PolicyError.Kind(rawValue: spec[1]), "bad header in \(name)")
        let fragment = spec.count > 2 ? spec[2] : nil
        guard case .failure(let failure) = PolicyLoader().loadPolicy(bytes: bytes, file: path) else {
            Issue.record("\(name) loaded")
            return
        }
        let match = failure.errors.first { e in
            e.line == position[0] && e.column == position[1] && e.kind == kind && (fragment.map { e.message.contains($0) } ?? true)
        }
        #expect(match != nil, "\(name): expected \(header), got:\n\(failure)")
        for e in failure.errors {
            #expect(e.file == path)
            #expect(e.description.hasPrefix("\(path):\(e.line):\(e.column): error: "))
        }
    }

    @Test func everyErrorKindIsCovered() {
        let kinds = Set(Self.invalidFiles.compactMap { name -> PolicyError.Kind? in
            let text = (try? String(contentsOfFile: Self.invalidDir + "/" + name, encoding: .isoLatin1)) ?? ""
            return PolicyError.Kind(rawValue: String(text.split(separator: " ").dropFirst(3).first ?? ""))
        })
        let needed: Set<PolicyError.Kind> = [
            .syntax, .unknownKey, .missingKey, .wrongType, .invalidValue, .duplicateID, .invalidRegex, .unknownFactPath,
            .unknownList, .unknownParameter, .unreadable,
        ]
        #expect(needed.subtracting(kinds).isEmpty, "no invalid fixture for \(needed.subtracting(kinds))")
    }

    @Test func validPoliciesLoad() throws {
        let lib = PolicyLibrary.load(paths: [Fixtures.path("policies/valid")])
        #expect(lib.errors.isEmpty, "\(lib.errors)")
        #expect(lib.policies.first?.rules.count == 4)
        let p = try #require(lib.policies.first)
        #expect(p.version == "2")
        #expect(p.parameter("min-rules")?.type == .int)
        #expect(p.parameter("pattern")?.type == .string)
        #expect(p.rules[0].profiles == [.cron])
        #expect(p.rules[1].profiles == Profile.allCases)
    }

    @Test func allProblemsInAFileAreReported() {
        let text = """
            name: t
            rules:
              - id: a
                title: A
                severity: hihg
                chek: {}
              - id: b
                title: B
                severity: low
                check: {path: selinux.kernel.runtime_mod, equals: enforcing}
            """
        guard case .failure(let f) = PolicyLoader().loadPolicy(text: text, file: "t.yaml") else {
            Issue.record("loaded")
            return
        }
        #expect(f.errors.map { "\($0.line):\($0.column)" } == ["3:5", "5:15", "6:5", "10:34"], "\(f)")
        #expect(f.errors[2].message.contains("did you mean 'check'"))
    }

    @Test func duplicateIdsAcrossFiles() {
        let a = PolicyLoader().loadPolicy(
            text: "name: a\nrules:\n  - {id: r, title: T, severity: low, check: {path: firewall.available, equals: true}}\n",
            file: "a.yaml")
        let b = PolicyLoader().loadPolicy(
            text: "name: b\nrules:\n  - {id: r, title: T, severity: low, check: {path: firewall.available, equals: true}}\n",
            file: "b.yaml")
        guard case .success(let pa) = a, case .success(let pb) = b else {
            Issue.record("did not load")
            return
        }
        let errors = PolicyLoader.crossFileErrors([pa, pb])
        #expect(errors.count == 1)
        #expect(errors.first?.file == "b.yaml")
        #expect(errors.first?.kind == .duplicateID)
    }

    @Test func yesAndNoStayStrings() {
        // YAML 1.1 would read `no` as false; policies use YAML 1.2 booleans.
        let text = "name: t\nrules:\n  - {id: r, title: T, severity: low, check: {path: resolver.resolv_conf.manager, equals: no}}\n"
        guard case .success(let p) = PolicyLoader().loadPolicy(text: text, file: "t.yaml"),
            case .facts(.match(_, let m, _)) = p.rules[0].check
        else {
            Issue.record("did not load")
            return
        }
        #expect(m.operand == .literal(.string("no")))
    }

    /// One target grammar: a target the prober cannot parse is a load error
    /// with the prober's reason. Before, the loader had its own looser grammar,
    /// so `-mirror.example:80` loaded and was then silently never probed.
    @Test(arguments: ["-mirror.example:80", "a..b.example:443", "0x7f.1:80", "http://mirror.example:0/"])
    func targetTheProberRejectsDoesNotLoad(_ target: String) {
        let text = "name: t\nrules:\n  - {id: r, title: T, severity: low, check: {reachable: ['\(target)']}}\n"
        guard case .failure(let f) = PolicyLoader().loadPolicy(text: text, file: "t.yaml") else {
            Issue.record("'\(target)' loaded; the prober would have dropped it")
            return
        }
        #expect(f.errors.count == 1, "\(f)")
        #expect(f.errors.first?.kind == .invalidValue)
        #expect((try? EgressTargetParser.parse(target)) == nil)
        #expect(f.errors.first?.message.contains("is not a target: ") == true, "\(f)")
    }

    /// And what the prober accepts, a policy may name (a UDP target, an apt transport URL).
    @Test(arguments: ["ntp.example:123/udp", "udp://192.0.2.1:53", "tor+https://mirror.example/debian"])
    func targetTheProberAcceptsLoads(_ target: String) throws {
        let text = "name: t\nrules:\n  - {id: r, title: T, severity: low, check: {reachable: ['\(target)']}}\n"
        guard case .success(let p) = PolicyLoader().loadPolicy(text: text, file: "t.yaml"),
            case .reachable(let targets, _) = p.rules[0].check
        else {
            Issue.record("'\(target)' did not load")
            return
        }
        #expect(targets == [.endpoint(target)])
        _ = try EgressTargetParser.parse(target)
    }

    @Test func shippedSchemaJSONNamesExactlyTheLoaderKeys() throws {
        let data = try #require(FileManager.default.contents(atPath: Fixtures.packageRoot + "/Policies/schema.json"))
        let schema = try JSONValue(parsing: [UInt8](data))
        func keys(_ def: String) -> Set<String> {
            Set(schema.value(atPath: "$defs.\(def).properties")?.objectValue?.keys ?? [])
        }
        #expect(Set(schema["properties"]?.objectValue?.keys ?? []) == Set(PolicyKeys.policy))
        #expect(keys("rule") == Set(PolicyKeys.rule))
        #expect(keys("parameter") == Set(PolicyKeys.parameter))
        #expect(keys("check") == Set(PolicyKeys.check))
        #expect(keys("egressCheck") == Set(PolicyKeys.egress))
        #expect(keys("flow") == Set(PolicyKeys.flow))
        #expect(keys("count") == Set(PolicyKeys.count))
        #expect(keys("quantifier") == Set(PolicyKeys.quantifier))
    }
}
