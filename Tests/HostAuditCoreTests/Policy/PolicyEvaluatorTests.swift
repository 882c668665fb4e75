import Foundation
import HostAuditCore
import Testing

/// Helpers: a one-rule policy around a check, evaluated over small facts.
enum PolicyEval {
    static let facts: JSONValue = [
        "schema": "hostaudit.facts/v1",
        "selinux": [
            "kernel": [
                "enabled": true, "runtime_mode": "enforcing", "policy_version": 33,
                "booleans": ["httpd_can_network_connect": ["active": true, "pending": true], "ftpd_full_access": ["active": false, "pending": false]],
            ],
            "drift": nil,
        ],
        "resolver": [
            "resolv_conf": [
                "path": "/etc/resolv.conf", "manager": "plain-file", "immutable": nil,
                "nameservers": [
                    ["address": "10.0.0.2", "used": true], ["address": "8.8.8.8", "used": true],
                    ["address": "1.1.1.1", "used": true], ["address": "9.9.9.9", "used": false],
                ],
            ]
        ],
        "firewall": [
            "available": true,
            "summary": ["rules": 3, "input_default_deny": false],
            "backends": ["legacy_tables": ["ip filter", "ip6 nat"], "conflict": false],
            "hooks": [
                "input": [["policy": "accept", "table": "filter"]],
                "output": [["policy": "drop", "table": "filter"], ["policy": "accept", "table": "mangle"]],
            ],
            "rules": [
                ["handle": 4, "verdict": "accept", "packets": 10, "comment": nil],
                ["handle": 5, "verdict": "drop", "packets": 0, "comment": "block smtp"],
                ["handle": 6, "verdict": "drop", "packets": 2.5, "comment": nil],
            ],
        ],
    ]

    static func policy(_ check: String, extra: String = "", when: String? = nil) throws -> Policy {
        var text = "name: t\n\(extra)\nrules:\n  - id: r\n    title: T\n    severity: high\n"
        if let when { text += "    when:\n" + indent(when, 6) }
        text += "    check:\n" + indent(check, 6)
        switch PolicyLoader().loadPolicy(text: text, file: "t.yaml") {
        case .success(let p): return p
        case .failure(let e): throw e
        }
    }

    static func indent(_ s: String, _ n: Int) -> String {
        s.split(separator: "\n", omittingEmptySubsequences: false).map { String(repeating: " ", count: n) + $0 }
            .joined(separator: "\n") + "\n"
    }

    static func run(
        _ check: String, extra: String = "", when: String? = nil, facts: JSONValue = facts,
        parameters: [String: JSONValue] = [:]
    ) throws -> Finding {
        let p = try policy(check, extra: extra, when: when)
        var o = ParameterOverrides()
        for (k, v) in parameters { o.values[k] = .init(value: v, location: SourceLocation(file: "p", line: 1, column: 1)) }
        return try PolicyEngine(policies: [p], parameters: o).evaluate(facts: facts)[0]
    }

    static func status(_ check: String, extra: String = "", facts: JSONValue = facts) throws -> Finding.Status {
        try run(check, extra: extra, facts: facts).status
    }
}

