/// Anchors and aliases are refused before a file is composed.
///
/// An alias repeats a node without copying its text: nine levels of nine
/// aliases make a 740-byte file stand for a billion nodes, and an alias used
/// as a mapping key makes the composer hash the expanded tree (it hung). No
/// policy, waiver or parameter file needs them, so the first anchor or alias
/// is an error at its line and column.
///
/// Yams composes (and so expands) before it hands back a node, and its event
/// parser is not public, so this is a scanner of our own: it follows libyaml's
/// tokenizer (`scanner.c`: where a token may start, how plain, quoted and block
/// scalars end) only as far as it must to know where an `&` or `*` starts a
/// token and where it is text. It is linear in the input and expands nothing.
/// What it cannot tokenize it leaves to the composer, which reports the syntax
/// error. When written it gave libyaml's answer (position of the first anchor
/// or alias, or none) on about 9,000 mutated policy files; `YAMLAliasesTests`
/// keeps the cases that decided its rules.
enum YAMLAliases {
    /// (line, column, message) of the first anchor or alias, 1-based; nil when there is none
    /// (or when the text does not tokenize: the composer then reports the syntax error).
    static func firstProblem(_ bytes: [UInt8]) -> (line: Int, column: Int, message: String)? {
        // Policy files are checked as valid UTF-8 first; anything else is left to the composer.
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        var scanner = Scanner(Array(text.unicodeScalars))
        guard let token = scanner.firstAnchorOrAlias() else { return nil }
        let message =
            token.isAlias
            ? "YAML alias '*\(token.name)' is not allowed (aliases can expand without bound); write the value out"
            : "YAML anchor '&\(token.name)' is not allowed (anchors and aliases can expand without bound); write the value out"
        return (token.line, token.column, message)
    }

    struct Token {
        var isAlias: Bool
        var name: String
        var line: Int
        var column: Int
    }

    /// libyaml's tokenizer, reduced to what decides whether `&`/`*` starts a token.
    struct Scanner {
        let s: [Unicode.Scalar]
        var i = 0
        /// 1-based line of `s[i]`, and the index where that line starts.
        var line = 1
        var lineStart = 0
        /// Depth of `[`/`{` nesting (flow context when > 0).
        var flow = 0
        /// libyaml's `parser->indent` stack: columns of the open block collections (-1 at the top).
        var indents: [Int] = []
        var indent = -1

        init(_ s: [Unicode.Scalar]) {
            self.s = s
            if s.first == "\u{FEFF}" { i = 1; lineStart = 1 }
        }

        var column: Int { i - lineStart }
        func at(_ k: Int) -> Unicode.Scalar? { k < s.count ? s[k] : nil }
        func isBreak(_ c: Unicode.Scalar?) -> Bool { c == "\n" || c == "\r" }
        func isBlank(_ c: Unicode.Scalar?) -> Bool { c == " " || c == "\t" }
        /// Blank, break or end of input (libyaml's IS_BLANKZ).
        func isBlankZ(_ c: Unicode.Scalar?) -> Bool { c == nil || isBlank(c) || isBreak(c) }
        func isFlowIndicator(_ c: Unicode.Scalar?) -> Bool {
            c == "," || c == "[" || c == "]" || c == "{" || c == "}"
        }

        /// Consumes one line break (`\n` or `\r\n`).
        mutating func consumeBreak() {
            if s[i] == "\r", at(i + 1) == "\n" { i += 1 }
            i += 1
            line += 1
            lineStart = i
        }

        mutating func rollIndent(_ column: Int) {
            guard flow == 0, indent < column else { return }
            indents.append(indent)
            indent = column
        }

        mutating func unrollIndent(_ column: Int) {
            guard flow == 0 else { return }
            while indent > column, let previous = indents.popLast() { indent = previous }
        }

        /// At column 0: `---` or `...` followed by a blank or the end.
        func atDocumentMarker() -> Bool {
            guard column == 0, i + 2 < s.count else { return false }
            let c = s[i]
            guard (c == "-" || c == "."), s[i + 1] == c, s[i + 2] == c else { return false }
            return isBlankZ(at(i + 3))
        }

        /// Skips blanks, comments and line breaks up to the next token (libyaml's `scan_to_next_token`).
        mutating func skipToNextToken() {
            while i < s.count {
                if isBlank(s[i]) {
                    i += 1
                } else if s[i] == "#" {
                    while i < s.count, !isBreak(s[i]) { i += 1 }
                } else if isBreak(s[i]) {
                    consumeBreak()
                } else {
                    return
                }
            }
        }

