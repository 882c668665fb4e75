/// Every path a facts document can hold, with the JSON types seen there, so
/// the policy loader can reject a path that does not exist (a typo would
/// otherwise make a rule silently read `null`).
///
/// Patterns use `[]` for an array's items and `*` for a map's keys
/// (`firewall.hooks.*[].policy`, `selinux.kernel.booleans.*.active`). The
/// shipped schema is generated from documents the real collectors emit (see
/// `FactSchema+Generated.swift` and `FactSchemaGoldenTests`), so it cannot
/// drift from the models.
public struct FactSchema: Sendable {
    /// Pattern → JSON types seen there (`object`, `map`, `array`, `string`,
    /// `int`, `double`, `bool`, `null`). The root is the empty pattern.
    package let entries: [String: Set<String>]
    private let children: [String: [String]]

    /// Categories a later collector will add: a path under one of them is
    /// reported as "not collected yet" rather than as a typo.
    static let reservedCategories = ["packages", "egress"]

    package init(entries: [String: Set<String>]) {
        var e = entries
        e[""] = ["object"]
        self.entries = e
        var children: [String: [String]] = [:]
        for pattern in e.keys where !pattern.isEmpty {
            let (parent, last) = Self.split(pattern)
            children[parent, default: []].append(last)
        }
        for k in children.keys { children[k]!.sort() }
        self.children = children
    }

    /// Parses the generated text form: one `pattern<TAB>type|type` per line.
    package init(text: String) {
        var entries: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            guard parts.count == 2 else { continue }
            entries[String(parts[0])] = Set(parts[1].split(separator: "|").map(String.init))
        }
        self.init(entries: entries)
    }

    /// The schema of the facts this build collects.
    public static let current = FactSchema(text: generatedText)

    /// The text form, sorted: what the golden file holds.
    package var text: String {
        entries.keys.filter { !$0.isEmpty }.sorted().map { "\($0)\t\(entries[$0]!.sorted().joined(separator: "|"))" }
            .joined(separator: "\n") + "\n"
    }

    static func split(_ pattern: String) -> (parent: String, last: String) {
        if pattern.hasSuffix("[]") { return (String(pattern.dropLast(2)), "[]") }
        if let dot = pattern.lastIndex(of: ".") {
            return (String(pattern[..<dot]), String(pattern[pattern.index(after: dot)...]))
        }
        return ("", pattern)
    }

    static func join(_ parent: String, _ key: String) -> String {
        if key == "[]" { return parent + "[]" }
        return parent.isEmpty ? key : parent + "." + key
    }

    package func types(_ pattern: String) -> Set<String> { entries[pattern] ?? [] }

    /// The named keys below `pattern` (for did-you-mean).
    package func keys(below pattern: String) -> [String] {
        (children[pattern] ?? []).filter { $0 != "[]" && $0 != "*" }
    }

    /// The pattern of one item of the collection at `pattern`: an array's
    /// element or a map's value; nil when it is neither.
    func itemPattern(of pattern: String) -> String? {
        let t = types(pattern)
        if t.contains("array") { return pattern + "[]" }
        if t.contains("map") { return Self.join(pattern, "*") }
        return nil
    }

    package enum Lookup: Sendable, Equatable {
        case found(String)
        /// Component `index` does not exist below `parent`.
        case unknown(index: Int, parent: String)
        /// A category that no collector provides yet.
        case reserved(String)
        /// A component that cannot apply (an index into a non-array, `*` into a non-collection).
        case notACollection(index: Int, parent: String)
    }

    /// Looks `path` up below `base` (the empty pattern for absolute paths, an
    /// item pattern for paths inside `where`).
    package func lookup(_ path: FactPath, from base: String = "") -> Lookup {
        var current = base
        for (i, c) in path.components.enumerated() {
            switch c {
            case .key(let k):
                let direct = Self.join(current, k)
                if entries[direct] != nil {
                    current = direct
                } else if types(current).contains("map") {
                    current = Self.join(current, "*")
                } else {
                    if base.isEmpty, i == 0, Self.reservedCategories.contains(k) { return .reserved(k) }
                    return .unknown(index: i, parent: current)
                }
            case .index:
                guard types(current).contains("array") else { return .notACollection(index: i, parent: current) }
                current += "[]"
            case .wildcard:
                guard let item = itemPattern(of: current) else { return .notACollection(index: i, parent: current) }
                current = item
            }
            if entries[current] == nil {
                // A map or array whose items were never seen populated.
                return .unknown(index: i, parent: current)
            }
        }
        return .found(current)
    }

    // MARK: - Generation

    /// Builds the schema from documents the real collectors emitted. `maps`
    /// names the patterns whose keys are data (boolean names, hook names).
    package static func derive(from documents: [JSONValue], maps: Set<String>) -> FactSchema {
        var entries: [String: Set<String>] = [:]
        func visit(_ v: JSONValue, _ pattern: String) {
            switch v {
            case .null: entries[pattern, default: []].insert("null")
            case .bool: entries[pattern, default: []].insert("bool")
            case .int: entries[pattern, default: []].insert("int")
            case .double: entries[pattern, default: []].insert("double")
            case .string: entries[pattern, default: []].insert("string")
            case .array(let items):
                entries[pattern, default: []].insert("array")
                for item in items { visit(item, pattern + "[]") }
            case .object(let o):
                if maps.contains(pattern) {
                    entries[pattern, default: []].insert("map")
                    for (_, value) in o.entries { visit(value, join(pattern, "*")) }
                } else {
                    entries[pattern, default: []].insert("object")
                    for (k, value) in o.entries { visit(value, join(pattern, k)) }
                }
            }
        }
        for d in documents { visit(d, "") }
        entries[""] = nil
        return FactSchema(entries: entries)
    }
}
