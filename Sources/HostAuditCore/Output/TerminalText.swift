/// Makes host-supplied text safe to print on a terminal.
///
/// Process names, command lines and file contents come from a host that may be
/// hostile: an escape sequence in a process name could rewrite the screen or
/// hide a line. Everything that is not printable is shown as an escape, and
/// backslash itself is doubled so the result is unambiguous.
public enum TerminalText {
    public static func escape(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: needsEscape) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for scalar in s.unicodeScalars {
            if needsEscape(scalar) {
                switch scalar {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    let v = scalar.value
                    if v < 0x100 {
                        let h = String(v, radix: 16)
                        out += "\\x" + (h.count < 2 ? "0" + h : h)
                    } else {
                        out += "\\u{" + String(v, radix: 16) + "}"
                    }
                }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether `scalar` must not reach a terminal raw: C0 and C1 controls, DEL,
    /// the replacement character standing for invalid UTF-8, bidirectional
    /// overrides and isolates (which reorder what a reader sees), zero-width
    /// characters, line/paragraph separators, and backslash (the escape itself).
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        switch v {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x5C: return true
        case 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2069, 0xFEFF, 0xFFFD: return true
        default: return false
        }
    }

    /// Decodes bytes read from the host as UTF-8, replacing invalid sequences
    /// with U+FFFD (which `escape` then shows as `\u{fffd}`).
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
