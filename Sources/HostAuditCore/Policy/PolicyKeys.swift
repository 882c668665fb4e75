/// The keys each part of the policy format accepts. The loader rejects any
/// other key (with a did-you-mean), and a test checks `Policies/schema.json`
/// against these lists so the JSON Schema cannot drift from the loader.
public enum PolicyKeys {
    public static let policy = ["name", "version", "description", "parameters", "lists", "rules"]
    public static let parameter = ["default", "type", "description"]
    public static let rule = [
        "id", "title", "severity", "profiles", "rationale", "remediation", "references", "controls", "tags", "when", "check",
    ]
    public static let control = ["framework", "id", "title"]
    public static let matchers = MatcherKind.allCases.map(\.rawValue)
    public static let combinators = ["all", "any", "not", "none", "count"]
    public static let check = ["path", "param"] + matchers + combinators
    public static let egress = ["reachable", "blocked"]
    public static let quantifier = ["path", "where"]
    public static let count = ["path", "where", "equals", "not-equals", "less-than", "greater-than"]
    public static let flow = ["dst", "dport", "proto", "src", "sport", "oif"]
    public static let reference = ["param", "list"]
    public static let waiversFile = ["waivers"]
    public static let waiver = ["rule", "scope", "reason", "expires"]
    public static let parametersFile = ["parameters"]
}
