/// Makes host-supplied text safe inside HTML and SVG.
///
/// Every string that may come from the host (names, command lines, rule
/// comments, file contents) goes through `text`: first the terminal escape,
/// so control characters, bidirectional overrides, zero-width characters and
/// invalid UTF-8 become visible (`\x1b`, `\u{202e}`, `\u{fffd}`), then the
/// five characters HTML and XML give meaning to become entities. The result
/// is safe as element content and inside a double- or single-quoted
/// attribute, in HTML and in SVG alike. Overlong strings are cut (a hostile
/// host can make a string as long as it likes) and say how much was cut.
package enum HTMLText {
    /// Longest host string shown in full (in Unicode scalars).
    static let maxScalars = 4096

    package static func text(_ s: String, limit: Int = maxScalars) -> String {
        var scalars = s.unicodeScalars
        var cut = 0
        if scalars.count > limit {
            cut = scalars.count - limit
            scalars = String.UnicodeScalarView(scalars.prefix(limit))
        }
        var out = entities(TerminalText.escape(String(scalars)))
        if cut > 0 { out += "… (\(cut) more characters)" }
        return out
    }

    /// Entities for `& < > " '` only (for text that is already known to be clean).
    static func entities(_ s: String) -> String {
        ScalarEscaping.replacing(s) { ScalarEscaping.markupEntity($0, apostrophe: "&#39;") }
    }

    /// An `id`/`class` token made from host or policy text: `[a-z0-9-]` only, bounded.
    static func token(_ s: String) -> String {
        var out = ""
        for u in s.lowercased().unicodeScalars.prefix(120) {
            if ("a"..."z").contains(u) || ("0"..."9").contains(u) || u == "-" || u == "_" {
                out.unicodeScalars.append(u)
            } else {
                out += "-"
            }
        }
        return out.isEmpty ? "x" : out
    }

    /// A short form for a narrow box (SVG text does not wrap): cut to `n`
    /// scalars with an ellipsis, then escaped.
    package static func short(_ s: String, _ n: Int) -> String {
        let e = TerminalText.escape(s)
        if e.unicodeScalars.count <= n { return entities(e) }
        return entities(String(String.UnicodeScalarView(e.unicodeScalars.prefix(max(1, n - 1))))) + "…"
    }
}
