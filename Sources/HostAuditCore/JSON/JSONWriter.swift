/// Serialises a `JSONValue`. Output is deterministic: object keys keep their
/// order, integers never gain a fraction, and every control character in a
/// string is escaped (host-supplied strings may contain anything).
public struct JSONWriter: Sendable {
    public var pretty: Bool
    public var indent: String

    public init(pretty: Bool = true, indent: String = "  ") {
        self.pretty = pretty
        self.indent = indent
    }

    public func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// The serialised document as UTF-8 bytes (what is written to a file or stdout).
    public func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(value, into: &out, depth: 0)
        return out
    }

    private func write(_ value: JSONValue, into out: inout [UInt8], depth: Int) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: Self.format(d).utf8)
        case .string(let s): Self.appendQuoted(s, to: &out)
        case .array(let items):
            if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, depth + 1)
                write(item, into: &out, depth: depth + 1)
            }
            newline(&out, depth)
            out.append(UInt8(ascii: "]"))
        case .object(let obj):
            if obj.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            for (n, entry) in obj.entries.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, depth + 1)
                Self.appendQuoted(entry.key, to: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                write(entry.value, into: &out, depth: depth + 1)
            }
            newline(&out, depth)
            out.append(UInt8(ascii: "}"))
        }
    }

    private func newline(_ out: inout [UInt8], _ depth: Int) {
        guard pretty else { return }
        out.append(UInt8(ascii: "\n"))
        for _ in 0..<depth { out.append(contentsOf: indent.utf8) }
    }

    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    public static func appendQuoted(_ s: String, to out: inout String) {
        var bytes: [UInt8] = []
        appendQuoted(s, to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Fast path: printable ASCII without quote or backslash is copied as is.
        var plain = true
        for b in s.utf8 where b < 0x20 || b >= 0x7F || b == 0x22 || b == 0x5C {
            plain = false
            break
        }
        if plain {
            out.append(contentsOf: s.utf8)
        } else {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out.append(contentsOf: "\\\"".utf8)
                case "\\": out.append(contentsOf: "\\\\".utf8)
                case "\n": out.append(contentsOf: "\\n".utf8)
                case "\r": out.append(contentsOf: "\\r".utf8)
                case "\t": out.append(contentsOf: "\\t".utf8)
                case "\u{08}": out.append(contentsOf: "\\b".utf8)
                case "\u{0C}": out.append(contentsOf: "\\f".utf8)
                default:
                    let v = scalar.value
                    // Controls, and invisible or reordering characters (bidi overrides,
                    // zero-width, BOM) are escaped: the value stays exact, and neither a
                    // terminal showing the JSON nor a parser that strips U+FEFF alters it.
                    if v < 0x20 || (0x7F...0x9F).contains(v) || (0x200B...0x200F).contains(v)
                        || (0x2028...0x202E).contains(v) || (0x2060...0x2069).contains(v) || v == 0xFEFF
                    {
                        out.append(contentsOf: ("\\u" + hex4(v)).utf8)
                    } else if RawName.range.contains(v) {
                        // A file name's byte that is not UTF-8 (RawName): a surrogate pair.
                        let w = v - 0x10000
                        out.append(contentsOf: ("\\u" + hex4(0xD800 + (w >> 10)) + "\\u" + hex4(0xDC00 + (w & 0x3FF))).utf8)
                    } else {
                        out.append(contentsOf: String(scalar).utf8)
                    }
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func hex4(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - h.count)) + h
    }
}
