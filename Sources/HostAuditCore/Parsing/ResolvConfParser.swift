/// Parses resolv.conf exactly as glibc's stub resolver does (resolv/res_init.c,
/// `res_vinit_1` and `res_setoptions`), and reports what glibc silently ignores.
///
/// glibc's rules, which this mirrors:
/// - A line is a comment only when its *first* byte is `#` or `;`.
/// - A keyword must start the line and be followed by a space or tab
///   (`nameserver\n`, ` nameserver 1.1.1.1`, `Nameserver …` are ignored).
/// - `nameserver`: the first word only; IPv4 via `inet_aton` (accepting
///   `127.1`, hex and octal parts), else IPv6 via `inet_pton` with an optional
///   `%scope`. Invalid addresses are skipped; only the first 3 valid ones are used.
/// - `domain` and `search` each replace the search list: the last line wins.
/// - `options`: words matched by *prefix* (`rotatex` is `rotate`); numbers via
///   `atoi` and capped (ndots 15, timeout 30, attempts 5).
/// - `sortlist`: `addr[/mask]` or `addr[&mask]` with dotted masks (a `/24` is
///   read by inet_aton as the address 0.0.0.24); up to `;`.
/// - Lines end at `\n` only; a `\r` stays part of the last word. Lines stop at NUL.
package enum ResolvConfParser {
    package static func parse(_ text: String, path: String = "/etc/resolv.conf") -> ResolvConf {
        parse(Array(text.utf8), path: path)
    }

    package static func parse(_ bytes: [UInt8], path: String = "/etc/resolv.conf") -> ResolvConf {
        var out = ResolvConf()
        var problems = ProblemList(path: path)
        let split = ConfigLines.split(bytes)
        out.lineCount = split.lines.count
        out.binary = split.hasNUL
        if split.hasNUL {
            problems.add(
                line: split.firstNULLine, text: nil,
                "file contains NUL bytes (binary?); glibc reads each line only up to the first NUL")
        }

        var nameservers: [ResolvConf.Nameserver] = []
        var searchDirective: (keyword: String, line: Int, domains: [String], raw: ArraySlice<UInt8>)?
        var lastDomain: (value: String, line: Int)?
        var options = ResolvConf.Options()
        var sortlist: [ResolvConf.SortlistEntry] = []
        var comments: [ResolvConf.Comment] = []

        for (number, rawLine) in split.lines {
            let line = ConfigLines.cString(rawLine)
            let text = ConfigLines.text(line)
            if line.last == ConfigLines.cr {
                problems.add(
                    line: number, text: text,
                    "line ends in a carriage return (CRLF); glibc keeps the \\r as part of the last word")
            }
            if line.isEmpty { continue }
            if line.first == UInt8(ascii: "#") || line.first == UInt8(ascii: ";") {
                comments.append(.init(line: number, text: text))
                continue
            }
            if ConfigLines.isBlank(line) { continue }
            if let rest = keyword("domain", line) {
                let words = ConfigLines.words(rest)
                guard let first = words.first else {
                    problems.add(line: number, text: text, "domain without a value; ignored by glibc")
                    continue
                }
                lastDomain = (ConfigLines.text(first), number)
                searchDirective = ("domain", number, [ConfigLines.text(first)], first)
                if words.count > 1 {
                    problems.add(line: number, text: text, "domain takes one name; glibc ignores the rest of the line")
                }
                continue
            }
            if let rest = keyword("search", line) {
                let words = ConfigLines.words(rest)
                guard !words.isEmpty else {
                    problems.add(line: number, text: text, "search without a value; ignored by glibc")
                    continue
                }
                let domains = words.map(ConfigLines.text)
                searchDirective = ("search", number, domains, ConfigLines.trimmedLeading(rest))
                if let hash = domains.firstIndex(where: { $0.hasPrefix("#") || $0.hasPrefix(";") }) {
                    problems.add(
                        line: number, text: text,
                        "'\(domains[hash])' starts a comment only at the start of a line; glibc takes it and what follows as search domains")
                }
                continue
            }
            if let rest = keyword("nameserver", line) {
                parseNameserver(rest, line: number, text: text, into: &nameservers, problems: &problems)
                continue
            }
            if let rest = keyword("sortlist", line) {
                parseSortlist(rest, line: number, text: text, into: &sortlist, problems: &problems)
                continue
            }
            if let rest = keyword("options", line) {
                parseOptions(rest, line: number, into: &options, problems: &problems)
                continue
            }
            problems.add(line: number, text: text, unrecognisedLineReason(line))
        }

        for i in nameservers.indices { nameservers[i].used = i < ResolvConf.maxNameservers }
        if nameservers.count > ResolvConf.maxNameservers {
            for ns in nameservers.dropFirst(ResolvConf.maxNameservers) {
                problems.add(
                    line: ns.line, text: nil,
                    "nameserver \(ns.address) is never used: glibc queries only the first \(ResolvConf.maxNameservers) (MAXNS)")
            }
        }
        out.nameservers = nameservers
        out.ignoredNameservers = nameservers.dropFirst(ResolvConf.maxNameservers).map(\.address)

        if let s = searchDirective {
            let dropped = legacyDropped(s.domains, raw: s.raw)
            var note: String? = nil
            if !dropped.isEmpty {
                note =
                    "glibc 2.26 and later use all \(s.domains.count) domains; glibc before 2.26 used at most "
                    + "\(ResolvConf.legacyMaxSearchDomains) domains and \(ResolvConf.legacyMaxSearchChars) characters "
                    + "and would drop \(dropped.count)"
            }
            out.search = ResolvConf.SearchList(
                domains: s.domains, from: s.keyword, line: s.line, droppedByGlibcBefore226: dropped, note: note)
        } else {
            out.search = ResolvConf.SearchList(
                note: "no search or domain line: glibc uses the domain part of the host name")
        }
        if let d = lastDomain {
            out.domain = .init(value: d.value, line: d.line, effective: searchDirective?.line == d.line)
            if searchDirective?.line != d.line, let s = searchDirective {
                problems.add(
                    line: d.line, text: nil,
                    "domain \(d.value) is overridden by the search line \(s.line) (the last of domain/search wins)")
            }
        }
        out.options = options
        out.sortlist = sortlist
        out.comments = comments
        out.problems = problems.finish()
        return out
    }

    // MARK: - Lines

    /// glibc's MATCH: the keyword at the start of the line followed by a space or tab.
    static func keyword(_ name: StaticString, _ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let k = name.withUTF8Buffer { Array($0) }
        guard line.count > k.count, line.starts(with: k) else { return nil }
        let next = line[line.startIndex + k.count]
        guard next == ConfigLines.space || next == ConfigLines.tab else { return nil }
        return line[(line.startIndex + k.count)...]
    }

    static let keywords = ["nameserver", "domain", "search", "sortlist", "options"]

    static func unrecognisedLineReason(_ line: ArraySlice<UInt8>) -> String {
        let trimmed = ConfigLines.trimmedLeading(line)
        let first = ConfigLines.words(trimmed).first.map(ConfigLines.text) ?? ""
        if trimmed.count != line.count {
            if trimmed.first == UInt8(ascii: "#") || trimmed.first == UInt8(ascii: ";") {
                return "indented comment: glibc ignores the line (a comment must start in the first column)"
            }
            if keywords.contains(first) {
                return "indented '\(first)': glibc ignores the line (keywords must start in the first column)"
            }
        }
        if keywords.contains(first) {
            return "'\(first)' without a value (or not followed by a space or tab); ignored by glibc"
        }
        if let k = keywords.first(where: { $0 == first.lowercased() }) {
            return "'\(first)': keywords are case-sensitive (\(k)); ignored by glibc"
        }
        if let k = keywords.first(where: { first.hasPrefix($0) }) {
            return "'\(k)' must be followed by a space or tab; ignored by glibc"
        }
        return "unrecognised line; ignored by glibc"
    }

    // MARK: - nameserver

    static func parseNameserver(
        _ rest: ArraySlice<UInt8>, line: Int, text: String, into list: inout [ResolvConf.Nameserver],
        problems: inout ProblemList
    ) {
        let words = ConfigLines.words(rest)
        guard let word = words.first else {
            problems.add(line: line, text: text, "nameserver without an address; ignored by glibc")
            return
        }
        let addr = ConfigLines.text(word)
        if words.count > 1 {
            problems.add(line: line, text: text, "glibc ignores the text after the nameserver address")
        }
        if let v4 = IPAddress.parseInetAton(word) {
            let canonical = IPAddress(ipv4: v4).description
            list.append(.init(line: line, address: addr, family: "ipv4", scope: nil, used: false, ipv4Canonical: canonical))
            if canonical != addr {
                problems.add(
                    line: line, text: text,
                    "nameserver \(addr) is not a plain dotted quad: glibc's inet_aton reads it as \(canonical)")
            }
            return
        }
        var host = word
        var scope: String? = nil
        if let pct = word.firstIndex(of: UInt8(ascii: "%")) {
            host = word[word.startIndex..<pct]
            scope = ConfigLines.text(word[(pct + 1)...])
        }
        if !host.isEmpty, IPAddress.parseIPv6(host) != nil {
            list.append(
                .init(line: line, address: ConfigLines.text(host), family: "ipv6", scope: scope, used: false, ipv4Canonical: nil))
            if let scope, scope.isEmpty {
                problems.add(line: line, text: text, "empty IPv6 scope after '%'; glibc ignores it")
            }
            return
        }
        var why = "invalid nameserver address '\(addr)'; glibc skips this line"
        if word.last == ConfigLines.cr { why += " (it ends in a carriage return)" }
        problems.add(line: line, text: text, why)
    }

    // MARK: - search

    /// The domains glibc < 2.26 would not use: the search line was copied into a
    /// 256-byte buffer (255 characters) and split into at most 6 domains.
    static func legacyDropped(_ domains: [String], raw: ArraySlice<UInt8>) -> [String] {
        let kept = raw.prefix(ResolvConf.legacyMaxSearchChars)
        let keptWords = ConfigLines.words(kept).map(ConfigLines.text)
        var dropped: [String] = []
        for (i, d) in domains.enumerated() {
            if i >= ResolvConf.legacyMaxSearchDomains {
                dropped.append(d)
            } else if i >= keptWords.count || keptWords[i] != d {
                dropped.append(d)  // cut off (or cut short) by the 255-character limit
            }
        }
        return dropped
    }

    // MARK: - options

    /// glibc's boolean options, in its table's order (the first prefix match wins).
    /// `problem`: glibc ignores or mis-handles it; `note`: informational only.
    static let booleanOptions: [(word: String, name: String, problem: String?, note: String?)] = [
        ("inet6", "inet6", "inet6 is deprecated since glibc 2.25 and has no effect in current glibc", nil),
        ("rotate", "rotate", nil, nil),
        ("edns0", "edns0", nil, nil),
        ("single-request-reopen", "single-request-reopen", nil, nil),
        ("single-request", "single-request", nil, nil),
        ("no_tld_query", "no-tld-query", nil, nil),
        ("no-tld-query", "no-tld-query", nil, nil),
        ("no-reload", "no-reload", nil, nil),
        ("use-vc", "use-vc", nil, nil),
        ("trust-ad", "trust-ad", nil, "needs glibc 2.31 or later"),
        ("no-aaaa", "no-aaaa", nil, "needs glibc 2.36 or later"),
        ("strict-error", "strict-error", nil, "recognised only by recent glibc"),
        ("debug", "debug", "debug has an effect only in glibc built with debugging", nil),
    ]

    static func parseOptions(
        _ rest: ArraySlice<UInt8>, line: Int, into o: inout ResolvConf.Options, problems: inout ProblemList
    ) {
        let words = ConfigLines.words(rest)
        if words.isEmpty { problems.add(line: line, text: nil, "options without any option") }
        for word in words {
            let w = ConfigLines.text(word)
            if let numeric = numericOption(w) {
                let (name, limit) = numeric
                let digits = String(w.dropFirst(name.count + 1))
                let (n, wellFormed) = atoi(digits)
                var value = n
                if !wellFormed {
                    problems.add(
                        line: line, text: w,
                        "\(name) value '\(digits)' is not a plain number; glibc's atoi reads it as \(n)")
                }
                if n > limit {
                    value = limit
                    problems.add(line: line, text: w, "\(name):\(n) exceeds glibc's maximum; capped to \(limit)")
                }
                if n < 0 {
                    problems.add(
                        line: line, text: w,
                        "\(name) is negative; glibc stores it unchecked in an unsigned field, with unpredictable effect")
                }
                let effective = max(value, 0)
                switch name {
                case "ndots":
                    (o.ndots, o.ndotsDefault, o.ndotsLine) = (effective, false, line)
                case "timeout":
                    (o.timeout, o.timeoutDefault, o.timeoutLine) = (effective, false, line)
                    if n == 0 { problems.add(line: line, text: w, "timeout:0: glibc waits its minimum of 1 second") }
                default:
                    (o.attempts, o.attemptsDefault, o.attemptsLine) = (effective, false, line)
                    if n == 0 { problems.add(line: line, text: w, "attempts:0: glibc sends no query at all") }
                }
                o.entries.append(.init(line: line, text: w, name: name, value: effective))
                continue
            }
            if let opt = booleanOptions.first(where: { w.hasPrefix($0.word) }) {
                switch opt.name {
                case "inet6": o.inet6 = true
                case "rotate": o.rotate = true
                case "edns0": o.edns0 = true
                case "single-request-reopen": o.singleRequestReopen = true
                case "single-request": o.singleRequest = true
                case "no-tld-query": o.noTldQuery = true
                case "no-reload": o.noReload = true
                case "use-vc": o.useVc = true
                case "trust-ad": o.trustAd = true
                case "no-aaaa": o.noAaaa = true
                case "strict-error": o.strictError = true
                default: o.debug = true
                }
                o.entries.append(.init(line: line, text: w, name: opt.name, value: nil, note: opt.note))
                if w != opt.word {
                    problems.add(
                        line: line, text: w, "option '\(w)' is read by glibc as '\(opt.word)' (options match by prefix)")
                }
                if let problem = opt.problem { problems.add(line: line, text: w, problem) }
                continue
            }
            o.entries.append(.init(line: line, text: w, name: nil, value: nil))
            o.unknown.append(w)
            problems.add(line: line, text: w, "unknown option '\(w)'; ignored by glibc")
        }
    }

    static func numericOption(_ w: String) -> (String, Int)? {
        if w.hasPrefix("ndots:") { return ("ndots", ResolvConf.Options.maxNdots) }
        if w.hasPrefix("timeout:") { return ("timeout", ResolvConf.Options.maxTimeout) }
        if w.hasPrefix("attempts:") { return ("attempts", ResolvConf.Options.maxAttempts) }
        return nil
    }

    /// C's atoi (saturating rather than undefined on overflow); `wellFormed`
    /// when the whole string was an optionally signed decimal number.
    static func atoi(_ s: String) -> (Int, wellFormed: Bool) {
        var chars = Substring(s)
        while let c = chars.first, c == " " || c == "\t" { chars.removeFirst() }
        var negative = false
        if let c = chars.first, c == "+" || c == "-" {
            negative = c == "-"
            chars.removeFirst()
        }
        var value = 0
        var digits = 0
        for c in chars.unicodeScalars {
            guard c.value >= 48 && c.value <= 57 else { break }
            value = min(value * 10 + Int(c.value - 48), Int(Int32.max))
            digits += 1
        }
        let result = negative ? -value : value
        return (result, digits > 0 && digits == chars.unicodeScalars.count && !s.hasPrefix(" "))
    }

    // MARK: - sortlist

    static func parseSortlist(
        _ rest: ArraySlice<UInt8>, line: Int, text: String, into list: inout [ResolvConf.SortlistEntry],
        problems: inout ProblemList
    ) {
        var i = rest.startIndex
        let end = rest.endIndex
        func isMask(_ b: UInt8) -> Bool { b == UInt8(ascii: "/") || b == UInt8(ascii: "&") }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        func inWord(_ b: UInt8) -> Bool { b != UInt8(ascii: ";") && b < 0x80 && !isSpace(b) }
        var count = 0
        while true {
            while i < end, rest[i] == ConfigLines.space || rest[i] == ConfigLines.tab { i += 1 }
            if i >= end || rest[i] == UInt8(ascii: ";") { break }
            let netStart = i
            while i < end, !isMask(rest[i]), inWord(rest[i]) { i += 1 }
            if i == netStart {
                // glibc's scanner neither consumes nor skips this byte: res_init.c
                // would loop here without making progress.
                let what = isMask(rest[i]) ? "a mask without a valid address before it" : "a \\r, \\v, \\f or non-ASCII byte"
                problems.add(
                    line: line, text: text,
                    "sortlist: glibc's parser cannot get past \(what) (res_init.c loops without progress here)")
                break
            }
            let net = rest[netStart..<i]
            count += 1
            guard let addr = IPAddress.parseInetAton(net) else {
                let shown = ConfigLines.text(net)
                problems.add(line: line, text: shown, "sortlist entry '\(shown)': invalid address; ignored by glibc")
                continue
            }
            var mask = classfulMask(addr)
            var source = "classful"
            if i < end, isMask(rest[i]) {
                let ms = i + 1
                i = ms
                while i < end, inWord(rest[i]) { i += 1 }
                let maskText = rest[ms..<i]
                let mt = ConfigLines.text(maskText)
                let whole = ConfigLines.text(rest[netStart..<i])
                if let m = IPAddress.parseInetAton(maskText) {
                    mask = m
                    source = "explicit"
                    if !maskText.contains(UInt8(ascii: ".")) {
                        problems.add(
                            line: line, text: whole,
                            "sortlist mask '\(mt)' is not a prefix length for glibc: inet_aton reads it as \(IPAddress(ipv4: m).description)")
                    } else if !isContiguous(m) {
                        problems.add(line: line, text: whole, "sortlist mask \(IPAddress(ipv4: m).description) is not contiguous")
                    }
                } else {
                    problems.add(
                        line: line, text: whole,
                        "sortlist mask '\(mt)' is invalid; glibc uses the classful mask \(IPAddress(ipv4: mask).description)")
                }
            }
            list.append(
                .init(
                    line: line, text: ConfigLines.text(rest[netStart..<i]), address: IPAddress(ipv4: addr).description,
                    mask: IPAddress(ipv4: mask).description, maskSource: source))
        }
        if count == 0 { problems.add(line: line, text: text, "sortlist without entries") }
    }

    static func classfulMask(_ a: UInt32) -> UInt32 {
        if a & 0x8000_0000 == 0 { return 0xFF00_0000 }
        if a & 0xC000_0000 == 0x8000_0000 { return 0xFFFF_0000 }
        return 0xFFFF_FF00
    }

    static func isContiguous(_ m: UInt32) -> Bool { m == 0 || (~m & (~m &+ 1)) == 0 }
}

