/// The keys each part of the policy format accepts. The loader rejects any
/// other key (with a did-you-mean), and a test checks `Policies/schema.json`
/// against these lists so the JSON Schema cannot drift from the loader.
package enum PolicyKeys {
    package static let policy = ["name", "version", "description", "parameters", "lists", "rules"]
    package static let parameter = ["default", "type", "description"]
    package static let rule = [
        "id", "title", "severity", "profiles", "rationale", "remediation", "references", "controls", "tags", "when", "check",
    ]
    package static let control = ["framework", "id", "title"]
    package static let matchers = MatcherKind.allCases.map(\.rawValue)
    package static let combinators = ["all", "any", "not", "none", "count"]
    package static let check = ["path", "param"] + matchers + combinators
    package static let egress = ["reachable", "blocked"]
    package static let quantifier = ["path", "where"]
    package static let count = ["path", "where", "equals", "not-equals", "less-than", "greater-than"]
    package static let flow = ["dst", "dport", "proto", "src", "sport", "oif"]
    package static let reference = ["param", "list"]
    static let waiversFile = ["waivers"]
    package static let waiver = ["rule", "scope", "reason", "expires"]
    static let parametersFile = ["parameters"]
}
