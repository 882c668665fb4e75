import Testing

@testable import HostAuditCore

/// The one address type: inet_pton's grammar, the two text forms, prefixes.
@Suite struct IPAddressTests {
    @Test func parsesLikeInetPton() {
        #expect(IPAddress("192.0.2.1")?.bytes == [192, 0, 2, 1])
        #expect(IPAddress("::ffff:1.2.3.4")?.groups == [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304])
        #expect(IPAddress("1:2:3:4:5:6:7::")?.groups == [1, 2, 3, 4, 5, 6, 7, 0])
        // inet_pton rejects these; the old Verdict parser took a sign in a group.
        for bad in ["::+1", "::-0", "01.2.3.4", "1.2.3.4.5", "1::2::3", "12345::", "::1%eth0", "[::1]", "1.2.3.4/8", ""] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }

    /// `description` is RFC 5952 (hex); `inetNtopText` is what nft and
    /// iptables-save print (both call glibc's inet_ntop; checked against nft 1.0).
    @Test func twoTextForms() throws {
        let mapped = try #require(IPAddress("::ffff:1.2.3.4"))
        #expect(mapped.description == "::ffff:102:304")
        #expect(mapped.inetNtopText == "::ffff:1.2.3.4")
        let compatible = try #require(IPAddress("::1.2.3.4"))
        #expect(compatible.description == "::102:304")
        #expect(compatible.inetNtopText == "::1.2.3.4")
        // Not embedded IPv4: same in both forms.
        for text in ["::1", "::", "::1:0:0", "::ffff:0:0:1", "2001:db8::1:0:0:1", "1:0:2:3:4:5:6:7", "fe80::ffff:1.2.3.4"] {
            let a = try #require(IPAddress(text))
            #expect(a.inetNtopText == a.description, "\(text)")
        }
        #expect(IPAddress("fe80::ffff:1.2.3.4")?.description == "fe80::ffff:102:304")
        #expect(NFTFormat.ipv6(compatible.bytes) == "::1.2.3.4")
        #expect(NFTFormat.ipv6(mapped.bytes) == "::ffff:1.2.3.4")
        #expect(IptablesSaveFormat.addressText(compatible.bytes) == "::1.2.3.4")
    }

    @Test func inetAtonIsSeparateAndExact() {
        #expect(IPAddress.parseInetAton(Array("0x7f.1".utf8)) == 0x7f00_0001)
        #expect(IPAddress.parseInetAton(Array("0x".utf8)) == nil)
        #expect(IPAddress.parseIPv4(Array("0x7f.1".utf8)) == nil)
        #expect(IPAddress(ipv4: 0x7f00_0001).description == "127.0.0.1")
    }

    @Test func prefixesRangesAndOrder() throws {
        let p = try #require(IPAddress.Prefix("10.1.0.0/16"))
        #expect(p.contains(IPAddress(ipv4: 0x0a01_ff03)))
        #expect(!p.contains(IPAddress(ipv4: 0x0a02_0001)))
        #expect(!p.contains(IPAddress(ipv6Groups: [0, 0, 0, 0, 0, 0xffff, 0x0a01, 1])!))
        let lo = try #require(IPAddress("10.1.0.0")), hi = try #require(IPAddress("10.1.255.255"))
        #expect(p.range == lo...hi)
        #expect(IPAddress.Prefix("fd00::/129") == nil)
        #expect(IPAddress.Prefix("fd00::/8")?.contains(IPAddress(ipv6Groups: [0xfdff, 0, 0, 0, 0, 0, 0, 1])!) == true)
        #expect(IPAddress.Prefix("192.0.2.7")?.length == 32)
        let nine = try #require(IPAddress("9.0.0.0")), ten = try #require(IPAddress("10.0.0.0"))
        let broadcast = try #require(IPAddress("255.255.255.255")), any6 = try #require(IPAddress("::"))
        #expect(nine < ten)
        #expect(broadcast < any6)
        // Values, not text: two spellings of one address are equal.
        #expect(IPAddress("2001:DB8:0::1") == IPAddress("2001:db8::1"))
    }
}