        mutating func firstAnchorOrAlias() -> Token? {
            // A node's properties may be a tag then an anchor: libyaml locates the node at the tag.
            var tagStart: (line: Int, column: Int)?
            while true {
                let previousTag = tagStart
                tagStart = nil
                skipToNextToken()
                guard i < s.count else { return nil }
                unrollIndent(column)
                let c = s[i], next = at(i + 1), start = i, startColumn = column
                if column == 0, c == "%" {  // directive: the rest of the line
                    while i < s.count, !isBreak(s[i]) { i += 1 }
                } else if atDocumentMarker() {
                    unrollIndent(-1)
                    i += 3
                } else if c == "[" || c == "{" {
                    flow += 1
                    i += 1
                } else if c == "]" || c == "}" {
                    flow = max(0, flow - 1)
                    i += 1
                } else if c == "," {
                    i += 1
                } else if c == "-", isBlankZ(next) {
                    rollIndent(startColumn)
                    i += 1
                } else if c == "?", flow > 0 || isBlankZ(next) {
                    rollIndent(startColumn)
                    i += 1
                } else if c == ":", flow > 0 || isBlankZ(next) {
                    i += 1
                } else if c == "*" || c == "&" {
                    i += 1
                    var name = ""
                    while i < s.count, !isBlankZ(s[i]), !isFlowIndicator(s[i]) {
                        name.unicodeScalars.append(s[i])
                        i += 1
                    }
                    let here: (line: Int, column: Int) = (line, startColumn + 1)
                    let at = c == "&" ? previousTag ?? here : here
                    return Token(isAlias: c == "*", name: name, line: at.line, column: at.column)
                } else if c == "!" {  // tag
                    tagStart = (line, startColumn + 1)
                    while i < s.count, !isBlankZ(s[i]), !(flow > 0 && isFlowIndicator(s[i])) { i += 1 }
                } else if flow == 0, c == "|" || c == ">" {
                    guard scanBlockScalar() else { return nil }
                } else if c == "'" || c == "\"" {
                    let startLine = line
                    guard scanQuoted(double: c == "\"") else { return nil }
                    if line == startLine { keyCheck(startColumn) }
                } else if c == "@" || c == "`" {
                    return nil  // reserved indicators: a syntax error the composer reports
                } else {
                    let startLine = line
                    let endedAtColon = scanPlain()
                    if endedAtColon, line == startLine { rollIndent(startColumn) }
                }
                if i == start { return nil }  // no progress: leave it to the composer
            }
        }

        /// After a quoted scalar: `:` next on the line makes it a simple key.
        mutating func keyCheck(_ startColumn: Int) {
            var k = i
            while k < s.count, isBlank(s[k]) { k += 1 }
            if at(k) == ":", flow > 0 || isBlankZ(at(k + 1)) { rollIndent(startColumn) }
        }

        /// A single- or double-quoted scalar, which may span lines; false when it is not closed.
        mutating func scanQuoted(double: Bool) -> Bool {
            let quote = s[i]
            i += 1
            while i < s.count {
                let c = s[i]
                if isBreak(c) {
                    consumeBreak()
                } else if double, c == "\\" {
                    i += 1
                    if i < s.count, isBreak(s[i]) { consumeBreak() } else { i += 1 }
                } else if c == quote {
                    if !double, at(i + 1) == "'" {
                        i += 2
                    } else {
                        i += 1
                        return true
                    }
                } else {
                    i += 1
                }
            }
            return false
        }

        /// A plain scalar (libyaml's `scan_plain_scalar`): it may go on over following lines
        /// (more indented than the enclosing block collection, or anywhere inside a flow
        /// collection), where `*` and `&` are text. Returns true when it ended at a `:`
        /// indicator (a simple key).
        mutating func scanPlain() -> Bool {
            let minIndent = indent + 1
            while true {
                if atDocumentMarker() { return false }
                if i < s.count, s[i] == "#" { return false }
                while i < s.count, !isBlankZ(s[i]) {
                    let c = s[i], next = at(i + 1)
                    if c == ":", isBlankZ(next) || (flow > 0 && isFlowIndicator(next)) { return true }
                    if flow > 0, isFlowIndicator(c) { return false }
                    i += 1
                }
                guard i < s.count, isBlank(s[i]) || isBreak(s[i]) else { return false }
                var crossedLine = false
                while i < s.count, isBlank(s[i]) || isBreak(s[i]) {
                    if isBreak(s[i]) {
                        consumeBreak()
                        crossedLine = true
                    } else {
                        i += 1
                    }
                }
                if flow == 0, crossedLine, column < minIndent { return false }
                if i >= s.count { return false }
            }
        }

        /// A literal (`|`) or folded (`>`) block scalar (libyaml's `scan_block_scalar`):
        /// its header, then every line more indented than the block it belongs to.
        /// False when the header is not one libyaml accepts.
        mutating func scanBlockScalar() -> Bool {
            i += 1
            var increment = 0
            for _ in 0..<2 {  // chomping indicator and indentation indicator, in either order
                guard i < s.count else { break }
                if s[i] == "+" || s[i] == "-" {
                    i += 1
                } else if (0x31...0x39).contains(s[i].value) {
                    increment = Int(s[i].value - 0x30)
                    i += 1
                }
            }
            while i < s.count, isBlank(s[i]) { i += 1 }
            if i < s.count, s[i] == "#" { while i < s.count, !isBreak(s[i]) { i += 1 } }
            guard i >= s.count || isBreak(s[i]) else { return false }
            if i < s.count { consumeBreak() }
            var blockIndent = increment > 0 ? (indent >= 0 ? indent + increment : increment) : 0
            // Leading empty lines; with no indentation indicator the first content line sets it.
            var maxIndent = 0
            while true {
                while i < s.count, blockIndent == 0 || column < blockIndent, s[i] == " " { i += 1 }
                maxIndent = max(maxIndent, column)
                guard i < s.count, isBreak(s[i]) else { break }
                consumeBreak()
            }
            if blockIndent == 0 { blockIndent = max(maxIndent, indent + 1, 1) }
            while i < s.count, column == blockIndent {
                while i < s.count, !isBreak(s[i]) { i += 1 }
                guard i < s.count else { break }
                consumeBreak()
                while true {
                    while i < s.count, column < blockIndent, s[i] == " " { i += 1 }
                    guard i < s.count, isBreak(s[i]) else { break }
                    consumeBreak()
                }
            }
            return true
        }
    }
}