// MARK: - Shared helpers for the line-oriented host files

/// Bounded problem list: a hostile 1 MiB file of garbage must not become a
/// million-entry report.
struct ProblemList {
    static let limit = 200
    static let textLimit = 200
    let path: String
    private(set) var items: [FileProblem] = []
    private(set) var suppressed = 0
    private var lastLine: Int? = nil

    init(path: String) { self.path = path }

    mutating func add(line: Int?, text: String?, _ problem: String) {
        if line != nil { lastLine = line }
        guard items.count < Self.limit else {
            suppressed += 1
            return
        }
        var t = text
        if let s = t, s.count > Self.textLimit { t = String(s.prefix(Self.textLimit)) + "…" }
        items.append(FileProblem(path: path, line: line, text: t, problem: problem))
    }

    func finish() -> [FileProblem] {
        guard suppressed > 0 else { return items }
        return items + [
            FileProblem(
                path: path, line: lastLine, text: nil,
                problem: "\(suppressed) more problems not listed (limit \(Self.limit))")
        ]
    }
}

enum ConfigLines {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let cr = UInt8(ascii: "\r")
    static let newline = UInt8(ascii: "\n")

    /// Splits at `\n` (getline's rule); a final line without newline counts.
    static func split(_ bytes: [UInt8]) -> (lines: [(Int, ArraySlice<UInt8>)], hasNUL: Bool, firstNULLine: Int?) {
        var lines: [(Int, ArraySlice<UInt8>)] = []
        var start = 0
        var number = 0
        var firstNUL: Int? = nil
        for i in bytes.indices {
            if bytes[i] == 0 && firstNUL == nil { firstNUL = number + 1 }
            if bytes[i] == newline {
                number += 1
                lines.append((number, bytes[start..<i]))
                start = i + 1
            }
        }
        if start < bytes.count {
            number += 1
            lines.append((number, bytes[start...]))
        }
        return (lines, firstNUL != nil, firstNUL)
    }

    /// A C string's view of the line: it ends at the first NUL.
    static func cString(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        if let nul = line.firstIndex(of: 0) { return line[line.startIndex..<nul] }
        return line
    }

    static func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    static func isBlank(_ line: ArraySlice<UInt8>) -> Bool {
        line.allSatisfy { $0 == space || $0 == tab || $0 == cr || $0 == 0x0B || $0 == 0x0C }
    }

    static func trimmedLeading(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        s.drop(while: { $0 == space || $0 == tab })
    }

    /// Words separated by spaces and tabs (glibc's separators in resolv.conf).
    static func words(_ s: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        s.split(whereSeparator: { $0 == space || $0 == tab })
    }

    /// Words separated by any ASCII white space (hosts, nsswitch.conf: isspace).
    static func fields(_ s: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        s.split(whereSeparator: { $0 == space || ($0 >= 0x09 && $0 <= 0x0D) })
    }
}
