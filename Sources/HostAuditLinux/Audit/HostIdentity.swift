#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import HostAuditCore

/// The host a report is about: its name and kernel release.
public struct HostIdentity: Sendable, Equatable {
    public var hostname: String?
    public var kernel: String?

    /// The running host's node name and release (`uname(2)`); below `--root`,
    /// the image's `/etc/hostname` (its first non-blank line, trimmed) read
    /// through the confined reader, and no kernel (the image's is not running).
    public static func read(scope: CollectionScope) -> HostIdentity {
        guard scope.isLive else {
            // A link in the image stays in the image; a FIFO or a 1 GiB file is
            // refused or cut (a host name is at most 64 bytes).
            guard let c = try? HostFiles(scope: scope).read("/etc/hostname", limit: 4096) else { return HostIdentity() }
            let line = c.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).first ?? []
            let name = TerminalText.decode(line).trimmingCharacters(in: .whitespaces)
            return HostIdentity(hostname: name.isEmpty ? nil : name, kernel: nil)
        }
        guard let u = KernelName.current() else { return HostIdentity() }
        return HostIdentity(hostname: u.nodeName, kernel: u.release)
    }

    public init(hostname: String? = nil, kernel: String? = nil) {
        self.hostname = hostname
        self.kernel = kernel
    }
}

/// `uname(2)` of the running kernel.
public struct KernelName: Sendable, Equatable {
    public var nodeName: String
    public var release: String

    /// Nil when the call fails.
    public static func current() -> KernelName? {
        var u = utsname()
        guard (try? syscall("uname", { uname(&u) })) != nil else { return nil }
        func text<T>(_ t: T) -> String {
            withUnsafeBytes(of: t) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return KernelName(nodeName: text(u.nodename), release: text(u.release))
    }
}
