/// Encodes any `Encodable` into a `JSONValue`.
///
/// Unlike Foundation's `JSONEncoder` it keeps declaration order (so a
/// `schema` field declared first is printed first), writes `null` for a
/// `nil` optional instead of dropping the key (absent knowledge is `null`,
/// never a missing field), and converts camelCase keys to snake_case.
package struct JSONValueEncoder: Sendable {
    var convertKeysToSnakeCase: Bool
    /// Use a type's `JSONValueConvertible` tree instead of its `Encodable`
    /// conformance (same result, much faster). False only in the tests that
    /// compare the two.
    package var usesDirectTrees: Bool = true

    package init(convertKeysToSnakeCase: Bool = true) {
        self.convertKeysToSnakeCase = convertKeysToSnakeCase
    }

    package func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        if convertKeysToSnakeCase && usesDirectTrees, let direct = value as? any JSONValueConvertible {
            return direct.jsonValue
        }
        let node = EncodingNode()
        let context = EncodingContext(options: self)
        try EncodingNode.encode(value, into: node, codingPath: [], options: context)
        return node.build()
    }

    /// `encode` for values whose encoding cannot fail (plain structs of
    /// strings, numbers and optionals). A failure here is a programming error.
    package func encodeValue<T: Encodable>(_ value: T) -> JSONValue {
        do { return try encode(value) } catch { return .object(JSONObject([("encoding_error", .string("\(error)"))])) }
    }

    package static func snakeCase(_ key: String) -> String {
        guard key.contains(where: { $0.isUppercase }) else { return key }
        var out = ""
        let chars = Array(key)
        for (i, c) in chars.enumerated() {
            if c.isUppercase {
                let prevIsLowerOrDigit = i > 0 && (chars[i - 1].isLowercase || chars[i - 1].isNumber)
                let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
                let prevIsUpper = i > 0 && chars[i - 1].isUppercase
                if i > 0 && (prevIsLowerOrDigit || (prevIsUpper && nextIsLower)) { out += "_" }
                out += c.lowercased()
            } else {
                out.append(c)
            }
        }
        return out
    }
}

/// A type that builds its own `JSONValue`: exactly the tree its `Encodable`
/// conformance gives through `JSONValueEncoder` with snake_case keys, built
/// without the encoder's per-field overhead (large fact lists).
protocol JSONValueConvertible {
    var jsonValue: JSONValue { get }
}

/// Values that become a JSON scalar directly.
protocol JSONScalarEncodable { var jsonScalar: JSONValue { get } }
extension String: JSONScalarEncodable { var jsonScalar: JSONValue { .string(self) } }
extension Substring: JSONScalarEncodable { var jsonScalar: JSONValue { .string(String(self)) } }
extension Bool: JSONScalarEncodable { var jsonScalar: JSONValue { .bool(self) } }
extension Int: JSONScalarEncodable { var jsonScalar: JSONValue { .int(Int64(self)) } }
extension Int8: JSONScalarEncodable { var jsonScalar: JSONValue { .int(Int64(self)) } }
extension Int16: JSONScalarEncodable { var jsonScalar: JSONValue { .int(Int64(self)) } }
extension Int32: JSONScalarEncodable { var jsonScalar: JSONValue { .int(Int64(self)) } }
extension Int64: JSONScalarEncodable { var jsonScalar: JSONValue { .int(self) } }
extension UInt: JSONScalarEncodable { var jsonScalar: JSONValue { UInt64(self).jsonScalar } }
extension UInt8: JSONScalarEncodable { var jsonScalar: JSONValue { .int(Int64(self)) } }
extension UInt16: JSONScalarEncodable { var jsonScalar: JSONValue { .int(Int64(self)) } }
extension UInt32: JSONScalarEncodable { var jsonScalar: JSONValue { .int(Int64(self)) } }
extension UInt64: JSONScalarEncodable {
    // Values above Int64.max (e.g. a full 64-bit counter) become a double rather than wrapping.
    var jsonScalar: JSONValue { self <= UInt64(Int64.max) ? .int(Int64(self)) : .double(Double(self)) }
}
extension Double: JSONScalarEncodable { var jsonScalar: JSONValue { isFinite ? .double(self) : .null } }
extension Float: JSONScalarEncodable { var jsonScalar: JSONValue { Double(self).jsonScalar } }

extension JSONValue: Encodable {
    public func encode(to encoder: any Encoder) throws {
        // Only reached through a foreign encoder; JSONValueEncoder inserts the value as is.
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o):
            var dict: [String: JSONValue] = [:]
            for (k, v) in o.entries { dict[k] = v }
            try c.encode(dict)
        }
    }
}

