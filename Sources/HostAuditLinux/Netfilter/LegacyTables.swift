import Foundation
import HostAuditCore

/// Which legacy x_tables (iptables-legacy) tables are loaded in this network
/// namespace. x_tables has no netlink interface; the kernel lists loaded
/// tables in `/proc/net/ip_tables_names` and `/proc/net/ip6_tables_names`.
struct LegacyTables {
    var procNet: String

    static let files: [(Family, String)] = [(.ip, "ip_tables_names"), (.ip6, "ip6_tables_names")]

    /// Table names per family; a family whose file is missing (module not
    /// loaded) or unreadable is absent.
    func read() -> [Family: [String]] {
        var out: [Family: [String]] = [:]
        for (family, file) in Self.files {
            guard let text = try? String(contentsOfFile: procNet + "/" + file, encoding: .utf8) else { continue }
            out[family] = Self.parse(text)
        }
        return out
    }

    static func parse(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .sorted()
    }
}