@Suite struct PolicyEvaluatorTests {
    @Test(arguments: [
        ("path: resolver.resolv_conf.manager\nequals: plain-file", Finding.Status.pass),
        ("path: resolver.resolv_conf.manager\nequals: networkmanager", .fail),
        ("path: resolver.resolv_conf.manager\nnot-equals: networkmanager", .pass),
        ("path: resolver.resolv_conf.manager\nnot-equals: plain-file", .fail),
        ("path: resolver.resolv_conf.manager\nin: [resolvconf, plain-file]", .pass),
        ("path: resolver.resolv_conf.manager\nin: [resolvconf]", .fail),
        ("path: resolver.resolv_conf.path\ncontains: resolv", .pass),
        ("path: resolver.resolv_conf.path\ncontains: hosts", .fail),
        ("path: firewall.backends.legacy_tables\ncontains: ip6 nat", .pass),
        ("path: firewall.backends.legacy_tables\ncontains: ip6 filter", .fail),
        ("path: resolver.resolv_conf.manager\nmatches: '^plain-(file|dir)$'", .pass),
        ("path: resolver.resolv_conf.manager\nmatches: '^file'", .fail),
        ("path: resolver.resolv_conf.manager\nmatches: '^zzz|plain'", .pass),
        ("path: resolver.resolv_conf.manager\nmatches: '^plainx?-file'", .pass),
        ("path: resolver.resolv_conf.manager\nmatches: '^plain-filez*$'", .pass),
        ("path: resolver.resolv_conf.manager\nmatches: '^plain-fil$'", .fail),
        ("path: resolver.resolv_conf.path\nstarts-with: /etc/", .pass),
        ("path: resolver.resolv_conf.path\nstarts-with: /run/", .fail),
        ("path: resolver.resolv_conf.path\nends-with: .conf", .pass),
        ("path: resolver.resolv_conf.path\nends-with: .yaml", .fail),
        ("path: firewall.summary.rules\nless-than: 4", .pass),
        ("path: firewall.summary.rules\nless-than: 3", .fail),
        ("path: firewall.summary.rules\ngreater-than: 2.5", .pass),
        ("path: firewall.summary.rules\ngreater-than: 3", .fail),
        ("path: firewall.summary.rules\nequals: 3.0", .pass),
        ("path: selinux.kernel.booleans.httpd_can_network_connect.active\nexists: true", .pass),
        ("path: selinux.kernel.booleans.nonexistent_bool.active\nexists: true", .fail),
        ("path: selinux.kernel.booleans.nonexistent_bool.active\nexists: false", .pass),
        ("path: resolver.resolv_conf.immutable\nexists: false", .pass),
        ("path: firewall.rules.1.verdict\nequals: drop", .pass),
    ])
    func matchers(_ check: String, _ expected: Finding.Status) throws {
        #expect(try PolicyEval.status(check) == expected, "\(check)")
    }

    @Test func nullIsUnknownNotFalse() throws {
        // `immutable` is null (attributes unreadable): neither true nor false.
        let f = try PolicyEval.run("path: resolver.resolv_conf.immutable\nequals: false")
        #expect(f.status == .error)
        #expect(f.detail?.contains("resolver.resolv_conf.immutable") == true)
        #expect(try PolicyEval.status("path: resolver.resolv_conf.immutable\nequals: null") == .pass)
        #expect(try PolicyEval.status("path: resolver.resolv_conf.immutable\nnot-equals: true") == .error)
        #expect(try PolicyEval.status("path: selinux.drift\nexists: true") == .fail)
    }

    @Test func combinators() throws {
        let t = "{path: firewall.available, equals: true}"
        let f = "{path: firewall.available, equals: false}"
        let u = "{path: resolver.resolv_conf.immutable, equals: true}"
        #expect(try PolicyEval.status("all: [\(t), \(t)]") == .pass)
        #expect(try PolicyEval.status("all: [\(t), \(f)]") == .fail)
        #expect(try PolicyEval.status("all: [\(f), \(u)]") == .fail)  // a failure decides
        #expect(try PolicyEval.status("all: [\(t), \(u)]") == .error)  // else unknown
        #expect(try PolicyEval.status("any: [\(f), \(t)]") == .pass)
        #expect(try PolicyEval.status("any: [\(f), \(f)]") == .fail)
        #expect(try PolicyEval.status("any: [\(u), \(t)]") == .pass)  // a pass decides
        #expect(try PolicyEval.status("any: [\(f), \(u)]") == .error)
        #expect(try PolicyEval.status("not: \(t)") == .fail)
        #expect(try PolicyEval.status("not: \(f)") == .pass)
        #expect(try PolicyEval.status("not: \(u)") == .error)
        #expect(try PolicyEval.status("none: [\(f), \(f)]") == .pass)
        #expect(try PolicyEval.status("none: [\(f), \(t)]") == .fail)
    }

    @Test func notExplainsWhatHeld() throws {
        let f = try PolicyEval.run("not: {path: resolver.resolv_conf.manager, equals: plain-file}")
        #expect(f.status == .fail)
        #expect(f.evidence.first?["detail"]?.stringValue?.contains("holds") == true)
    }

