/// The transport an egress target is probed with.
public enum EgressProtocol: String, Sendable, Equatable, Hashable {
    case tcp, udp
}

/// One thing `hostaudit egress` probes: a host (name or address), a port and
/// a transport (TCP unless the target says UDP).
///
/// Parsed from `HOST:PORT`, `[IPv6]:PORT` or a URL (`http://mirror.example/os/`
/// means the URL's host on port 80, https 443), `udp://HOST:PORT` or
/// `HOST:PORT/udp` for UDP (`/tcp` and `tcp://` say TCP explicitly), or read
/// from the host's package sources (`origins` then says which file and line named it).
public struct EgressTarget: Sendable, Equatable, Hashable {
    public enum HostKind: String, Sendable, Equatable, Hashable {
        case ipv4, ipv6, name
    }

    /// Where a target came from when it was read from a file.
    public struct Origin: Sendable, Equatable, Hashable, CustomStringConvertible {
        public var path: String
        public var line: Int
        public init(path: String, line: Int) {
            self.path = path
            self.line = line
        }
        public var description: String { "\(path):\(line)" }
    }

    /// The target as given (a URL stays a URL).
    public var text: String
    /// A lower-cased name without a trailing dot, or the canonical address (no brackets).
    public var host: String
    public var hostKind: HostKind
    public var port: Int
    /// The URL scheme, lower-cased (null for `HOST:PORT`).
    public var scheme: String?
    public var origins: [Origin]
    /// TCP, or UDP for `udp://HOST:PORT` and `HOST:PORT/udp`.
    public var proto: EgressProtocol = .tcp

    public init(
        text: String, host: String, hostKind: HostKind, port: Int, scheme: String? = nil, origins: [Origin] = [],
        proto: EgressProtocol = .tcp
    ) {
        self.proto = proto
        self.text = text
        self.host = host
        self.hostKind = hostKind
        self.port = port
        self.scheme = scheme
        self.origins = origins
    }

    /// `host:port`, with brackets around an IPv6 address.
    public var hostPort: String { hostKind == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why a TARGET argument could not be used; the CLI prints it and exits 64.
public struct TargetError: Error, Sendable, Equatable, CustomStringConvertible {
    public var input: String
    public var reason: String
    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }
    public var description: String { "invalid target '\(TerminalText.escape(input))': \(reason)" }
}

/// Parses TARGET arguments. Pure; no name is resolved here.
public enum EgressTargetParser {
    /// Default ports of the URL schemes package managers use. `mirror`
    /// (apt's mirror method) fetches its list over http.
    public static let defaultPorts: [String: Int] = ["http": 80, "https": 443, "ftp": 21, "mirror": 80]

    public static func parse(_ input: String) throws(TargetError) -> EgressTarget {
        let s = trim(input)
        guard !s.isEmpty else { throw TargetError(input: input, reason: "empty target") }
        if s.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) {
            throw TargetError(input: input, reason: "contains white space or control characters")
        }
        if let range = s.firstRange(of: "://") {
            return try parseURL(s, schemeEnd: range, input: input)
        }
        // `HOST:PORT/udp` or `HOST:PORT/tcp` (the transport, case-insensitive).
        var hostPort = Substring(s)
        var proto = EgressProtocol.tcp
        if let slash = s.lastIndex(of: "/") {
            let suffix = s[s.index(after: slash)...].lowercased()
            guard let p = EgressProtocol(rawValue: suffix) else {
                throw TargetError(input: input, reason: "'/\(TerminalText.escape(String(s[s.index(after: slash)...])))' is not a transport: write HOST:PORT/udp or HOST:PORT/tcp")
            }
            proto = p
            hostPort = s[..<slash]
        }
        let (host, port) = try splitHostPort(String(hostPort), input: input, defaultPort: nil)
        let (canonical, kind) = try validateHost(host, bracketed: hostPort.hasPrefix("["), input: input)
        return EgressTarget(text: s, host: canonical, hostKind: kind, port: port, proto: proto)
    }

