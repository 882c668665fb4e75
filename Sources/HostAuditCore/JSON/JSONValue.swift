/// A JSON value whose objects keep their key order.
///
/// Every document hostaudit prints is built as a `JSONValue` so that `"schema"`
/// comes first, absent knowledge is an explicit `null`, and the text renderer
/// can show exactly the paths that policies read.
public enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public subscript(index: Int) -> JSONValue? {
        if case .array(let a) = self, a.indices.contains(index) { return a[index] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9.0e15: return Int64(d)
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: JSONObject? { if case .object(let o) = self { return o }; return nil }
    public var isNull: Bool { self == .null }

    /// Follows a dotted path (`resolver.resolv_conf.nameservers`) through objects;
    /// a numeric component indexes an array.
    public func value(atPath path: String) -> JSONValue? {
        var current: JSONValue? = self
        for component in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let c = current else { return nil }
            if let i = Int(component), case .array = c {
                current = c[i]
            } else {
                current = c[String(component)]
            }
        }
        return current
    }
}

/// An insertion-ordered JSON object. Setting an existing key keeps its position.
///
/// Stored as an array of pairs (most objects are small, and building them is
/// the hot path when encoding large fact documents); an index is added once an
/// object grows past a few keys so lookups stay O(1) on large maps.
public struct JSONObject: Sendable, Equatable, Hashable {
    public private(set) var entries: [(key: String, value: JSONValue)] = []
    private var index: [String: Int]?
    /// Up to this many keys a lookup scans the entries (short keys compare
    /// faster than they hash; a process entry has 26 keys).
    private static let indexThreshold = 32

    public init() {}

    /// An empty object with room for `capacity` entries.
    init(capacity: Int) { entries.reserveCapacity(capacity) }

    public init(_ pairs: [(String, JSONValue)]) {
        entries.reserveCapacity(pairs.count)
        for (k, v) in pairs { self[k] = v }
    }

    /// Appends without checking for an existing key: only for keys known to be new.
    mutating func appendNew(_ key: String, _ value: JSONValue) {
        if index != nil { index![key] = entries.count }
        entries.append((key, value))
        if index == nil && entries.count > Self.indexThreshold { buildIndex() }
    }

    private mutating func buildIndex() {
        var i: [String: Int] = [:]
        i.reserveCapacity(entries.count * 2)
        for (n, e) in entries.enumerated() { i[e.key] = n }
        index = i
    }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        for (n, e) in entries.enumerated() where e.key == key { return n }
        return nil
    }

    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { entries[$0].value } }
        set {
            if let newValue {
                if let n = position(of: key) {
                    entries[n].value = newValue
                } else {
                    appendNew(key, newValue)
                }
            } else if let n = position(of: key) {
                entries.remove(at: n)
                if index != nil { buildIndex() }
            }
        }
    }

    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        for (a, b) in zip(lhs.entries, rhs.entries) where a.key != b.key || a.value != b.value { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries.count)
        for e in entries {
            hasher.combine(e.key)
            hasher.combine(e.value)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral,
    ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .double(value) }
}