    @Test func quantifiersAndTheirEvidence() throws {
        // all: the failing items are the evidence.
        let all = try PolicyEval.run("all:\n  path: firewall.rules\n  where: {path: verdict, equals: drop}")
        #expect(all.status == .fail)
        #expect(all.evidence.map { $0["path"]?.stringValue } == ["firewall.rules.0"])
        #expect(all.evidence.first?["value"]?["handle"] == .int(4))
        #expect(all.evidence.first?["kind"] == "firewall")
        // none: the matching items are the evidence.
        let none = try PolicyEval.run(
            "none:\n  path: resolver.resolv_conf.nameservers\n  where: {path: address, in: [8.8.8.8, 1.1.1.1]}")
        #expect(none.status == .fail)
        #expect(none.evidence.compactMap { $0["value"]?["address"]?.stringValue } == ["8.8.8.8", "1.1.1.1"])
        #expect(try PolicyEval.status("none:\n  path: firewall.rules\n  where: {path: verdict, equals: reject}") == .pass)
        // any
        #expect(try PolicyEval.status("any:\n  path: firewall.rules\n  where: {path: comment, starts-with: block}") == .pass)
        let any = try PolicyEval.run("any:\n  path: firewall.rules\n  where: {path: verdict, equals: reject}")
        #expect(any.status == .fail)
        #expect(any.evidence.first?["detail"]?.stringValue?.contains("none of 3") == true)
        // count with and without where
        #expect(try PolicyEval.status("count:\n  path: firewall.rules\n  where: {path: verdict, equals: drop}\n  equals: 2") == .pass)
        #expect(try PolicyEval.status("count:\n  path: firewall.rules\n  greater-than: 2") == .pass)
        #expect(try PolicyEval.status("count:\n  path: firewall.rules\n  less-than: 3") == .fail)
        #expect(try PolicyEval.status("count:\n  path: firewall.rules\n  where: {path: packets, greater-than: 1}\n  not-equals: 2") == .fail)
        let count = try PolicyEval.run("count:\n  path: resolver.resolv_conf.nameservers\n  where: {path: used, equals: false}\n  equals: 0")
        #expect(count.status == .fail)
        #expect(count.evidence.first?["count"] == .int(1))
        #expect(count.evidence.last?["value"]?["address"] == "9.9.9.9")
    }

    @Test func quantifierOverMapsAndWildcards() throws {
        // A map's values are the items.
        #expect(try PolicyEval.status("none:\n  path: selinux.kernel.booleans\n  where: {path: active, equals: true}") == .fail)
        #expect(try PolicyEval.status("count:\n  path: selinux.kernel.booleans\n  equals: 2") == .pass)
        // `*` flattens every hook's chains.
        let f = try PolicyEval.run("all:\n  path: firewall.hooks.*\n  where: {path: policy, equals: drop}")
        #expect(f.status == .fail)
        #expect(f.evidence.compactMap { $0["path"]?.stringValue } == ["firewall.hooks.input.0", "firewall.hooks.output.1"])
        // Items that are strings: `where` without a path tests the item.
        #expect(try PolicyEval.status("any:\n  path: firewall.backends.legacy_tables\n  where: {starts-with: ip6}") == .pass)
        #expect(try PolicyEval.status("all:\n  path: firewall.backends.legacy_tables\n  where: {matches: '^ip '}") == .fail)
    }

    @Test func emptyAndUnknownCollections() throws {
        var facts = PolicyEval.facts
        if case .object(var o) = facts, case .object(var fw)? = o["firewall"] {
            fw["rules"] = .array([])
            fw["hooks"] = .null
            o["firewall"] = .object(fw)
            facts = .object(o)
        }
        let drop = "where: {path: verdict, equals: drop}"
        #expect(try PolicyEval.status("all:\n  path: firewall.rules\n  \(drop)", facts: facts) == .pass)  // vacuous
        #expect(try PolicyEval.status("none:\n  path: firewall.rules\n  \(drop)", facts: facts) == .pass)
        #expect(try PolicyEval.status("any:\n  path: firewall.rules\n  \(drop)", facts: facts) == .fail)
        #expect(try PolicyEval.status("all:\n  path: firewall.hooks.*\n  where: {path: policy, equals: drop}", facts: facts) == .error)
        #expect(try PolicyEval.status("count:\n  path: selinux.drift\n  equals: 0") == .error)
    }

