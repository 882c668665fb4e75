import Foundation
import HostAuditCore
import Testing

@Suite struct EgressTargetTests {
    @Test(arguments: [
        ("mirror.example:80", "mirror.example", EgressTarget.HostKind.name, 80, nil as String?),
        ("Mirror.Example.:8080", "mirror.example", .name, 8080, nil),
        ("10.0.0.1:443", "10.0.0.1", .ipv4, 443, nil),
        ("[2001:DB8:0:0::1]:80", "2001:db8::1", .ipv6, 80, nil),
        ("[::1]:22", "::1", .ipv6, 22, nil),
        ("http://mirror.example/os/x86_64/", "mirror.example", .name, 80, "http"),
        ("https://mirror.example", "mirror.example", .name, 443, "https"),
        ("HTTPS://mirror.example:8443/path?q=1#frag", "mirror.example", .name, 8443, "https"),
        ("http://user:pa:ss@mirror.example/", "mirror.example", .name, 80, "http"),
        ("https://user@[fd66:2::2]/debian", "fd66:2::2", .ipv6, 443, "https"),
        ("http://[fd66:2::2]:8080/", "fd66:2::2", .ipv6, 8080, "http"),
        ("ftp://mirror.example/pub", "mirror.example", .name, 21, "ftp"),
        ("mirror+http://mirrors.example/list.txt", "mirrors.example", .name, 80, "http"),
        ("tor+https://onion.example/", "onion.example", .name, 443, "https"),
        ("http://10.66.2.2:8080/debian", "10.66.2.2", .ipv4, 8080, "http"),
        ("  host_with_underscore.example:25  ", "host_with_underscore.example", .name, 25, nil),
    ])
    func parses(input: String, host: String, kind: EgressTarget.HostKind, port: Int, scheme: String?) throws {
        let t = try EgressTargetParser.parse(input)
        #expect(t.host == host)
        #expect(t.hostKind == kind)
        #expect(t.port == port)
        #expect(t.scheme == scheme)
        #expect(t.text == input.trimmingCharacters(in: .whitespaces))
    }

    @Test(arguments: [
        ("", "empty target"),
        ("mirror.example", "missing port"),
        ("mirror.example:", "empty port"),
        ("mirror.example:0", "1 to 65535"),
        ("mirror.example:65536", "1 to 65535"),
        ("mirror.example:http", "1 to 65535"),
        ("2001:db8::1", "brackets"),
        ("2001:db8::1:80", "brackets"),
        ("[2001:db8::1]", "missing port"),
        ("[2001:db8::1:80", "closing ']'"),
        ("[2001:db8::1]80", "':PORT'"),
        ("[not-v6]:80", "not an IPv6 address"),
        ("[fe80::1%eth0]:80", "not an IPv6 address"),
        ("10.0.0.256:80", "not an IPv4 address"),
        ("1.2.3:80", "not an IPv4 address"),
        ("bad host:80", "white space"),
        ("bad\u{1b}[31m:80", "control"),
        ("exa$mple:80", "variable"),
        ("foo..bar:80", "not a valid host name"),
        ("gopher://host/", "no default port"),
        ("http:///path", "no host"),
        ("http://@/", "no host"),
        ("://host", "scheme"),
        ("http://$basearch.example/", "variable"),
    ])
    func rejects(input: String, fragment: String) {
        #expect {
            try EgressTargetParser.parse(input)
        } throws: { error in
            guard let e = error as? TargetError else { return false }
            return e.description.contains(fragment) && e.description.hasPrefix("invalid target")
        }
    }

    @Test func errorMessagesEscapeControlCharacters() {
        let e = TargetError(input: "a\u{1b}b", reason: "x")
        #expect(!e.description.contains("\u{1b}"))
    }

    @Test func ipv6IsPrintedInRFC5952Form() {
        #expect(IPAddress(ipv6Groups: [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress(ipv6Groups: [0, 0, 0, 0, 0, 0, 0, 0])?.description == "::")
        #expect(IPAddress(ipv6Groups: [0xfd66, 2, 0, 0, 0, 0, 0, 2])?.description == "fd66:2::2")
        #expect(IPAddress(ipv6Groups: [1, 0, 2, 3, 4, 5, 6, 7])?.description == "1:0:2:3:4:5:6:7")
    }

    @Test func hostPortBracketsIPv6() throws {
        #expect(try EgressTargetParser.parse("[::1]:80").hostPort == "[::1]:80")
        #expect(try EgressTargetParser.parse("a.example:80").hostPort == "a.example:80")
    }
}
