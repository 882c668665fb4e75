#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import HostAuditCore

/// The host a report is about: its name and kernel release.
package struct HostIdentity: Sendable, Equatable {
    package var hostname: String?
    package var kernel: String?

    /// The running host's node name and release (`uname(2)`); below `--root`,
    /// the image's `/etc/hostname` (`EtcHostname`) and no kernel (the
    /// image's is not running).
    package static func read(scope: CollectionScope) -> HostIdentity {
        guard scope.isLive else {
            return HostIdentity(hostname: EtcHostname.read(HostFiles(scope: scope)), kernel: nil)
        }
        guard let u = KernelName.current() else { return HostIdentity() }
        return HostIdentity(hostname: u.nodeName, kernel: u.release)
    }

    package init(hostname: String? = nil, kernel: String? = nil) {
        self.hostname = hostname
        self.kernel = kernel
    }
}

/// `uname(2)` of the running kernel.
package struct KernelName: Sendable, Equatable {
    var nodeName: String
    package var release: String

    /// Nil when the call fails.
    package static func current() -> KernelName? {
        var u = utsname()
        guard (try? syscall("uname", { uname(&u) })) != nil else { return nil }
        func text<T>(_ t: T) -> String {
            withUnsafeBytes(of: t) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return KernelName(nodeName: text(u.nodename), release: text(u.release))
    }
}

/// An image's `/etc/hostname`, read one way for every consumer (the resolver's
/// search list and the report's host name): the first line that is neither
/// blank nor a `#` comment, as systemd reads it at boot; of that line, its
/// first word (leading blanks dropped, ending at a space, tab or CR), at most
/// 255 bytes. Read through the confined reader: a link in the image stays in
/// the image, a FIFO is refused, and at most 4 KiB is read.
package enum EtcHostname {
    package static let path = "/etc/hostname"

    /// Nil when the file is missing, unreadable or names nothing.
    package static func read(_ files: HostFiles) -> String? {
        guard let c = try? files.read(path, limit: 4096) else { return nil }
        return parse(c.bytes)
    }

    package static func parse(_ bytes: [UInt8]) -> String? {
        func blank(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map { $0.drop(while: blank) }
        let line = lines.first { !$0.isEmpty && $0.first != UInt8(ascii: "#") } ?? []
        let word = line.prefix { !blank($0) && $0 != UInt8(ascii: "\r") }
        let name = TerminalText.decode(word.prefix(255))
        return name.isEmpty ? nil : name
    }
}
