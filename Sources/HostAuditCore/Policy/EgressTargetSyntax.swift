import Foundation

/// Target syntax of the contract: `HOST:PORT`, `[IPv6]:PORT`, a URL (its host
/// on the scheme's port), or `package-sources`.
public enum EgressTargetSyntax {
    public static func parse(_ s: String) -> PolicyEgressTarget? {
        if s == "package-sources" { return .packageSources }
        if s.contains("://") {
            guard let url = URLComponents(string: s), let scheme = url.scheme?.lowercased(),
                ["http", "https", "ftp"].contains(scheme), let host = url.host, !host.isEmpty
            else { return nil }
            if let p = url.port, !(1...65535).contains(p) { return nil }
            return .endpoint(s)
        }
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        let host = String(s[..<colon])
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), isAddress(String(host.dropFirst().dropLast())) else { return nil }
            return .endpoint(s)
        }
        guard !host.isEmpty, !host.contains(":"),
            host.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "." || $0 == "_" })
        else { return nil }
        return .endpoint(s)
    }

    public static func isAddress(_ s: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
    }
}
