/// Makes host-supplied text safe to print on a terminal.
///
/// Process names, command lines and file contents come from a host that may be
/// hostile: an escape sequence in a process name could rewrite the screen or
/// hide a line. Everything that is not printable is shown as an escape, and
/// backslash itself is doubled so the result is unambiguous.
package enum TerminalText {
    ///
    /// `keepingLayout`: for a whole rendered block at the output boundary (the
    /// renderers escape each host string, this catches any they missed):
    /// newlines and tabs stay, backslashes are not doubled (so text without
    /// control characters is unchanged byte for byte, e.g. `nft list ruleset`
    /// output), and with `allowingColour` the renderer's own SGR colour
    /// sequences (`ESC [ digits m`) stay too. Everything else `needsEscape`
    /// names is escaped exactly as in the default mode.
    package static func escape(_ s: String) -> String { escaping(s, keepingLayout: false, allowingColour: false) }

    /// `escape` for a whole rendered block (see `keepingLayout` above).
    package static func escapeBlock(_ s: String, allowingColour: Bool = false) -> String {
        escaping(s, keepingLayout: true, allowingColour: allowingColour)
    }

    static func escaping(_ s: String, keepingLayout: Bool, allowingColour: Bool) -> String {
        // In a block, U+FFFD (printable; it stands for invalid UTF-8 a renderer
        // already decoded) stays too, so JSON passes unchanged.
        func kept(_ scalar: Unicode.Scalar) -> Bool {
            keepingLayout && (scalar == "\n" || scalar == "\t" || scalar == "\\" || scalar == "\u{FFFD}")
        }
        guard s.unicodeScalars.contains(where: { needsEscape($0) && !kept($0) }) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        let scalars = Array(s.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            i += 1
            if allowingColour && scalar == "\u{1b}" && i < scalars.count && scalars[i] == "[" {
                var j = i + 1
                while j < scalars.count, ("0"..."9").contains(scalars[j]) || scalars[j] == ";" { j += 1 }
                if j < scalars.count, scalars[j] == "m" {
                    out.unicodeScalars.append(contentsOf: scalars[(i - 1)...j])
                    i = j + 1
                    continue
                }
            }
            if needsEscape(scalar) && !kept(scalar) {
                switch scalar {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    let v = scalar.value
                    if let x = RawName.byte(scalar) {
                        // A name's byte that is not UTF-8 (see RawName).
                        out += "\\x" + RawName.hex2(x)
                    } else if v < 0x100 {
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
    /// characters, line/paragraph separators, backslash (the escape itself),
    /// and the bytes of a file name that is not UTF-8 (`RawName`, shown `\xNN`).
    package static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        switch v {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x5C: return true
        case 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2069, 0xFEFF, 0xFFFD: return true
        case RawName.range: return true
        default: return false
        }
    }

    /// Decodes bytes read from the host as UTF-8, replacing invalid sequences
    /// with U+FFFD (which `escape` then shows as `\u{fffd}`).
    package static func decode(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