/// Per-call state: the options and a cache of converted key names (the same
/// few dozen keys repeat for every element of a large array).
final class EncodingContext {
    let convert: Bool
    /// `JSONValueConvertible` trees may be used (snake_case keys and not disabled).
    let direct: Bool
    private var names: [String: String] = [:]

    init(options: JSONValueEncoder) {
        convert = options.convertKeysToSnakeCase
        direct = options.convertKeysToSnakeCase && options.usesDirectTrees
    }

    func name(_ key: String) -> String {
        guard convert else { return key }
        if let n = names[key] { return n }
        let n = JSONValueEncoder.snakeCase(key)
        names[key] = n
        return n
    }
}

final class EncodingNode {
    enum Kind { case unset, scalar(JSONValue), object, array }
    var kind: Kind = .unset
    var children: [(key: String, node: EncodingNode)] = []
    var items: [EncodingNode] = []

    func child(_ key: String) -> EncodingNode {
        // Each key is written once per container (synthesised Codable does so;
        // hand-written encode(to:) in this package must too).
        assert(!children.contains { $0.key == key }, "key \(key) encoded twice")
        let c = EncodingNode()
        children.append((key, c))
        return c
    }

    func build() -> JSONValue {
        switch kind {
        case .unset: return .object(JSONObject())
        case .scalar(let v): return v
        case .object:
            var o = JSONObject()
            for c in children { o.appendNew(c.key, c.node.build()) }
            return .object(o)
        case .array:
            var a: [JSONValue] = []
            a.reserveCapacity(items.count)
            for i in items { a.append(i.build()) }
            return .array(a)
        }
    }

    static func encode<T: Encodable>(
        _ value: T, into node: EncodingNode, codingPath: [any CodingKey], options: EncodingContext
    ) throws {
        if let s = value as? any JSONScalarEncodable {
            node.kind = .scalar(s.jsonScalar)
        } else if let v = value as? JSONValue {
            node.kind = .scalar(v)
        } else if options.direct, let d = value as? any JSONValueConvertible {
            node.kind = .scalar(d.jsonValue)
        } else {
            try value.encode(to: NodeEncoder(node: node, codingPath: codingPath, options: options))
        }
    }
}

struct NodeEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    let options: EncodingContext
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .unset = node.kind { node.kind = .object }
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath, options: options))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .unset = node.kind { node.kind = .array }
        return UnkeyedNodeContainer(node: node, codingPath: codingPath, options: options)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath, options: options)
    }
}

struct IndexKey: CodingKey {
    var stringValue: String { String(intValue!) }
    var intValue: Int?
    init(_ i: Int) { intValue = i }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    let options: EncodingContext

    private func name(_ key: Key) -> String { options.name(key.stringValue) }

    private func put<T: Encodable>(_ value: T, _ key: Key) throws {
        try EncodingNode.encode(value, into: node.child(name(key)), codingPath: codingPath + [key], options: options)
    }

    private func putNil(_ key: Key) { node.child(name(key)).kind = .scalar(.null) }

    mutating func encodeNil(forKey key: Key) throws { putNil(key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: String, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try put(value, key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try put(value, key) }

    // nil optionals become explicit nulls instead of vanishing.
    private func putOptional<T: Encodable>(_ value: T?, _ key: Key) throws {
        if let value { try put(value, key) } else { putNil(key) }
    }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try putOptional(value, key) }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = node.child(name(key))
        child.kind = .object
        return KeyedEncodingContainer(
            KeyedNodeContainer<NestedKey>(node: child, codingPath: codingPath + [key], options: options))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.child(name(key))
        child.kind = .array
        return UnkeyedNodeContainer(node: child, codingPath: codingPath + [key], options: options)
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: node.child("super"), codingPath: codingPath, options: options)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: node.child(name(key)), codingPath: codingPath + [key], options: options)
    }
}

struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    let options: EncodingContext
    var count: Int { node.items.count }

    private func next() -> EncodingNode {
        let n = EncodingNode()
        node.items.append(n)
        return n
    }

    mutating func encodeNil() throws { next().kind = .scalar(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let key = IndexKey(node.items.count)
        try EncodingNode.encode(value, into: next(), codingPath: codingPath + [key], options: options)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let n = next()
        n.kind = .object
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: n, codingPath: codingPath, options: options))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let n = next()
        n.kind = .array
        return UnkeyedNodeContainer(node: n, codingPath: codingPath, options: options)
    }

    mutating func superEncoder() -> any Encoder { NodeEncoder(node: next(), codingPath: codingPath, options: options) }
}

struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    let options: EncodingContext

    mutating func encodeNil() throws { node.kind = .scalar(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try EncodingNode.encode(value, into: node, codingPath: codingPath, options: options)
    }
}
