#if canImport(Glibc)
import Glibc
#endif
import CSocket
import HostAuditCore
import Testing

@testable import HostAuditLinux

/// sock_diag addresses are printed through `IPAddress` in glibc's
/// `inet_ntop` form (what `ss` prints, and what the socket facts printed
/// when they called `inet_ntop` themselves).
@Suite struct SockDiagAddressTests {
    /// An `inet_diag_msg` (72 bytes) with the given family and addresses.
    static func message(family: UInt8, source: [UInt8], destination: [UInt8]) -> [UInt8] {
        var m = [UInt8](repeating: 0, count: 72)
        m[0] = family
        m[1] = 10  // TCP_LISTEN
        m[4] = 0x1f; m[5] = 0x90  // sport 8080, big-endian
        m[6] = 0x00; m[7] = 0x50  // dport 80
        for (i, b) in source.enumerated() { m[8 + i] = b }
        for (i, b) in destination.enumerated() { m[24 + i] = b }
        return m
    }

    static func libcText(_ bytes: [UInt8]) -> String {
        var out = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 16 ? AF_INET6 : AF_INET
        _ = bytes.withUnsafeBytes { src in out.withUnsafeMutableBufferPointer { inet_ntop(family, src.baseAddress, $0.baseAddress, 64) } }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test(arguments: [
        "::ffff:10.0.0.1", "::1.2.3.4", "2001:db8::1", "::1", "::", "fe80::1:0:0:1", "1:0:0:2:0:0:0:3", "::ffff:0:1",
        "2001:db8:0:0:1::", "::ffff:1.2.3.4",
    ])
    func ipv6AsInetNtop(_ text: String) throws {
        let a = try #require(IPAddress(text))
        let m = Self.message(family: UInt8(AF_INET6), source: a.bytes, destination: a.bytes)
        let e = m.withUnsafeBytes { SockDiag.parse($0, UInt8(IPPROTO_TCP)) }
        #expect(e.localAddress == Self.libcText(a.bytes))
        #expect(e.remoteAddress == Self.libcText(a.bytes))
        #expect(e.localPort == 8080 && e.remotePort == 80)
    }

    /// The mapped-address rule this place uses: the dotted quad stays.
    @Test func mappedAddressKeepsTheDottedQuad() throws {
        let a = try #require(IPAddress("::ffff:10.0.0.1"))
        let m = Self.message(family: UInt8(AF_INET6), source: a.bytes, destination: [UInt8](repeating: 0, count: 16))
        let e = m.withUnsafeBytes { SockDiag.parse($0, UInt8(IPPROTO_TCP)) }
        #expect(e.localAddress == "::ffff:10.0.0.1")
        #expect(e.remoteAddress == "::")
    }

    @Test func ipv4() {
        let m = Self.message(family: UInt8(AF_INET), source: [127, 0, 0, 1], destination: [10, 66, 2, 255])
        let e = m.withUnsafeBytes { SockDiag.parse($0, UInt8(IPPROTO_UDP)) }
        #expect(e.localAddress == "127.0.0.1")
        #expect(e.remoteAddress == "10.66.2.255")
    }
}
