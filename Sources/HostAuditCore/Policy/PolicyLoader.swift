import Foundation
import Yams

/// What a YAML file holds, decided by its top-level keys.
package enum PolicyFileKind: Sendable, Equatable {
    /// Rules (`name`, `rules`, …).
    case policy
    /// `waivers:`.
    case waivers
    /// `parameters:` only: a host's local overrides.
    case parameters
}

/// Loads policy, waiver and parameter files strictly: every problem is a
/// `PolicyError` at file:line:column, and loading continues past the first
/// problem so `policy lint` can print them all.
public struct PolicyLoader: Sendable {
    public var schema: FactSchema

    public init(schema: FactSchema = .current) { self.schema = schema }

    /// The largest policy, waiver or parameter file loaded (4 MiB).
    public static let maxFileSize = YAMLReader.maxBytes

    public static func tooLarge(_ file: String) -> PolicyError {
        PolicyError(file: file, line: 1, column: 1, kind: .unreadable, message: "file is larger than \(maxFileSize >> 20) MiB")
    }

    /// Reads a file with its size checked first (fstat on the opened
    /// descriptor, then a read bounded by the limit): a 1 GiB file is refused
    /// without being read, a FIFO without blocking.
    public static func readBytes(_ path: String) -> Result<[UInt8], PolicyError> {
        func fail(_ why: String) -> Result<[UInt8], PolicyError> {
            .failure(PolicyError(file: path, line: 1, column: 1, kind: .unreadable, message: why))
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return fail(errno == ENOENT ? "no such file" : "cannot be read (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return fail("cannot be read") }
        guard st.st_mode & S_IFMT == S_IFREG else { return fail("not a regular file") }
        if st.st_size > Int64(maxFileSize) { return .failure(tooLarge(path)) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= maxFileSize {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return fail("cannot be read")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        // A file that grew past the limit while it was read.
        if bytes.count > maxFileSize { return .failure(tooLarge(path)) }
        return .success(bytes)
    }

    /// Classifies a file by its top-level keys; nil when it does not compose.
    package func kind(ofBytes bytes: [UInt8], file: String) -> PolicyFileKind? {
        var reader = YAMLReader(file: file)
        guard case .mapping(let m)? = reader.compose(bytes: bytes) else { return nil }
        let keys = Set(m.keys.compactMap(\.string))
        if keys.contains("waivers") { return .waivers }
        if keys == ["parameters"] { return .parameters }
        return .policy
    }

    // MARK: - Policies

    public func loadPolicy(path: String) -> Result<Policy, PolicyErrors> {
        switch Self.readBytes(path) {
        case .failure(let e): return .failure(PolicyErrors([e]))
        case .success(let bytes): return loadPolicy(bytes: bytes, file: path)
        }
    }

    public func loadPolicy(text: String, file: String) -> Result<Policy, PolicyErrors> {
        loadPolicy(bytes: Array(text.utf8), file: file)
    }

    public func loadPolicy(bytes: [UInt8], file: String) -> Result<Policy, PolicyErrors> {
        var parser = PolicyParser(file: file, schema: schema)
        let policy = parser.parsePolicy(bytes: bytes)
        if let policy, parser.reader.errors.isEmpty { return .success(policy) }
        let errors = parser.reader.errors.isEmpty
            ? [PolicyError(file: file, line: 1, column: 1, kind: .syntax, message: "not a policy")]
            : parser.reader.errors
        return .failure(PolicyErrors(Self.sorted(errors)))
    }

    static func sorted(_ errors: [PolicyError]) -> [PolicyError] {
        var seen = Set<PolicyError>()
        return errors.filter { seen.insert($0).inserted }.sorted {
            ($0.file, $0.line, $0.column) < ($1.file, $1.line, $1.column)
        }
    }

    /// Errors that span files: a rule id defined in two policies.
    public static func crossFileErrors(_ policies: [Policy]) -> [PolicyError] {
        var first: [String: (policy: String, rule: PolicyRule)] = [:]
        var errors: [PolicyError] = []
        for p in policies {
            for r in p.rules {
                if let f = first[r.id] {
                    errors.append(
                        PolicyError(
                            .duplicateID,
                            "rule id '\(r.id)' is also defined in policy '\(f.policy)' at \(f.rule.location)",
                            at: r.location))
                } else {
                    first[r.id] = (p.name, r)
                }
            }
        }
        return errors
    }

    // MARK: - Waivers

    public func loadWaivers(path: String, policies: [Policy]) -> Result<[Waiver], PolicyErrors> {
        switch Self.readBytes(path) {
        case .failure(let e): return .failure(PolicyErrors([e]))
        case .success(let bytes): return loadWaivers(bytes: bytes, file: path, policies: policies)
        }
    }

    public func loadWaivers(bytes: [UInt8], file: String, policies: [Policy]) -> Result<[Waiver], PolicyErrors> {
        var parser = PolicyParser(file: file, schema: schema)
        let waivers = parser.parseWaivers(bytes: bytes, policies: policies)
        if parser.reader.errors.isEmpty { return .success(waivers) }
        return .failure(PolicyErrors(Self.sorted(parser.reader.errors)))
    }

    // MARK: - Parameter overrides

    public func loadParameters(path: String, policies: [Policy]) -> Result<ParameterOverrides, PolicyErrors> {
        switch Self.readBytes(path) {
        case .failure(let e): return .failure(PolicyErrors([e]))
        case .success(let bytes): return loadParameters(bytes: bytes, file: path, policies: policies)
        }
    }

    public func loadParameters(bytes: [UInt8], file: String, policies: [Policy]) -> Result<
        ParameterOverrides, PolicyErrors
    > {
        var parser = PolicyParser(file: file, schema: schema)
        let overrides = parser.parseParameters(bytes: bytes, policies: policies)
        if parser.reader.errors.isEmpty { return .success(overrides) }
        return .failure(PolicyErrors(Self.sorted(parser.reader.errors)))
    }
}

/// A host's parameter values, overriding the policies' defaults.
public struct ParameterOverrides: Sendable {
    public struct Value: Sendable {
        public var value: JSONValue
        public var location: SourceLocation
        public init(value: JSONValue, location: SourceLocation) {
            self.value = value
            self.location = location
        }
    }
    public var values: [String: Value]
    public init(values: [String: Value] = [:]) { self.values = values }
    public static let none = ParameterOverrides()
}

/// A waiver: a rule's failure accepted for a reason, until a date.
public struct Waiver: Sendable {
    public var rule: String
    /// Which evidence items it covers (a check relative to each item); nil: the whole finding.
    package var scope: PolicyCheck?
    public var reason: String
    /// The last day (UTC) the waiver applies, as written (YYYY-MM-DD).
    public var expires: String
    /// Start of the day after `expires` (UTC): from then on it no longer waives.
    public var expiresAt: Date
    public var location: SourceLocation
}

// MARK: - The parser

struct PolicyParser {
    var reader: YAMLReader
    let schema: FactSchema
    var lists: [String: NamedList] = [:]
    var parameters: [String: Parameter] = [:]

    init(file: String, schema: FactSchema) {
        reader = YAMLReader(file: file)
        self.schema = schema
    }

    var file: String { reader.file }

    /// Walks a mapping's pairs: string keys only, unknown keys reported with a did-you-mean.
    mutating func pairs(_ node: Node, allowed: [String], what: String) -> [(key: String, keyNode: Node, value: Node)] {
        guard case .mapping(let m) = node else {
            reader.error(.wrongType, "\(what) must be a mapping, not \(node.kindName)", at: node)
            return []
        }
        var out: [(String, Node, Node)] = []
        for (k, v) in m {
            guard let key = k.stringScalar ?? k.scalar.map(\.string) else {
                reader.error(.wrongType, "keys must be strings, not \(k.kindName)", at: k)
                continue
            }
            if !allowed.contains(key) {
                reader.error(
                    .unknownKey, "unknown key '\(key)' in \(what)\(Suggest.hint(key, in: allowed))", at: k)
                continue
            }
            out.append((key, k, v))
        }
        return out
    }

    mutating func string(_ node: Node, _ what: String) -> String? {
        if let s = node.stringScalar { return s }
        reader.error(.wrongType, "\(what) must be a string, not \(node.kindName)", at: node)
        return nil
    }

    mutating func stringList(_ node: Node, _ what: String) -> [String]? {
        guard case .sequence(let seq) = node else {
            reader.error(.wrongType, "\(what) must be a list of strings, not \(node.kindName)", at: node)
            return nil
        }
        return seq.compactMap { string($0, "each item of \(what)") }
    }

    static let idPattern = try! NSRegularExpression(pattern: "^[a-z0-9][a-z0-9._-]*$")

    static func isID(_ s: String) -> Bool {
        idPattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    // MARK: Policy

    mutating func parsePolicy(bytes: [UInt8]) -> Policy? {
        guard let root = reader.compose(bytes: bytes) else { return nil }
        let top = pairs(root, allowed: PolicyKeys.policy, what: "a policy")
        guard case .mapping = root else { return nil }
        var byKey: [String: (Node, Node)] = [:]
        for p in top { byKey[p.key] = (p.keyNode, p.value) }

        var name: String?
        if let (_, v) = byKey["name"] {
            name = string(v, "'name'")
            if let n = name, !Self.isID(n) {
                reader.error(.invalidValue, "policy name '\(n)' must be lower-case letters, digits, '-', '_' or '.'", at: v)
            }
        } else {
            reader.error(.missingKey, "a policy needs a 'name'", at: root)
        }
        var version: String?
        if let (_, v) = byKey["version"] {
            if case .scalar(let s) = v, v.tagName != .null { version = s.string } else {
                reader.error(.wrongType, "'version' must be a scalar, not \(v.kindName)", at: v)
            }
        }
        let description = byKey["description"].flatMap { string($0.1, "'description'") }

        // Parameters and lists first: rules refer to them, wherever they appear in the file.
        if let (_, v) = byKey["parameters"] { parseParameterDefinitions(v) }
        if let (_, v) = byKey["lists"] { parseLists(v) }

        var rules: [PolicyRule] = []
        if let (_, v) = byKey["rules"] {
            if case .sequence(let seq) = v {
                var ids: [String: SourceLocation] = [:]
                for item in seq {
                    // Duplicate ids are reported even when the rule has other problems.
                    var duplicate = false
                    if case .mapping(let rm) = item, let idNode = rm["id"], let id = idNode.stringScalar {
                        let here = reader.location(idNode)
                        if let first = ids[id] {
                            reader.error(
                                .duplicateID, "duplicate rule id '\(id)' (first defined at line \(first.line), column \(first.column))",
                                at: here)
                            duplicate = true
                        } else {
                            ids[id] = here
                        }
                    }
                    guard let rule = parseRule(item), !duplicate else { continue }
                    rules.append(rule)
                }
            } else {
                reader.error(.wrongType, "'rules' must be a list of rules, not \(v.kindName)", at: v)
            }
        } else {
            reader.error(.missingKey, "a policy needs 'rules'", at: root)
        }
        guard let name else { return nil }
        return Policy(
            name: name, version: version, description: description, file: file, location: reader.location(root),
            parameters: parameters.values.sorted { $0.name < $1.name }, lists: lists, rules: rules)
    }

    mutating func parseParameterDefinitions(_ node: Node) {
        guard case .mapping(let m) = node else {
            reader.error(.wrongType, "'parameters' must be a mapping of name to definition, not \(node.kindName)", at: node)
            return
        }
        for (k, v) in m {
            guard let name = k.stringScalar else {
                reader.error(.wrongType, "parameter names must be strings, not \(k.kindName)", at: k)
                continue
            }
            let fields = pairs(v, allowed: PolicyKeys.parameter, what: "parameter '\(name)'")
            guard case .mapping = v else { continue }
            var declared: ParameterType?
            var defaultValue: JSONValue?
            var defaultNode: Node?
            var description: String?
            for f in fields {
                switch f.key {
                case "type":
                    if let t = string(f.value, "'type'") {
                        declared = ParameterType(rawValue: t)
                        if declared == nil {
                            reader.error(
                                .invalidValue,
                                "unknown parameter type '\(t)'; one of \(ParameterType.allCases.map(\.rawValue).joined(separator: ", "))"
                                    + Suggest.hint(t, in: ParameterType.allCases.map(\.rawValue)), at: f.value)
                        }
                    }
                case "default":
                    defaultNode = f.value
                    defaultValue = literal(f.value, "the default of '\(name)'")
                case "description":
                    description = string(f.value, "'description'")
                default: break
                }
            }
            guard let defaultValue, let defaultNode else {
                if fields.allSatisfy({ $0.key != "default" }) {
                    reader.error(.missingKey, "parameter '\(name)' needs a 'default'", at: v)
                }
                continue
            }
            guard let type = declared ?? ParameterType.inferred(from: defaultValue) else {
                reader.error(.wrongType, "the default of '\(name)' must not be null", at: defaultNode)
                continue
            }
            if !type.admits(defaultValue) {
                reader.error(.wrongType, "the default of '\(name)' must be a \(type.rawValue), not \(defaultNode.kindName)", at: defaultNode)
                continue
            }
            parameters[name] = Parameter(
                name: name, type: type, defaultValue: defaultValue, description: description,
                location: reader.location(k))
        }
    }

    mutating func parseLists(_ node: Node) {
        guard case .mapping(let m) = node else {
            reader.error(.wrongType, "'lists' must be a mapping of name to list, not \(node.kindName)", at: node)
            return
        }
        for (k, v) in m {
            guard let name = k.stringScalar else {
                reader.error(.wrongType, "list names must be strings, not \(k.kindName)", at: k)
                continue
            }
            guard case .sequence(let seq) = v else {
                reader.error(.wrongType, "list '\(name)' must be a list, not \(v.kindName)", at: v)
                continue
            }
            var values: [JSONValue] = []
            for item in seq {
                if let j = item.jsonScalar, j != .null { values.append(j) } else {
                    reader.error(.wrongType, "items of list '\(name)' must be scalars, not \(item.kindName)", at: item)
                }
            }
            lists[name] = NamedList(name: name, values: values, location: reader.location(k))
        }
    }

    /// A literal value: a scalar, or a list of scalars.
    mutating func literal(_ node: Node, _ what: String) -> JSONValue? {
        switch node {
        case .scalar:
            if let j = node.jsonScalar { return j }
            reader.error(.invalidValue, "\(what): '\(node.scalar?.string ?? "")' is out of range", at: node)
            return nil
        case .sequence(let seq):
            var out: [JSONValue] = []
            for item in seq {
                guard case .scalar = item, let j = item.jsonScalar else {
                    reader.error(.wrongType, "items of \(what) must be scalars, not \(item.kindName)", at: item)
                    return nil
                }
                out.append(j)
            }
            return .array(out)
        default:
            reader.error(.wrongType, "\(what) must be a scalar or a list, not \(node.kindName)", at: node)
            return nil
        }
    }

    // MARK: Rules

    mutating func parseRule(_ node: Node) -> PolicyRule? {
        let fields = pairs(node, allowed: PolicyKeys.rule, what: "a rule")
        guard case .mapping = node else { return nil }
        var byKey: [String: (Node, Node)] = [:]
        for f in fields { byKey[f.key] = (f.keyNode, f.value) }
        let errorsBefore = reader.errors.count

        var id: String?
        var idNode = node
        if let (_, v) = byKey["id"] {
            idNode = v
            id = string(v, "'id'")
            if let i = id, !Self.isID(i) {
                reader.error(.invalidValue, "rule id '\(i)' must be lower-case letters, digits, '-', '_' or '.'", at: v)
            }
        } else {
            reader.error(.missingKey, "a rule needs an 'id'", at: node)
        }
        let what = id.map { "rule '\($0)'" } ?? "this rule"
        var title: String?
        if let (_, v) = byKey["title"] { title = string(v, "'title'") } else {
            reader.error(.missingKey, "\(what) needs a 'title'", at: node)
        }
        var severity: Severity?
        if let (_, v) = byKey["severity"], let s = string(v, "'severity'") {
            severity = Severity(rawValue: s)
            if severity == nil {
                let all = Severity.allCases.map(\.rawValue)
                reader.error(
                    .invalidValue, "unknown severity '\(s)'; one of \(all.joined(separator: ", "))\(Suggest.hint(s, in: all))",
                    at: v)
            }
        } else if byKey["severity"] == nil {
            reader.error(.missingKey, "\(what) needs a 'severity'", at: node)
        }
        var profiles = Profile.allCases
        if let (_, v) = byKey["profiles"], let names = stringList(v, "'profiles'") {
            profiles = []
            if case .sequence(let seq) = v {
                for (n, item) in zip(names, seq) {
                    if let p = Profile(rawValue: n) { profiles.append(p) } else {
                        let all = Profile.allCases.map(\.rawValue)
                        reader.error(
                            .invalidValue, "unknown profile '\(n)'; one of \(all.joined(separator: ", "))\(Suggest.hint(n, in: all))",
                            at: item)
                    }
                }
            }
        }
        let rationale = byKey["rationale"].flatMap { string($0.1, "'rationale'") }
        let remediation = byKey["remediation"].flatMap { string($0.1, "'remediation'") }
        let references = byKey["references"].flatMap { stringList($0.1, "'references'") } ?? []
        let controls = byKey["controls"].map { parseControls($0.1) } ?? []
        let tags = byKey["tags"].flatMap { stringList($0.1, "'tags'") } ?? []
        if let (_, v) = byKey["tags"] {
            for t in tags where !Self.isID(t) {
                reader.error(.invalidValue, "tag '\(t)' must be lower-case letters, digits, '-', '_' or '.'", at: v)
            }
        }
        let when = byKey["when"].flatMap { parseCheck($0.1, base: "", relative: false) }
        var check: RuleCheck?
        if let (_, v) = byKey["check"] { check = parseRuleCheck(v) } else {
            reader.error(.missingKey, "\(what) needs a 'check'", at: node)
        }
        guard reader.errors.count == errorsBefore, let id, let title, let severity, let check else { return nil }
        return PolicyRule(
            id: id, title: title, severity: severity, profiles: profiles, rationale: rationale,
            remediation: remediation, references: references, controls: controls, when: when, check: check,
            location: reader.location(idNode), tags: tags)
    }

    /// `controls: [{framework: cis-debian-12, id: "3.3.1", title: ...}]`. Ids
    /// must be strings: `3.10` unquoted would be the number 3.1.
    mutating func parseControls(_ node: Node) -> [PolicyControl] {
        guard case .sequence(let seq) = node else {
            reader.error(.wrongType, "'controls' must be a list of {framework, id}, not \(node.kindName)", at: node)
            return []
        }
        var out: [PolicyControl] = []
        for item in seq {
            let fields = pairs(item, allowed: PolicyKeys.control, what: "a control")
            guard case .mapping = item else { continue }
            var byKey: [String: Node] = [:]
            for f in fields { byKey[f.key] = f.value }
            var framework: String?
            if let v = byKey["framework"] {
                framework = string(v, "a control's 'framework'")
                if let f = framework, !Self.isID(f) {
                    reader.error(.invalidValue, "framework '\(f)' must be lower-case letters, digits, '-', '_' or '.' (e.g. cis-debian-12)", at: v)
                    framework = nil
                }
            } else {
                reader.error(.missingKey, "a control needs a 'framework'", at: item)
            }
            var id: String?
            if let v = byKey["id"] {
                if v.stringScalar == nil, case .scalar = v {
                    reader.error(.wrongType, "a control's 'id' must be a string: quote it (\"3.10\" unquoted is a number)", at: v)
                } else {
                    id = string(v, "a control's 'id'")
                }
            } else {
                reader.error(.missingKey, "a control needs an 'id'", at: item)
            }
            let title = byKey["title"].flatMap { string($0, "a control's 'title'") }
            if let framework, let id { out.append(PolicyControl(framework: framework, id: id, title: title)) }
        }
        return out
    }

    mutating func parseRuleCheck(_ node: Node) -> RuleCheck? {
        if case .mapping(let m) = node {
            let keys = m.keys.compactMap(\.string)
            if keys.contains("reachable") || keys.contains("blocked") {
                let fields = pairs(node, allowed: PolicyKeys.egress, what: "an egress check")
                guard fields.count == 1 else {
                    if fields.count > 1 {
                        reader.error(.invalidValue, "'reachable' and 'blocked' go in separate rules", at: fields[1].keyNode)
                    }
                    return nil
                }
                let f = fields[0]
                if f.key == "reachable" {
                    return parseTargets(f.value).map { .reachable($0, reader.location(f.keyNode)) }
                }
                return parseFlows(f.value).map { .blocked($0, reader.location(f.keyNode)) }
            }
        }
        return parseCheck(node, base: "", relative: false).map(RuleCheck.facts)
    }

    // MARK: Checks

    /// Parses a check. `base` is the schema pattern paths are relative to (nil:
    /// unknown, so paths are not validated); `relative` is true inside `where`.
    mutating func parseCheck(_ node: Node, base: String?, relative: Bool) -> PolicyCheck? {
        let loc = reader.location(node)
        let fields = pairs(node, allowed: PolicyKeys.check + (relative ? [] : []), what: "a check")
        guard case .mapping(let m) = node else { return nil }
        if m.count == 0 {
            reader.error(.missingKey, "empty check: give a matcher (e.g. path + equals) or all/any/not/none/count", at: node)
            return nil
        }
        guard fields.count == m.count else { return nil }
        let forms = fields.filter { PolicyKeys.combinators.contains($0.key) }
        let matchers = fields.filter { PolicyKeys.matchers.contains($0.key) }
        let subjects = fields.filter { $0.key == "path" || $0.key == "param" }

        if let form = forms.first {
            if forms.count > 1 || !matchers.isEmpty || !subjects.isEmpty {
                let other = fields.first { $0.key != form.key }!
                reader.error(
                    .invalidValue,
                    "'\(other.key)' cannot be combined with '\(form.key)' in one check; nest checks in a list under all/any",
                    at: other.keyNode)
                return nil
            }
            let v = form.value
            switch (form.key, v) {
            case ("all", .sequence(let seq)), ("any", .sequence(let seq)), ("none", .sequence(let seq)):
                if seq.isEmpty {
                    reader.error(.invalidValue, "'\(form.key)' needs at least one check", at: v)
                    return nil
                }
                let children = seq.compactMap { parseCheck($0, base: base, relative: relative) }
                guard children.count == seq.count else { return nil }
                switch form.key {
                case "all": return .all(children, loc)
                case "any": return .any(children, loc)
                default: return .not(.any(children, loc), loc)
                }
            case ("not", .mapping):
                return parseCheck(v, base: base, relative: relative).map { .not($0, loc) }
            case ("all", .mapping), ("any", .mapping), ("none", .mapping), ("count", .mapping):
                return parseQuantifier(QuantifierKind(rawValue: form.key)!, v, base: base).map { .quantified($0, loc) }
            case ("not", _):
                reader.error(.wrongType, "'not' takes one check (a mapping), not \(v.kindName)", at: v)
            case ("count", _):
                reader.error(.wrongType, "'count' takes a mapping with path, where and a comparison, not \(v.kindName)", at: v)
            default:
                reader.error(
                    .wrongType,
                    "'\(form.key)' takes a list of checks, or a mapping with path and where to quantify over a collection, not \(v.kindName)",
                    at: v)
            }
            return nil
        }

        // A matcher.
        guard let matcherField = matchers.first else {
            reader.error(
                .missingKey, "missing a matcher: one of \(PolicyKeys.matchers.joined(separator: ", "))", at: node)
            return nil
        }
        if matchers.count > 1 {
            reader.error(
                .invalidValue, "one matcher per check ('\(matcherField.key)' and '\(matchers[1].key)'); combine checks with all",
                at: matchers[1].keyNode)
            return nil
        }
        if subjects.count > 1 {
            reader.error(.invalidValue, "give either 'path' or 'param', not both", at: subjects[1].keyNode)
            return nil
        }
        var subject: Subject
        var pattern: String? = nil
        var subjectType: ParameterType? = nil
        if let s = subjects.first {
            guard let text = string(s.value, "'\(s.key)'") else { return nil }
            if s.key == "param" {
                guard let p = parameters[text] else {
                    reader.error(
                        .unknownParameter,
                        "unknown parameter '\(text)'\(Suggest.hint(text, in: Array(parameters.keys)))", at: s.value)
                    return nil
                }
                subject = .parameter(text)
                subjectType = p.type
            } else {
                guard let path = parsePath(text, s.value, base: base, allowWildcard: false) else { return nil }
                subject = .fact(path.path)
                pattern = path.pattern
            }
        } else if relative {
            subject = .fact(nil)
            pattern = base
        } else {
            reader.error(.missingKey, "a matcher needs a 'path' (a fact) or a 'param'", at: node)
            return nil
        }
        let kind = MatcherKind(rawValue: matcherField.key)!
        guard
            let matcher = parseMatcher(
                kind, matcherField.value, pattern: pattern, subjectType: subjectType, keyNode: matcherField.keyNode)
        else { return nil }
        return .match(subject, matcher, loc)
    }

    mutating func parseQuantifier(_ kind: QuantifierKind, _ node: Node, base: String?) -> Quantifier? {
        let allowed = kind == .count ? PolicyKeys.count : PolicyKeys.quantifier
        let fields = pairs(node, allowed: allowed, what: "'\(kind.rawValue)' over a collection")
        guard case .mapping(let m) = node, fields.count == m.count else { return nil }
        guard let pathField = fields.first(where: { $0.key == "path" }) else {
            reader.error(.missingKey, "'\(kind.rawValue)' needs the 'path' of a collection", at: node)
            return nil
        }
        guard let text = string(pathField.value, "'path'"),
            let path = parsePath(text, pathField.value, base: base, allowWildcard: true)
        else { return nil }
        var item: String? = nil
        if let p = path.pattern {
            item = schema.itemPattern(of: p)
            if item == nil {
                let t = schema.types(p).sorted().joined(separator: " or ")
                reader.error(.wrongType, "'\(text)' is not a collection (it holds \(t)); quantifiers need a list or a map", at: pathField.value)
                return nil
            }
        }
        var condition: PolicyCheck?
        if let w = fields.first(where: { $0.key == "where" }) {
            condition = parseCheck(w.value, base: item, relative: true)
            if condition == nil { return nil }
        } else if kind != .count {
            reader.error(.missingKey, "'\(kind.rawValue)' needs a 'where' check for each item", at: node)
            return nil
        }
        var comparison: Matcher?
        if kind == .count {
            let comparisons = fields.filter { ["equals", "not-equals", "less-than", "greater-than"].contains($0.key) }
            guard let c = comparisons.first else {
                reader.error(.missingKey, "'count' needs a comparison: equals, not-equals, less-than or greater-than", at: node)
                return nil
            }
            if comparisons.count > 1 {
                reader.error(.invalidValue, "'count' takes one comparison", at: comparisons[1].keyNode)
                return nil
            }
            guard let op = operand(c.value, "'\(c.key)'") else { return nil }
            switch op {
            case .literal(.int(let n)) where n >= 0: break
            case .literal:
                reader.error(.wrongType, "'count' compares with a non-negative integer, not \(c.value.kindName)", at: c.value)
                return nil
            case .parameter(let p):
                if parameters[p]?.type != .int {
                    reader.error(.wrongType, "parameter '\(p)' must be an int to compare a count", at: c.value)
                    return nil
                }
            case .list:
                reader.error(.wrongType, "'count' compares with an integer, not a list", at: c.value)
                return nil
            }
            comparison = Matcher(kind: MatcherKind(rawValue: c.key)!, operand: op, location: reader.location(c.keyNode))
        }
        return Quantifier(kind: kind, path: path.path, condition: condition, comparison: comparison)
    }

    /// Parses and validates a path against the schema.
    mutating func parsePath(_ text: String, _ node: Node, base: String?, allowWildcard: Bool) -> (
        path: FactPath, pattern: String?
    )? {
        let path: FactPath
        switch FactPath.parse(text) {
        case .failure(let e):
            var loc = reader.location(node)
            if node.scalar?.style == .plain { loc.column += e.offset }
            reader.error(.invalidValue, e.message, at: loc)
            return nil
        case .success(let p): path = p
        }
        if path.hasWildcard && !allowWildcard {
            reader.error(
                .invalidValue, "'*' selects many values; use a quantifier (any, all, none, count) over '\(text)'", at: node)
            return nil
        }
        guard let base else { return (path, nil) }
        switch schema.lookup(path, from: base) {
        case .found(let pattern): return (path, pattern)
        case .reserved(let category):
            reader.error(
                .unknownFactPath, "fact path '\(text)': the '\(category)' facts are not collected yet by this version",
                at: node)
        case .unknown(let index, let parent):
            let comp: String
            if case .key(let k) = path.components[index] { comp = k } else { comp = "\(path.components[index])" }
            let known = schema.keys(below: parent)
            let where_ = parent.isEmpty ? "" : " below '\(parent)'"
            var hint = Suggest.hint(comp, in: known)
            if hint.isEmpty, !known.isEmpty, known.count <= 12 {
                hint = "; known: \(known.joined(separator: ", "))"
            }
            var loc = reader.location(node)
            if node.scalar?.style == .plain {
                loc.column += text.split(separator: ".", omittingEmptySubsequences: false).prefix(index)
                    .reduce(0) { $0 + $1.unicodeScalars.count + 1 }
            }
            reader.error(
                .unknownFactPath, "unknown fact path '\(text)': no '\(comp)'\(where_) in the fact schema\(hint)", at: loc)
        case .notACollection(let index, let parent):
            let t = schema.types(parent).sorted().joined(separator: " or ")
            reader.error(
                .unknownFactPath,
                "fact path '\(text)': component \(index + 1) selects items, but '\(parent)' holds \(t)", at: node)
        }
        return nil
    }

    /// A matcher's value: a literal, `{param: name}` or `{list: name}`.
    mutating func operand(_ node: Node, _ what: String) -> Operand? {
        if case .mapping = node {
            let fields = pairs(node, allowed: PolicyKeys.reference, what: "a reference")
            guard fields.count == 1, case .mapping(let m) = node, m.count == 1 else {
                if fields.count > 1 { reader.error(.invalidValue, "a reference names one 'param' or one 'list'", at: fields[1].keyNode) }
                return nil
            }
            let f = fields[0]
            guard let name = string(f.value, "'\(f.key)'") else { return nil }
            if f.key == "param" {
                guard parameters[name] != nil else {
                    reader.error(
                        .unknownParameter, "unknown parameter '\(name)'\(Suggest.hint(name, in: Array(parameters.keys)))",
                        at: f.value)
                    return nil
                }
                return .parameter(name)
            }
            guard lists[name] != nil else {
                reader.error(.unknownList, "unknown list '\(name)'\(Suggest.hint(name, in: Array(lists.keys)))", at: f.value)
                return nil
            }
            return .list(name)
        }
        return literal(node, what).map(Operand.literal)
    }

    static func jsonType(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "double"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    mutating func parseMatcher(
        _ kind: MatcherKind, _ node: Node, pattern: String?, subjectType: ParameterType?, keyNode: Node
    ) -> Matcher? {
        guard let op = operand(node, "'\(kind.rawValue)'") else { return nil }
        let loc = reader.location(keyNode)
        // The types the subject can hold (from the fact schema or the parameter's type).
        var held: Set<String> = []
        if let pattern { held = schema.types(pattern) }
        if let subjectType {
            switch subjectType {
            case .string: held = ["string"]
            case .int: held = ["int"]
            case .number: held = ["int", "double"]
            case .bool: held = ["bool"]
            case .list: held = ["array"]
            }
        }
        let described = pattern.map { "'\($0)'" } ?? "the parameter"
        func holds(_ any: [String]) -> Bool { held.isEmpty || !held.isDisjoint(with: any) }
        func heldText() -> String { held.subtracting(["null"]).sorted().joined(separator: " or ") }
        func compatible(_ v: JSONValue) -> Bool {
            switch v {
            case .null: return true
            case .int, .double: return holds(["int", "double"])
            case .bool: return holds(["bool"])
            case .string: return holds(["string"])
            default: return false
            }
        }
        // Literal values must suit both the matcher and the subject's type.
        let opValues: [JSONValue]? = {
            switch op {
            case .literal(let v): return [v]
            case .list(let l): return lists[l]?.values
            case .parameter(let p):
                guard let d = parameters[p]?.defaultValue else { return nil }
                if case .array(let a) = d, kind == .in { return a }
                return [d]
            }
        }()
        switch kind {
        case .exists:
            guard case .literal(.bool) = op else {
                reader.error(.wrongType, "'exists' takes true or false, not \(node.kindName)", at: node)
                return nil
            }
        case .in:
            if case .literal(let v) = op, v.arrayValue == nil {
                reader.error(.wrongType, "'in' takes a list, a {list: name} or a list parameter, not \(node.kindName)", at: node)
                return nil
            }
            if case .parameter(let p) = op, parameters[p]?.type != .list {
                reader.error(.wrongType, "'in' needs a list parameter; '\(p)' is a \(parameters[p]!.type.rawValue)", at: node)
                return nil
            }
            if case .literal(.array(let items)) = op, let bad = items.first(where: { !compatible($0) }) {
                reader.error(
                    .wrongType, "\(described) holds \(heldText()); the list has \(Self.jsonType(bad)) '\(bad.plainText)'", at: node)
                return nil
            }
        case .equals, .notEquals:
            if case .literal(let v) = op {
                if case .array = v {
                    reader.error(.wrongType, "'\(kind.rawValue)' compares with a scalar; use 'in' for a list", at: node)
                    return nil
                }
                if !compatible(v) {
                    reader.error(
                        .wrongType, "\(described) holds \(heldText()), but '\(kind.rawValue)' is given \(node.kindName)", at: node)
                    return nil
                }
            }
            if case .list = op {
                reader.error(.wrongType, "'\(kind.rawValue)' compares with a scalar; use 'in' with a list", at: node)
                return nil
            }
        case .lessThan, .greaterThan:
            if !holds(["int", "double"]) {
                reader.error(.wrongType, "'\(kind.rawValue)' compares numbers, but \(described) holds \(heldText())", at: keyNode)
                return nil
            }
            if let vs = opValues, vs.contains(where: { $0.doubleValue == nil }) {
                reader.error(.wrongType, "'\(kind.rawValue)' needs a number, not \(node.kindName)", at: node)
                return nil
            }
        case .matches, .startsWith, .endsWith:
            if !holds(["string"]) {
                reader.error(.wrongType, "'\(kind.rawValue)' applies to strings, but \(described) holds \(heldText())", at: keyNode)
                return nil
            }
            if let vs = opValues, vs.contains(where: { $0.stringValue == nil }) {
                reader.error(.wrongType, "'\(kind.rawValue)' needs a string, not \(node.kindName)", at: node)
                return nil
            }
            if kind == .matches, let vs = opValues {
                for v in vs {
                    if let p = v.stringValue, let problem = CompiledRegex.problem(p) {
                        reader.error(.invalidRegex, "invalid regular expression '\(p)': \(problem)", at: node)
                        return nil
                    }
                }
            }
        case .contains:
            if !holds(["string", "array"]) {
                reader.error(.wrongType, "'contains' applies to strings and lists, but \(described) holds \(heldText())", at: keyNode)
                return nil
            }
            if case .literal(.array) = op {
                reader.error(.wrongType, "'contains' takes one value", at: node)
                return nil
            }
        }
        return Matcher(kind: kind, operand: op, location: loc)
    }

    // MARK: Egress

    mutating func parseTargets(_ node: Node) -> [PolicyEgressTarget]? {
        guard case .sequence(let seq) = node, !seq.isEmpty else {
            reader.error(.wrongType, "'reachable' takes a non-empty list of targets (HOST:PORT, URL or package-sources)", at: node)
            return nil
        }
        var out: [PolicyEgressTarget] = []
        var ok = true
        for item in seq {
            if case .mapping = item {
                guard let op = operand(item, "a target") else { ok = false; continue }
                guard case .parameter(let p) = op, let param = parameters[p], param.type == .string || param.type == .list
                else {
                    reader.error(.wrongType, "a target reference must name a string or list parameter", at: item)
                    ok = false
                    continue
                }
                let values = param.defaultValue.arrayValue ?? [param.defaultValue]
                for v in values {
                    guard let s = v.stringValue, let t = EgressTargetSyntax.parse(s) else {
                        reader.error(.invalidValue, "parameter '\(p)': '\(v.plainText)' is not a target", at: item)
                        ok = false
                        continue
                    }
                    _ = t
                }
                out.append(.parameter(p))
                continue
            }
            guard let s = string(item, "a target") else { ok = false; continue }
            do {
                out.append(try EgressTargetSyntax.check(s))
            } catch {
                reader.error(
                    .invalidValue,
                    "'\(s)' is not a target: \(error.reason) (targets are HOST:PORT, [IPv6]:PORT, HOST:PORT/udp, a URL, or package-sources)",
                    at: item)
                ok = false
            }
        }
        return ok ? out : nil
    }

    mutating func parseFlows(_ node: Node) -> [EgressFlow]? {
        guard case .sequence(let seq) = node, !seq.isEmpty else {
            reader.error(.wrongType, "'blocked' takes a non-empty list of flows ({dst, dport, proto})", at: node)
            return nil
        }
        var out: [EgressFlow] = []
        for item in seq {
            let fields = pairs(item, allowed: PolicyKeys.flow, what: "a flow")
            guard case .mapping(let m) = item, fields.count == m.count else { return nil }
            var f: [String: Node] = [:]
            for x in fields { f[x.key] = x.value }
            guard let dstNode = f["dst"], let portNode = f["dport"] else {
                reader.error(.missingKey, "a flow needs 'dst' and 'dport'", at: item)
                return nil
            }
            guard let dst = string(dstNode, "'dst'") else { return nil }
            guard EgressTargetSyntax.isAddress(dst) else {
                reader.error(.invalidValue, "'dst' must be an IPv4 or IPv6 address, not '\(dst)'", at: dstNode)
                return nil
            }
            func port(_ n: Node, _ what: String) -> Int? {
                if case .int(let p)? = n.jsonScalar, (1...65535).contains(p) { return Int(p) }
                reader.error(.invalidValue, "'\(what)' must be a port number 1-65535, not \(n.kindName)", at: n)
                return nil
            }
            guard let dport = port(portNode, "dport") else { return nil }
            var flow = EgressFlow(dst: dst, dport: dport)
            if let p = f["proto"] {
                guard let s = string(p, "'proto'"), s == "tcp" || s == "udp" else {
                    reader.error(.invalidValue, "'proto' is tcp or udp", at: p)
                    return nil
                }
                flow.proto = s
            }
            if let s = f["src"] {
                guard let src = string(s, "'src'"), EgressTargetSyntax.isAddress(src) else {
                    reader.error(.invalidValue, "'src' must be an IPv4 or IPv6 address", at: s)
                    return nil
                }
                flow.src = src
            }
            if let s = f["sport"] {
                guard let sp = port(s, "sport") else { return nil }
                flow.sport = sp
            }
            if let o = f["oif"] {
                guard let oif = string(o, "'oif'") else { return nil }
                flow.oif = oif
            }
            out.append(flow)
        }
        return out
    }

    // MARK: Waivers

    mutating func parseWaivers(bytes: [UInt8], policies: [Policy]) -> [Waiver] {
        guard let root = reader.compose(bytes: bytes) else { return [] }
        let top = pairs(root, allowed: PolicyKeys.waiversFile, what: "a waivers file")
        guard let list = top.first(where: { $0.key == "waivers" })?.value else {
            if case .mapping = root { reader.error(.missingKey, "a waivers file needs 'waivers'", at: root) }
            return []
        }
        guard case .sequence(let seq) = list else {
            reader.error(.wrongType, "'waivers' must be a list, not \(list.kindName)", at: list)
            return []
        }
        var rules: [String: PolicyRule] = [:]
        for p in policies { for r in p.rules { rules[r.id] = r } }
        var out: [Waiver] = []
        for item in seq {
            let fields = pairs(item, allowed: PolicyKeys.waiver, what: "a waiver")
            guard case .mapping(let m) = item, fields.count == m.count else { continue }
            var f: [String: Node] = [:]
            for x in fields { f[x.key] = x.value }
            var missing: [String] = []
            for k in ["rule", "reason", "expires"] where f[k] == nil { missing.append(k) }
            if !missing.isEmpty {
                reader.error(.missingKey, "a waiver needs \(missing.map { "'\($0)'" }.joined(separator: ", "))", at: item)
                continue
            }
            guard let ruleID = string(f["rule"]!, "'rule'"), let reason = string(f["reason"]!, "'reason'") else { continue }
            guard let rule = rules[ruleID] else {
                reader.error(.unknownRule, "unknown rule '\(ruleID)'\(Suggest.hint(ruleID, in: Array(rules.keys)))", at: f["rule"]!)
                continue
            }
            if reason.trimmingCharacters(in: .whitespaces).isEmpty {
                reader.error(.invalidValue, "a waiver's 'reason' must say why", at: f["reason"]!)
                continue
            }
            let expiresNode = f["expires"]!
            guard let expires = expiresNode.scalar?.string, let date = Self.parseDate(expires) else {
                reader.error(.invalidDate, "'expires' must be a date YYYY-MM-DD, not \(expiresNode.kindName)", at: expiresNode)
                continue
            }
            var scope: PolicyCheck?
            if let s = f["scope"] {
                var item: String? = nil
                if case .facts(.quantified(let q, _)) = rule.check {
                    if case .found(let p) = schema.lookup(q.path) { item = schema.itemPattern(of: p) }
                }
                // The policy's parameters and lists are not in scope here: scopes use literals.
                scope = parseCheck(s, base: item, relative: true)
                if scope == nil { continue }
            }
            out.append(
                Waiver(
                    rule: ruleID, scope: scope, reason: reason, expires: expires, expiresAt: date,
                    location: reader.location(item)))
        }
        return out
    }

    /// `YYYY-MM-DD` → the start (UTC) of the following day.
    static func parseDate(_ s: String) -> Date? {
        let parts = s.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let comps = DateComponents(year: y, month: m, day: d)
        guard comps.isValidDate(in: cal), let start = cal.date(from: comps) else { return nil }
        return start.addingTimeInterval(86_400)
    }

    // MARK: Parameter overrides

    mutating func parseParameters(bytes: [UInt8], policies: [Policy]) -> ParameterOverrides {
        guard let root = reader.compose(bytes: bytes) else { return .none }
        let top = pairs(root, allowed: PolicyKeys.parametersFile, what: "a parameters file")
        guard let map = top.first(where: { $0.key == "parameters" })?.value else {
            if case .mapping = root { reader.error(.missingKey, "a parameters file needs 'parameters'", at: root) }
            return .none
        }
        guard case .mapping(let m) = map else {
            reader.error(.wrongType, "'parameters' must be a mapping of name to value, not \(map.kindName)", at: map)
            return .none
        }
        var declared: [String: Parameter] = [:]
        for p in policies { for param in p.parameters { declared[param.name] = param } }
        var out = ParameterOverrides()
        for (k, v) in m {
            guard let name = k.stringScalar else {
                reader.error(.wrongType, "parameter names must be strings, not \(k.kindName)", at: k)
                continue
            }
            guard let param = declared[name] else {
                reader.error(
                    .unknownParameter, "no loaded policy declares parameter '\(name)'\(Suggest.hint(name, in: Array(declared.keys)))",
                    at: k)
                continue
            }
            guard let value = literal(v, "parameter '\(name)'") else { continue }
            guard param.type.admits(value) else {
                reader.error(.wrongType, "parameter '\(name)' is a \(param.type.rawValue), not \(v.kindName)", at: v)
                continue
            }
            out.values[name] = .init(value: value, location: reader.location(v))
        }
        return out
    }
}

extension JSONValue {
    /// The value as plain text for messages (strings unquoted).
    public var plainText: String {
        switch self {
        case .string(let s): return s
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        default: return JSONWriter(pretty: false).string(self)
        }
    }
}
