import Foundation
import Synchronization

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
        append(value, to: &out)
        return out
    }

    /// The serialised document followed by a newline (a file's or stdout's
    /// contents), without copying a large document to add the newline.
    public func document(_ value: JSONValue) -> [UInt8] {
        var out = bytes(value)
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// Appends the serialised value, as a top-level value, to `out` (for
    /// documents written piece by piece).
    public func append(_ value: JSONValue, to out: inout [UInt8]) {
        var state = State(pretty: pretty, indent: Array(indent.utf8))
        state.write(value, into: &out, depth: 0)
    }

    /// The writer's per-call state: the indentation as bytes, and a cache of
    /// newline-plus-indent runs per depth (appended once per value). Also
    /// `JSONByteEmitter`'s, so both write the same bytes.
    struct State {
        let pretty: Bool
        let indent: [UInt8]
        var breaks: [[UInt8]] = []

        init(pretty: Bool, indent: [UInt8]) {
            self.pretty = pretty
            self.indent = indent
        }

        mutating func write(_ value: JSONValue, into out: inout [UInt8], depth: Int) {
            switch value {
            case .null: out.append(contentsOf: "null".utf8)
            case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
            case .int(let i): JSONWriter.appendInteger(i, to: &out)
            case .double(let d): out.append(contentsOf: JSONWriter.format(d).utf8)
            case .string(let s): JSONWriter.appendQuoted(s, to: &out)
            case .array(let items) where items.count >= JSONWriter.parallelArrayThreshold && JSONWriter.workers > 1:
                // A long array (the process list): its items are written in
                // shares on several threads and joined in order, byte for byte
                // what the loop below writes.
                out.append(UInt8(ascii: "["))
                let shares = JSONWriter.workers * 4
                let size = (items.count + shares - 1) / shares
                // Each share's bytes are handed in under the lock once.
                let parts = Mutex([[UInt8]](repeating: [], count: shares))
                let pretty = self.pretty, indent = self.indent
                DispatchQueue.concurrentPerform(iterations: shares) { k in
                    var state = State(pretty: pretty, indent: indent)
                    var part: [UInt8] = []
                    let lower = min(k * size, items.count), upper = min(lower + size, items.count)
                    for n in lower..<upper {
                        if n > 0 { part.append(UInt8(ascii: ",")) }
                        state.newline(&part, depth + 1)
                        state.write(items[n], into: &part, depth: depth + 1)
                    }
                    parts.withLock { $0[k] = part }
                }
                let joined = parts.withLock { $0 }
                out.reserveCapacity(out.count + joined.reduce(0) { $0 + $1.count } + 64)
                for p in joined { out.append(contentsOf: p) }
                newline(&out, depth)
                out.append(UInt8(ascii: "]"))
            case .array(let items):
                if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
                out.append(UInt8(ascii: "["))
                var first = true
                for item in items {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    newline(&out, depth + 1)
                    write(item, into: &out, depth: depth + 1)
                }
                newline(&out, depth)
                out.append(UInt8(ascii: "]"))
            case .object(let obj):
                if obj.isEmpty { out.append(contentsOf: "{}".utf8); return }
                out.append(UInt8(ascii: "{"))
                var first = true
                for entry in obj.entries {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    newline(&out, depth + 1)
                    JSONWriter.appendQuoted(entry.key, to: &out)
                    out.append(UInt8(ascii: ":"))
                    if pretty { out.append(UInt8(ascii: " ")) }
                    write(entry.value, into: &out, depth: depth + 1)
                }
                newline(&out, depth)
                out.append(UInt8(ascii: "}"))
            }
        }

        mutating func newline(_ out: inout [UInt8], _ depth: Int) {
            guard pretty else { return }
            while breaks.count <= depth {
                var b: [UInt8] = [UInt8(ascii: "\n")]
                for _ in 0..<breaks.count { b.append(contentsOf: indent) }
                breaks.append(b)
            }
            out.append(contentsOf: breaks[depth])
        }
    }

    /// Arrays at least this long are written on several threads.
    static let parallelArrayThreshold = 2048
    static let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))

    /// Decimal digits of an integer (what `String(i)` gives), without a String.
    static func appendInteger(_ i: Int64, to out: inout [UInt8]) {
        if i >= 0 && i < 10 {
            out.append(UInt8(48 + i))
            return
        }
        var v = i.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while v > 0 {
                d[23 - n] = UInt8(48 + v % 10)
                v /= 10
                n += 1
            }
            if i < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[(24 - n)...]))
        }
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
        let plain: Bool? = s.utf8.withContiguousStorageIfAvailable { buf in
            for b in buf where b < 0x20 || b >= 0x7F || b == 0x22 || b == 0x5C { return false }
            out.append(contentsOf: buf)
            return true
        }
        if plain == true {
            // copied above
        } else if plain == nil && !s.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F || $0 == 0x22 || $0 == 0x5C }) {
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
