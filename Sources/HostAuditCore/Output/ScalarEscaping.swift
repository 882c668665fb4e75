/// The one loop behind the escapers of the output formats: each format names
/// its own grammar (which scalars it replaces, and by what), and this writes
/// the text.
///
/// The grammars are kept apart on purpose. HTML and XML (JUnit) agree on four
/// of the five markup entities; the apostrophe is `&#39;` in the HTML report
/// and `&apos;` in JUnit (both valid in both, but the outputs are fixed), and
/// XML 1.0 cannot carry C0 control characters at all, so JUnit writes them as
/// visible `\xNN` escapes while HTML text has been terminal-escaped before.
/// Prometheus label values are a different grammar altogether (backslash
/// escapes for `\`, `"` and newline).
enum ScalarEscaping {
    /// `s` with every scalar for which `replacement` gives a string replaced by it.
    @inline(__always)
    static func replacing(_ s: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            if let r = replacement(u) { out += r } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    /// The entity for `& < > "`, and `apostrophe` for `'`; nil for any other scalar.
    @inline(__always)
    static func markupEntity(_ u: Unicode.Scalar, apostrophe: String) -> String? {
        switch u {
        case "&": "&amp;"
        case "<": "&lt;"
        case ">": "&gt;"
        case "\"": "&quot;"
        case "'": apostrophe
        default: nil
        }
    }
}
