/// One key line of an `authorized_keys` file.
public struct AuthorizedKey: Encodable, Sendable, Equatable {
    public var line: Int
    /// `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, `sk-ssh-ed25519@openssh.com`, …
    public var type: String
    /// `SHA256:` + unpadded base64 of the blob's SHA-256, as `ssh-keygen -lf` prints it;
    /// null when the blob is not valid base64.
    public var fingerprint: String?
    /// Key size as ssh-keygen reports it (RSA modulus bits, 256 for Ed25519, the curve for ECDSA).
    public var bits: Int?
    public var comment: String?
    /// Options before the key (`command="…"`, `from="…"`, `no-pty`, `restrict`), in order.
    public var options: [Option]
    /// The type named inside the blob, when it differs from `type` (a tampered or broken line).
    public var blobType: String?

    public init(
        line: Int, type: String, fingerprint: String?, bits: Int?, comment: String?, options: [Option],
        blobType: String? = nil
    ) {
        self.line = line
        self.type = type
        self.fingerprint = fingerprint
        self.bits = bits
        self.comment = comment
        self.options = options
        self.blobType = blobType
    }

    public struct Option: Encodable, Sendable, Equatable {
        public var name: String
        /// The value with its quotes removed and `\"` unescaped; null for a flag.
        public var value: String?

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// The value of the first option called `name` (case-insensitive, as sshd).
    public func option(_ name: String) -> String?? {
        options.first { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
}

package struct AuthorizedKeys: Encodable, Sendable, Equatable {
    package var keys: [AuthorizedKey]
    package var problems: [FileProblem]

    package init(keys: [AuthorizedKey] = [], problems: [FileProblem] = []) {
        self.keys = keys
        self.problems = problems
    }
}

/// Parses `authorized_keys` as sshd does (auth2-pubkeyfile.c, `sshkey_read`):
/// blank lines and `#` comments are skipped; a line is `[options] type base64 [comment]`;
/// options are comma-separated, values in double quotes may hold commas and
/// spaces, and `\"` inside quotes is a literal quote.
package enum AuthorizedKeysParser {
    static let keyTypes: Set<String> = [
        "ssh-rsa", "ssh-dss", "ssh-ed25519", "ssh-ed448", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521", "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ssh-ed25519@openssh.com", "ssh-xmss@openssh.com",
        "ssh-rsa-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com",
        "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
        "ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "sk-ssh-ed25519-cert-v01@openssh.com",
    ]

    package static func parse(_ text: String, path: String) -> AuthorizedKeys { parse(Array(text.utf8), path: path) }

    package static func parse(_ bytes: [UInt8], path: String) -> AuthorizedKeys {
        var out = AuthorizedKeys()
        var problems = ProblemList(path: path)
        let split = ConfigLines.split(bytes)
        if split.hasNUL { problems.add(line: split.firstNULLine, text: nil, "file contains NUL bytes") }
        for (number, raw) in split.lines {
            var text = ConfigLines.text(raw)
            if text.hasSuffix("\r") { text.removeLast() }
            let trimmed = text.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard out.keys.count < 10_000 else {
                problems.add(line: number, text: nil, "more than 10000 keys; the rest are not listed")
                break
            }
            switch parseLine(String(trimmed), line: number) {
            case .success(let key): out.keys.append(key)
            case .failure(let why): problems.add(line: number, text: String(trimmed.prefix(120)), why.reason)
            }
        }
        out.problems = problems.finish()
        return out
    }

    struct Invalid: Error { var reason: String }

    static func parseLine(_ line: String, line number: Int) -> Result<AuthorizedKey, Invalid> {
        var options: [AuthorizedKey.Option] = []
        var rest = Substring(line)
        var (first, after) = CronParser.nextField(rest)
        if !keyTypes.contains(String(first)) {
            // Options come first: up to the first blank outside quotes.
            let (optionText, remainder) = splitOptions(rest)
            switch parseOptions(optionText) {
            case .success(let o): options = o
            case .failure(let e): return .failure(e)
            }
            rest = remainder
            (first, after) = CronParser.nextField(rest)
            guard keyTypes.contains(String(first)) else {
                return .failure(Invalid(reason: first.isEmpty ? "options without a key" : "unknown key type '\(first)'"))
            }
        }
        let (blobText, commentRest) = CronParser.nextField(after)
        guard !blobText.isEmpty else { return .failure(Invalid(reason: "key type without key data")) }
        let comment = commentRest.persistTrimmed
        let blob = Base64.decode(blobText)
        var bits: Int? = nil
        var blobType: String? = nil
        if let blob {
            let info = blobInfo(blob)
            bits = info.bits
            if let t = info.type, t != String(first) { blobType = t }
        }
        return .success(
            AuthorizedKey(
                line: number, type: String(first), fingerprint: blob.map(fingerprint), bits: bits,
                comment: comment.isEmpty ? nil : String(comment), options: options, blobType: blobType))
    }

    /// `SHA256:<base64 without padding>` of the raw key blob.
    package static func fingerprint(_ blob: [UInt8]) -> String {
        "SHA256:" + Base64.encode(SHA256.hash(blob), padding: false)
    }

    /// Splits `opt1,opt2="a b" ssh-ed25519 …` into the option text and the rest.
    static func splitOptions(_ s: Substring) -> (Substring, Substring) {
        var inQuote = false
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c == "\\" && inQuote {
                let n = s.index(after: i)
                if n < s.endIndex && s[n] == "\"" {
                    i = s.index(after: n)
                    continue
                }
            }
            if c == "\"" { inQuote.toggle() }
            if !inQuote && (c == " " || c == "\t") { break }
            i = s.index(after: i)
        }
        return (s[s.startIndex..<i], s[i...])
    }

    static func parseOptions(_ text: Substring) -> Result<[AuthorizedKey.Option], Invalid> {
        var options: [AuthorizedKey.Option] = []
        var i = text.startIndex
        while i < text.endIndex {
            var name = ""
            while i < text.endIndex && text[i] != "=" && text[i] != "," {
                name.append(text[i])
                i = text.index(after: i)
            }
            guard !name.isEmpty else { return .failure(Invalid(reason: "empty option")) }
            var value: String? = nil
            if i < text.endIndex && text[i] == "=" {
                i = text.index(after: i)
                guard i < text.endIndex, text[i] == "\"" else {
                    return .failure(Invalid(reason: "option \(name): value must be in double quotes"))
                }
                i = text.index(after: i)
                var v = ""
                var closed = false
                while i < text.endIndex {
                    let c = text[i]
                    if c == "\\" {
                        let n = text.index(after: i)
                        if n < text.endIndex && text[n] == "\"" {
                            v.append("\"")
                            i = text.index(after: n)
                            continue
                        }
                    }
                    if c == "\"" {
                        closed = true
                        i = text.index(after: i)
                        break
                    }
                    v.append(c)
                    i = text.index(after: i)
                }
                guard closed else { return .failure(Invalid(reason: "option \(name): missing closing quote")) }
                value = v
            }
            options.append(.init(name: name, value: value))
            if i < text.endIndex {
                guard text[i] == "," else { return .failure(Invalid(reason: "option \(name): junk after the value")) }
                i = text.index(after: i)
            }
        }
        return .success(options)
    }

    /// The type string inside the blob and the key size (ssh wire format:
    /// uint32 length-prefixed strings and mpints).
    static func blobInfo(_ blob: [UInt8]) -> (type: String?, bits: Int?) {
        var offset = 0
        func string() -> ArraySlice<UInt8>? {
            guard offset + 4 <= blob.count else { return nil }
            let n = Int(blob[offset]) << 24 | Int(blob[offset + 1]) << 16 | Int(blob[offset + 2]) << 8 | Int(blob[offset + 3])
            guard n >= 0, offset + 4 + n <= blob.count else { return nil }
            defer { offset += 4 + n }
            return blob[(offset + 4)..<(offset + 4 + n)]
        }
        guard let typeBytes = string() else { return (nil, nil) }
        let type = String(decoding: typeBytes, as: UTF8.self)
        func mpintBits(_ m: ArraySlice<UInt8>) -> Int {
            let digits = m.drop(while: { $0 == 0 })
            guard let top = digits.first else { return 0 }
            return (digits.count - 1) * 8 + (8 - top.leadingZeroBitCount)
        }
        var base = type
        if base.hasSuffix("-cert-v01@openssh.com") {
            base = String(base.dropLast("-cert-v01@openssh.com".count))
            _ = string()  // nonce
        }
        switch base {
        case "ssh-rsa":
            guard string() != nil, let n = string() else { return (type, nil) }
            return (type, mpintBits(n))
        case "ssh-dss":
            guard let p = string() else { return (type, nil) }
            return (type, mpintBits(p))
        case "ssh-ed25519", "sk-ssh-ed25519@openssh.com": return (type, 256)
        case "ssh-ed448": return (type, 456)
        case "ecdsa-sha2-nistp256", "sk-ecdsa-sha2-nistp256@openssh.com": return (type, 256)
        case "ecdsa-sha2-nistp384": return (type, 384)
        case "ecdsa-sha2-nistp521": return (type, 521)
        default: return (type, nil)
        }
    }
}