    @Test func unknownItemsMakeQuantifiersUnknownUnlessDecided() throws {
        // rule 4 has comment null: `all ... starts-with` fails on rule 6? no: 6 is null too → unknown items.
        #expect(try PolicyEval.status("all:\n  path: firewall.rules\n  where: {path: comment, starts-with: b}") == .error)
        #expect(try PolicyEval.status("any:\n  path: firewall.rules\n  where: {path: comment, starts-with: b}") == .pass)
        #expect(try PolicyEval.status("none:\n  path: firewall.rules\n  where: {path: comment, starts-with: x}") == .error)
    }

    @Test func whenSkips() throws {
        let f = try PolicyEval.run(
            "path: selinux.kernel.runtime_mode\nequals: permissive", when: "path: firewall.available\nequals: false")
        #expect(f.status == .skip)
        let u = try PolicyEval.run(
            "path: selinux.kernel.runtime_mode\nequals: permissive", when: "path: resolver.resolv_conf.immutable\nequals: true")
        #expect(u.status == .skip)
        #expect(u.detail?.contains("unknown") == true)
        let applies = try PolicyEval.run(
            "path: selinux.kernel.runtime_mode\nequals: permissive", when: "path: firewall.available\nequals: true")
        #expect(applies.status == .fail)
    }

