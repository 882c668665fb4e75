#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CHostAuditShims
import CSocket
import HostAuditCore
import SystemPackage

/// Reads legacy x_tables (iptables-legacy) tables the way libiptc does:
/// `IPT_SO_GET_INFO` then `IPT_SO_GET_ENTRIES` (`IP6T_SO_*` for IPv6) on a raw
/// socket, which needs CAP_NET_ADMIN. x_tables has no netlink interface.
struct LegacyReader {
    /// GET_ENTRIES fails with EAGAIN when the table changed after GET_INFO.
    var maxAttempts = 8

    /// Every named table of each family; a table that vanished meanwhile
    /// (ENOENT) is skipped.
    func read(_ names: [Family: [String]]) throws(ProbeError) -> [IptablesTable] {
        var out: [IptablesTable] = []
        for family in [Family.ip, .ip6] {
            guard let list = names[family], !list.isEmpty else { continue }
            let v6: Int32 = family == .ip6 ? 1 : 0
            let fd: Int32
            switch valueOrErrno({ CHostAuditShims_xt_socket(v6) }) {
            case .success(let opened): fd = opened
            case .failure(let err): throw Self.error(err, "socket(\(family == .ip6 ? "AF_INET6" : "AF_INET"), SOCK_RAW)")
            }
            defer { close(fd) }
            for name in list {
                if let t = try readTable(fd: fd, v6: v6, family: family, name: name) { out.append(t) }
            }
        }
        return out
    }

    private func readTable(fd: Int32, v6: Int32, family: Family, name: String) throws(ProbeError) -> IptablesTable? {
        let what = "\(v6 == 1 ? "IP6T" : "IPT")_SO_GET_ENTRIES(\(name))"
        for _ in 1...max(1, maxAttempts) {
            var valid: UInt32 = 0, num: UInt32 = 0, size: UInt32 = 0
            var hooks = [UInt32](repeating: 0, count: 5)
            var under = [UInt32](repeating: 0, count: 5)
            let gotInfo = hooks.withUnsafeMutableBufferPointer { h in
                under.withUnsafeMutableBufferPointer { u in
                    valueOrErrno {
                        CHostAuditShims_xt_get_info(fd, v6, name, &valid, h.baseAddress, u.baseAddress, &num, &size)
                    }
                }
            }
            if case .failure(let err) = gotInfo {
                if err == .noSuchFileOrDirectory { return nil }
                throw Self.error(err, "\(v6 == 1 ? "IP6T" : "IPT")_SO_GET_INFO(\(name))")
            }
            // The kernel caps x_tables blobs well below this; refuse absurd sizes.
            guard size <= 512 * 1024 * 1024 else {
                throw .malformed(what: what, reason: "table size \(size) is not plausible")
            }
            var blob = [UInt8](repeating: 0, count: Int(size))
            let entries = blob.withUnsafeMutableBytes { b in
                valueOrErrno { CHostAuditShims_xt_get_entries(fd, v6, name, b.baseAddress, size) }
            }
            if case .failure(let err) = entries {
                if err == .resourceTemporarilyUnavailable { continue }
                if err == .noSuchFileOrDirectory { return nil }
                throw Self.error(err, what)
            }
            let info = LegacyTableInfo(validHooks: valid, hookEntry: hooks, underflow: under, numEntries: num, size: size)
            return try IptablesTable(legacy: family, name: name, info: info, entries: blob)
        }
        throw .library(name: what, errno: .resourceTemporarilyUnavailable, message: "the table kept changing while it was read")
    }

    static func error(_ err: Errno, _ what: String) -> ProbeError {
        if err == .notPermitted || err == .permissionDenied {
            return .permissionDenied(what: "legacy x_tables (\(what))", needs: "CAP_NET_ADMIN")
        }
        return .from(what, path: nil, errno: err)
    }
}