    static func parseURL(_ s: String, schemeEnd: Range<String.Index>, input: String) throws(TargetError) -> EgressTarget {
        var scheme = String(s[..<schemeEnd.lowerBound]).lowercased()
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else {
            throw TargetError(input: input, reason: "not a URL scheme: '\(scheme)'")
        }
        // apt transports such as `tor+http` or `mirror+https`: the last part is the protocol.
        if let plus = scheme.lastIndex(of: "+") { scheme = String(scheme[scheme.index(after: plus)...]) }
        let rest = s[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { "/?#".contains($0) }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard !authority.isEmpty else { throw TargetError(input: input, reason: "the URL has no host") }
        // `udp://HOST:PORT` and `tcp://HOST:PORT` name a transport, not an
        // application: the port is required and nothing may follow it but '/'.
        let proto: EgressProtocol = scheme == "udp" ? .udp : .tcp
        if scheme == "udp" || scheme == "tcp" {
            let tail = rest[authorityEnd...]
            guard tail.isEmpty || tail == "/" else {
                throw TargetError(input: input, reason: "a \(scheme):// target is \(scheme)://HOST:PORT, without a path or query")
            }
        }
        let defaultPort = defaultPorts[scheme]
        let (host, port) = try splitHostPort(String(authority), input: input, defaultPort: defaultPort ?? -1)
        if port == -1 {
            throw TargetError(
                input: input, reason: "no default port for scheme '\(scheme)'; give one explicitly (\(scheme)://host:PORT/)")
        }
        let (canonical, kind) = try validateHost(host, bracketed: authority.hasPrefix("["), input: input)
        return EgressTarget(text: s, host: canonical, hostKind: kind, port: port, scheme: scheme, proto: proto)
    }

    /// Splits `host:port` or `[v6]:port`. With `defaultPort`, the port may be omitted.
    static func splitHostPort(_ s: String, input: String, defaultPort: Int?) throws(TargetError) -> (String, Int) {
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else {
                throw TargetError(input: input, reason: "'[' without a closing ']'")
            }
            let host = String(s[s.index(after: s.startIndex)..<close])
            let after = s[s.index(after: close)...]
            if after.isEmpty {
                guard let defaultPort else {
                    throw TargetError(input: input, reason: "missing port: write [\(host)]:PORT")
                }
                return (host, defaultPort)
            }
            guard after.hasPrefix(":") else {
                throw TargetError(input: input, reason: "expected ':PORT' after ']'")
            }
            return (host, try port(String(after.dropFirst()), input: input))
        }
        let colons = s.filter { $0 == ":" }.count
        if colons > 1 {
            throw TargetError(
                input: input, reason: "an IPv6 address needs brackets and a port: [ADDRESS]:PORT")
        }
        guard let colon = s.lastIndex(of: ":") else {
            guard let defaultPort else {
                throw TargetError(input: input, reason: "missing port: give HOST:PORT, [IPv6]:PORT or a URL")
            }
            return (s, defaultPort)
        }
        let host = String(s[..<colon])
        return (host, try port(String(s[s.index(after: colon)...]), input: input))
    }

    static func port(_ s: String, input: String) throws(TargetError) -> Int {
        guard !s.isEmpty else { throw TargetError(input: input, reason: "empty port") }
        guard s.count <= 5, s.allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(s), (1...65535).contains(p) else {
            throw TargetError(input: input, reason: "port '\(TerminalText.escape(s))' is not a number from 1 to 65535")
        }
        return p
    }

    /// Returns the canonical host and its kind, or throws for something that is
    /// neither an address nor a valid DNS name.
    static func validateHost(_ raw: String, bracketed: Bool, input: String) throws(TargetError) -> (String, EgressTarget.HostKind) {
        guard !raw.isEmpty else { throw TargetError(input: input, reason: "empty host") }
        if bracketed || raw.contains(":") {
            // Only reached from brackets. A zone (%eth0) is not supported: probes use global routing.
            guard let groups = IPAddress.parseIPv6(Array(raw.utf8)) else {
                throw TargetError(input: input, reason: "'\(TerminalText.escape(raw))' is not an IPv6 address")
            }
            return (IPAddress.ipv6Text(groups, form: .rfc5952), .ipv6)
        }
        if let v4 = IPAddress.parseIPv4(Array(raw.utf8)) { return (IPAddress(ipv4: v4).description, .ipv4) }
        if raw.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
            throw TargetError(input: input, reason: "'\(raw)' is not an IPv4 address")
        }
        if let v4 = IPAddress.parseInetAton(raw.utf8) {
            // libc (inet_aton, getaddrinfo) reads 0x7f.0.0.1, 0177.1 or 2130706433 as an
            // address; a DNS lookup of it would ask the network about a literal.
            throw TargetError(
                input: input,
                reason: "'\(TerminalText.escape(raw))' is a numeric IPv4 address in inet_aton's form (\(IPAddress(ipv4: v4))); write it in dotted decimal")
        }
        if raw.contains("$") {
            throw TargetError(
                input: input, reason: "the host '\(TerminalText.escape(raw))' contains an unexpanded variable")
        }
        if raw.split(separator: ".").contains(where: { $0.hasPrefix("-") || $0.hasSuffix("-") }) {
            throw TargetError(
                input: input, reason: "'\(TerminalText.escape(raw))' is not a valid host name (a label cannot start or end with '-')")
        }
        var name = raw.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard name.utf8.count <= 253, !labels.isEmpty,
            labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 }),
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") })
        else {
            throw TargetError(input: input, reason: "'\(TerminalText.escape(raw))' is not a valid host name")
        }
        return (name, .name)
    }

    static func trim(_ s: String) -> String {
        var sub = Substring(s)
        while let f = sub.first, f == " " || f == "\t" || f == "\n" || f == "\r" { sub.removeFirst() }
        while let l = sub.last, l == " " || l == "\t" || l == "\n" || l == "\r" { sub.removeLast() }
        return String(sub)
    }
}
