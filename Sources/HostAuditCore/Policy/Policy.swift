/// A loaded policy file: named rules over facts, with the lists and
/// parameters they refer to. Built only by `PolicyLoader`, so every value
/// here has been checked (paths against the fact schema, regexes compiled,
/// references resolved to names that exist).
public struct Policy: Sendable {
    public var name: String
    public var version: String?
    public var description: String?
    public var file: String
    public var location: SourceLocation
    public var parameters: [Parameter]
    public var lists: [String: NamedList]
    public var rules: [PolicyRule]

    public func parameter(_ name: String) -> Parameter? { parameters.first { $0.name == name } }
    public func rule(_ id: String) -> PolicyRule? { rules.first { $0.id == id } }
}

/// A value a host may override in its local parameters file.
public struct Parameter: Sendable {
    public var name: String
    public var type: ParameterType
    public var defaultValue: JSONValue
    public var description: String?
    public var location: SourceLocation
}

public enum ParameterType: String, Sendable, CaseIterable {
    case string, int, number, bool, list

    /// Whether `value` has this type (ints are numbers; lists hold scalars).
    public func admits(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.string, .string), (.int, .int), (.bool, .bool), (.number, .int), (.number, .double): return true
        case (.list, .array(let items)):
            return items.allSatisfy {
                switch $0 {
                case .string, .int, .double, .bool: return true
                default: return false
                }
            }
        default: return false
        }
    }

    static func inferred(from value: JSONValue) -> ParameterType? {
        switch value {
        case .string: return .string
        case .int: return .int
        case .double: return .number
        case .bool: return .bool
        case .array: return .list
        default: return nil
        }
    }
}

/// A named list of values (miner names, public resolvers, pool ports).
public struct NamedList: Sendable {
    public var name: String
    public var values: [JSONValue]
    public var location: SourceLocation
}

public enum Severity: String, Sendable, CaseIterable, Comparable, Codable {
    case info, low, medium, high, critical

    var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

public enum Profile: String, Sendable, CaseIterable, Codable {
    case postCompromise = "post-compromise"
    case preDeploy = "pre-deploy"
    case cron
}

/// One rule: what must hold, why, and how to fix it.
public struct PolicyRule: Sendable {
    public var id: String
    public var title: String
    public var severity: Severity
    public var profiles: [Profile]
    public var rationale: String?
    public var remediation: String?
    public var references: [String]
    /// Benchmark controls the rule corresponds to (`{framework: cis-debian-12, id: "3.3.1"}`).
    public var controls: [PolicyControl] = []
    /// Applicability: when it does not hold, the finding is `skip`.
    package var when: PolicyCheck?
    package var check: RuleCheck
    public var location: SourceLocation
    /// Labels other layers key on (`compromise`, `miner`: the audit's egress
    /// story); the finding carries them, its JSON does not.
    public var tags: [String] = []
}

/// A benchmark control a rule corresponds to: the framework's id (lower-case,
/// e.g. `cis-debian-12`) and the control's number there, with an optional title.
public struct PolicyControl: Sendable, Equatable, Hashable {
    public var framework: String
    public var id: String
    public var title: String?

    public init(framework: String, id: String, title: String? = nil) {
        self.framework = framework
        self.id = id
        self.title = title
    }

    public func json() -> JSONValue {
        var o = JSONObject()
        o["framework"] = .string(framework)
        o["id"] = .string(id)
        if let title { o["title"] = .string(title) }
        return .object(o)
    }

    /// `cis-debian-12 3.3.1`
    public var label: String { "\(framework) \(id)" }
}

/// What a rule tests: facts, or egress expectations answered by an `EgressOracle`.
package enum RuleCheck: Sendable {
    case facts(PolicyCheck)
    /// Every target must be reachable (at least one of its addresses open).
    case reachable([PolicyEgressTarget], SourceLocation)
    /// Every flow must be dropped or rejected by the local ruleset (static verdict, no traffic).
    case blocked([EgressFlow], SourceLocation)
}

/// A check over facts. Paths are absolute at the top of a rule and relative
/// to the item inside a quantifier's `where`.
package indirect enum PolicyCheck: Sendable {
    case match(Subject, Matcher, SourceLocation)
    case all([PolicyCheck], SourceLocation)
    case any([PolicyCheck], SourceLocation)
    case not(PolicyCheck, SourceLocation)
    case quantified(Quantifier, SourceLocation)
}

/// What a matcher tests: a fact (by path) or a parameter's value.
package enum Subject: Sendable, Equatable {
    /// A fact path; `nil` inside `where` means the item itself.
    case fact(FactPath?)
    case parameter(String)
}

/// A matcher's expected value: written out, or a reference resolved when the policy is compiled.
package enum Operand: Sendable, Equatable {
    case literal(JSONValue)
    case parameter(String)
    case list(String)
}

package enum MatcherKind: String, Sendable, CaseIterable {
    case equals
    case notEquals = "not-equals"
    case `in`
    case contains
    case matches
    case startsWith = "starts-with"
    case endsWith = "ends-with"
    case lessThan = "less-than"
    case greaterThan = "greater-than"
    case exists
}

package struct Matcher: Sendable {
    package var kind: MatcherKind
    package var operand: Operand
    package var location: SourceLocation
}

package enum QuantifierKind: String, Sendable, CaseIterable {
    case any, all, none, count
}

/// `any`/`all`/`none`/`count` over the items at `path` (an array's elements,
/// or a map's values; `*` in the path flattens several collections).
package struct Quantifier: Sendable {
    package var kind: QuantifierKind
    package var path: FactPath
    package var condition: PolicyCheck?
    /// For `count`: how the number of matching items must compare.
    package var comparison: Matcher?
}

/// An endpoint that must be reachable: `HOST:PORT`, `[IPv6]:PORT`, a URL, or
/// the host's own package sources (`package-sources`), which the oracle expands.
public enum PolicyEgressTarget: Sendable, Hashable, CustomStringConvertible {
    case endpoint(String)
    case packageSources
    /// A string or list parameter naming targets; expanded when the policy is compiled.
    case parameter(String)

    public var description: String {
        switch self {
        case .endpoint(let s): return s
        case .packageSources: return "package-sources"
        case .parameter(let p): return "{param: \(p)}"
        }
    }
}

/// A flow the static verdict answers: would the local ruleset let it out?
public struct EgressFlow: Sendable, Hashable, CustomStringConvertible {
    public var dst: String
    public var dport: Int
    public var proto: String
    public var src: String?
    public var sport: Int?
    public var oif: String?

    public init(dst: String, dport: Int, proto: String = "tcp", src: String? = nil, sport: Int? = nil, oif: String? = nil) {
        self.dst = dst
        self.dport = dport
        self.proto = proto
        self.src = src
        self.sport = sport
        self.oif = oif
    }

    public var description: String {
        var s = "\(proto) to \(dst.contains(":") ? "[\(dst)]" : dst):\(dport)"
        if let src { s += " from \(src)" }
        if let sport { s += " sport \(sport)" }
        if let oif { s += " via \(oif)" }
        return s
    }

    public func json() -> JSONValue {
        var o = JSONObject()
        o["dst"] = .string(dst)
        o["dport"] = .int(Int64(dport))
        o["proto"] = .string(proto)
        o["src"] = src.map(JSONValue.string) ?? .null
        o["sport"] = sport.map { .int(Int64($0)) } ?? .null
        o["oif"] = oif.map(JSONValue.string) ?? .null
        return .object(o)
    }
}
