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
        var out = ""
        out.reserveCapacity(256)
        write(value, into: &out, depth: 0)
        return out
    }

    private func write(_ value: JSONValue, into out: inout String, depth: Int) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += Self.format(d)
        case .string(let s): Self.appendQuoted(s, to: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (n, item) in items.enumerated() {
                if n > 0 { out += "," }
                newline(&out, depth + 1)
                write(item, into: &out, depth: depth + 1)
            }
            newline(&out, depth)
            out += "]"
        case .object(let obj):
            if obj.isEmpty { out += "{}"; return }
            out += "{"
            for (n, entry) in obj.entries.enumerated() {
                if n > 0 { out += "," }
                newline(&out, depth + 1)
                Self.appendQuoted(entry.key, to: &out)
                out += pretty ? ": " : ":"
                write(entry.value, into: &out, depth: depth + 1)
            }
            newline(&out, depth)
            out += "}"
        }
    }

    private func newline(_ out: inout String, _ depth: Int) {
        guard pretty else { return }
        out += "\n"
        for _ in 0..<depth { out += indent }
    }

    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    public static func appendQuoted(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                let v = scalar.value
                // Controls, and invisible or reordering characters (bidi overrides,
                // zero-width, BOM) are escaped: the value stays exact, and neither a
                // terminal showing the JSON nor a parser that strips U+FEFF alters it.
                if v < 0x20 || (0x7F...0x9F).contains(v) || (0x200B...0x200F).contains(v)
                    || (0x2028...0x202E).contains(v) || (0x2060...0x2069).contains(v) || v == 0xFEFF
                {
                    out += "\\u" + hex4(v)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    private static func hex4(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - h.count)) + h
    }
}
