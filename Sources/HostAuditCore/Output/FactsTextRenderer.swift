/// Renders a facts document as indented `key: value` text.
///
/// The text mirrors the JSON tree one to one, so the names a reader sees are
/// exactly the fact paths a policy rule reads (`resolver.resolv_conf.options.ndots`).
/// Every string is passed through `TerminalText.escape`.
public struct FactsTextRenderer: Sendable {
    public init() {}

    public func render(_ value: JSONValue) -> String {
        var out = ""
        guard case .object(let obj) = value else {
            return scalar(value) + "\n"
        }
        for (key, v) in obj.entries where key != "schema" {
            emit(key: key, value: v, depth: 0, into: &out)
        }
        return out
    }

    private func emit(key: String, value: JSONValue, depth: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: depth)
        switch value {
        case .object(let o) where !o.isEmpty:
            out += "\(pad)\(TerminalText.escape(key)):\n"
            for (k, v) in o.entries { emit(key: k, value: v, depth: depth + 1, into: &out) }
        case .array(let items) where !items.isEmpty:
            out += "\(pad)\(TerminalText.escape(key)):\n"
            for item in items { emitItem(item, depth: depth + 1, into: &out) }
        default:
            out += "\(pad)\(TerminalText.escape(key)): \(scalar(value))\n"
        }
    }

    private func emitItem(_ item: JSONValue, depth: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: depth)
        switch item {
        case .object(let o) where !o.isEmpty:
            // First key on the dash line, the rest aligned under it (YAML style).
            for (n, entry) in o.entries.enumerated() {
                var sub = ""
                emit(key: entry.key, value: entry.value, depth: depth + 1, into: &sub)
                if n == 0 {
                    out += pad + "- " + sub.dropFirst(pad.count + 2)
                } else {
                    out += sub
                }
            }
        case .array(let a) where !a.isEmpty:
            out += "\(pad)-\n"
            for x in a { emitItem(x, depth: depth + 1, into: &out) }
        default:
            out += "\(pad)- \(scalar(item))\n"
        }
    }

    private func scalar(_ v: JSONValue) -> String {
        switch v {
        case .null: return "-"
        case .bool(let b): return b ? "yes" : "no"
        case .int(let i): return String(i)
        case .double(let d): return JSONWriter.format(d)
        case .string(let s): return s.isEmpty ? "\"\"" : TerminalText.escape(s)
        case .array: return "[]"
        case .object: return "{}"
        }
    }
}