    @Test func parametersListsAndOverrides() throws {
        let extra = """
            parameters:
              wanted: {default: plain-file}
              servers: {type: list, default: [10.0.0.2]}
              limit: {type: int, default: 5}
              pattern: {default: '^plain'}
            lists:
              bad: [8.8.8.8]
            """
        #expect(try PolicyEval.run("path: resolver.resolv_conf.manager\nequals: {param: wanted}", extra: extra).status == .pass)
        #expect(
            try PolicyEval.run(
                "path: resolver.resolv_conf.manager\nequals: {param: wanted}", extra: extra, parameters: ["wanted": "resolvconf"]
            ).status == .fail)
        #expect(
            try PolicyEval.run(
                "all:\n  path: resolver.resolv_conf.nameservers\n  where: {path: address, in: {param: servers}}", extra: extra,
                parameters: ["servers": ["10.0.0.2", "8.8.8.8", "1.1.1.1", "9.9.9.9"]]
            ).status == .pass)
        #expect(try PolicyEval.run("path: firewall.summary.rules\nless-than: {param: limit}", extra: extra).status == .pass)
        #expect(try PolicyEval.run("path: resolver.resolv_conf.manager\nmatches: {param: pattern}", extra: extra).status == .pass)
        #expect(
            try PolicyEval.run(
                "none:\n  path: resolver.resolv_conf.nameservers\n  where: {path: address, in: {list: bad}}", extra: extra
            ).status == .fail)
        #expect(try PolicyEval.run("param: limit\ngreater-than: 4", extra: extra).status == .pass)
        // An override that breaks a regex is a located load error.
        let p = try PolicyEval.policy("path: resolver.resolv_conf.manager\nmatches: {param: pattern}", extra: extra)
        var o = ParameterOverrides()
        o.values["pattern"] = .init(value: "([", location: SourceLocation(file: "params.yaml", line: 2, column: 12))
        #expect(throws: PolicyErrors.self) { try PolicyEngine(policies: [p], parameters: o) }
        do {
            _ = try PolicyEngine(policies: [p], parameters: o)
        } catch {
            #expect(error.errors.first?.description.hasPrefix("params.yaml:2:12: error: invalid regular expression") == true)
        }
    }

    @Test func profilesFilterRules() throws {
        let text = """
            name: t
            rules:
              - {id: a, title: A, severity: low, profiles: [cron], check: {path: firewall.available, equals: true}}
              - {id: b, title: B, severity: low, profiles: [pre-deploy, cron], check: {path: firewall.available, equals: true}}
              - {id: c, title: C, severity: low, check: {path: firewall.available, equals: true}}
            """
        guard case .success(let p) = PolicyLoader().loadPolicy(text: text, file: "t.yaml") else { throw PolicyErrors([]) }
        let e = try PolicyEngine(policies: [p])
        #expect(e.evaluate(facts: PolicyEval.facts, profile: .cron).map(\.rule) == ["a", "b", "c"])
        #expect(e.evaluate(facts: PolicyEval.facts, profile: .preDeploy).map(\.rule) == ["b", "c"])
        #expect(e.evaluate(facts: PolicyEval.facts, profile: .postCompromise).map(\.rule) == ["c"])
        #expect(e.evaluate(facts: PolicyEval.facts).count == 3)
    }

    @Test func egressThroughAnOracle() async throws {
        struct Oracle: EgressOracle {
            func probe(_ target: PolicyEgressTarget) async -> [EgressProbeOutcome] {
                switch target.description {
                case "mirror.example:80":
                    return [EgressProbeOutcome(state: "open", raw: ["state": "open", "address": "192.0.2.1"])]
                case "package-sources":
                    return [
                        EgressProbeOutcome(
                            state: "filtered",
                            raw: ["state": "filtered", "cause": "upstream-filter", "explanation": "SYN dropped upstream"])
                    ]
                default: return []
                }
            }
            func verdict(for flow: EgressFlow) async -> EgressFlowVerdict {
                flow.dport == 25
                    ? EgressFlowVerdict(verdict: "drop", raw: ["verdict": "drop"])
                    : EgressFlowVerdict(verdict: "accept", raw: ["verdict": "accept", "decided_by": nil])
            }
        }
        let text = """
            name: t
            rules:
              - {id: up, title: U, severity: high, check: {reachable: ["mirror.example:80"]}}
              - {id: sources, title: S, severity: high, check: {reachable: [package-sources]}}
              - {id: none, title: N, severity: high, check: {reachable: ["other.example:443"]}}
              - {id: smtp, title: M, severity: high, check: {blocked: [{dst: 192.0.2.25, dport: 25}]}}
              - {id: web, title: W, severity: high, check: {blocked: [{dst: 192.0.2.80, dport: 80}]}}
            """
        guard case .success(let p) = PolicyLoader().loadPolicy(text: text, file: "t.yaml") else { throw PolicyErrors([]) }
        let engine = try PolicyEngine(policies: [p])
        let findings = await engine.evaluate(facts: PolicyEval.facts, oracle: Oracle())
        let status = Dictionary(uniqueKeysWithValues: findings.map { ($0.rule, $0.status) })
        #expect(status == ["up": .pass, "sources": .fail, "none": .error, "smtp": .pass, "web": .fail])
        let sources = findings.first { $0.rule == "sources" }!
        #expect(sources.evidence.first?["explanation"] == "SYN dropped upstream")
        #expect(sources.evidence.first?["kind"] == "egress")
        #expect(findings.first { $0.rule == "web" }!.evidence.first?["flow"]?["dport"] == .int(80))
        // Without an oracle nothing is probed: egress rules are skipped.
        #expect(engine.evaluate(facts: PolicyEval.facts).allSatisfy { $0.status == .skip })
    }

    @Test func findingJSONHasTheReportShape() throws {
        let f = try PolicyEval.run("path: resolver.resolv_conf.manager\nequals: networkmanager")
        let keys = f.json().objectValue?.keys ?? []
        #expect(Array(keys.prefix(8)) == ["rule", "policy", "title", "severity", "status", "evidence", "remediation", "references"])
    }

    @Test func largeRuleSetsEvaluateInParallelInOrder() throws {
        var rules = ""
        for i in 0..<200 {
            rules += "  - {id: r\(i), title: T, severity: low, check: {path: firewall.summary.rules, equals: \(i % 5)}}\n"
        }
        guard case .success(let p) = PolicyLoader().loadPolicy(text: "name: t\nrules:\n" + rules, file: "t.yaml") else {
            throw PolicyErrors([])
        }
        let findings = try PolicyEngine(policies: [p]).evaluate(facts: PolicyEval.facts)
        #expect(findings.map(\.rule) == (0..<200).map { "r\($0)" })
        #expect(findings.filter { $0.status == .pass }.count == 40)
    }
}
