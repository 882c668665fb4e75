import Foundation

/// Runs each rule against its recorded fixtures:
/// `<policy folder>/tests/<policy name>/<rule id>/*.json`, each
/// `{"expect": "pass|fail|skip|error", "description": …, "parameters": {…},
///   "facts": <facts document>, "egress": {"probes": […], "verdicts": […]}}`.
/// Every rule needs at least one `pass` and one `fail` fixture.
public struct PolicyFixtureRunner: Sendable {
    public struct Result: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case matched
            case mismatch(expected: Finding.Status, actual: Finding.Status, detail: String?)
            case invalid(String)
            case missing(String)
        }
        public var policy: String
        public var rule: String
        /// The fixture file, or the rule's folder for `missing`.
        public var file: String
        public var kind: Kind
    }

    public struct Summary: Sendable, Equatable {
        public var results: [Result]
        public var fixtures: Int { results.filter { if case .missing = $0.kind { false } else { true } }.count }
        public var failures: [Result] { results.filter { $0.kind != .matched } }
        public var rules: Int
        public var ok: Bool { failures.isEmpty }
    }

    public init() {}

    public static func folder(for policy: Policy) -> String {
        ((policy.file as NSString).deletingLastPathComponent as NSString).appendingPathComponent("tests/\(policy.name)")
    }

    public func run(_ policies: [Policy], now: Date = Date()) -> Summary {
        var results: [Result] = []
        var rules = 0
        let fm = FileManager.default
        for p in policies {
            let dir = Self.folder(for: p)
            let ids = Set(p.rules.map(\.id))
            // Fixture folders must name rules that exist.
            for entry in ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted() where !ids.contains(entry) {
                results.append(
                    Result(
                        policy: p.name, rule: entry, file: dir + "/" + entry,
                        kind: .invalid("fixture folder for unknown rule '\(entry)'")))
            }
            for r in p.rules {
                rules += 1
                let ruleDir = dir + "/" + r.id
                let files = ((try? fm.contentsOfDirectory(atPath: ruleDir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
                var seen: Set<Finding.Status> = []
                for name in files {
                    let path = ruleDir + "/" + name
                    let (result, expected) = runFixture(path, policy: p, rule: r, now: now)
                    if let expected { seen.insert(expected) }
                    results.append(result)
                }
                var missing: [String] = []
                if !seen.contains(.pass) { missing.append("pass") }
                if !seen.contains(.fail) { missing.append("fail") }
                if !missing.isEmpty {
                    results.append(
                        Result(
                            policy: p.name, rule: r.id, file: ruleDir,
                            kind: .missing("no \(missing.joined(separator: " or ")) fixture")))
                }
            }
        }
        return Summary(results: results, rules: rules)
    }

    func runFixture(_ path: String, policy: Policy, rule: PolicyRule, now: Date) -> (Result, Finding.Status?) {
        func invalid(_ m: String) -> (Result, Finding.Status?) {
            (Result(policy: policy.name, rule: rule.id, file: path, kind: .invalid(m)), nil)
        }
        guard let data = FileManager.default.contents(atPath: path) else { return invalid("cannot read") }
        let doc: JSONValue
        do { doc = try JSONValue(parsing: [UInt8](data)) } catch { return invalid("\(error)") }
        guard let e = doc["expect"]?.stringValue, let expected = Finding.Status(rawValue: e) else {
            return invalid("\"expect\" must be one of pass, fail, skip, error")
        }
        guard let facts = doc["facts"], facts.objectValue != nil else { return invalid("\"facts\" must be a facts document") }
        var overrides = ParameterOverrides()
        for (k, v) in doc["parameters"]?.objectValue?.entries ?? [] {
            guard let param = policy.parameter(k) else { return invalid("unknown parameter '\(k)'") }
            guard param.type.admits(v) else { return invalid("parameter '\(k)' must be a \(param.type.rawValue)") }
            overrides.values[k] = .init(value: v, location: SourceLocation(file: path, line: 1, column: 1))
        }
        var egress: EgressObservations?
        if let eg = doc["egress"] {
            do { egress = try EgressObservations(json: eg) } catch { return invalid(error.message) }
        }
        let engine: PolicyEngine
        do { engine = try PolicyEngine(policies: [policy], parameters: overrides) } catch { return invalid("\(error)") }
        guard let finding = engine.evaluate(facts: facts, egress: egress, now: now, only: [rule.id]).first else {
            return invalid("rule was not evaluated")
        }
        let kind: Result.Kind =
            finding.status == expected
            ? .matched : .mismatch(expected: expected, actual: finding.status, detail: finding.detail ?? Self.brief(finding))
        return (Result(policy: policy.name, rule: rule.id, file: path, kind: kind), expected)
    }

    static func brief(_ f: Finding) -> String? {
        guard let first = f.evidence.first else { return nil }
        return first["detail"]?.stringValue ?? JSONWriter(pretty: false).string(first)
    }
}
