import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

/// `hostaudit firewall …`: the host's netfilter rules, read over netlink.
struct Firewall: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the firewall as the kernel holds it, read over netlink (never by running nft or iptables).",
        subcommands: [FirewallShow.self]
    )
}

struct FirewallShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print every table in the language it was written in.",
        discussion: """
            Native nftables tables print exactly as `nft list ruleset` prints them; tables that \
            iptables-nft manages print exactly as `iptables-save`/`ip6tables-save` print them, each \
            block after a `# table FAMILY NAME (iptables-nft)` line; legacy x_tables (invisible to \
            nft) print as `iptables-legacy-save` does, under a header saying they are legacy. \
            Needs CAP_NET_ADMIN (exit 3 without it).
            """
    )

    @Flag(name: .customLong("nft"), help: "Print every table in nft syntax, including iptables-nft ones.")
    var forceNFT = false

    func run() async throws {
        let snapshot = try FirewallShow.readSnapshot()
        let text = NFTTextRenderer.$interfaceNames.withValue(InterfaceNames.current()) {
            FirewallText.render(snapshot, forceNFT: forceNFT)
        }
        Output.write(text)
    }

    /// Reads the ruleset, or ends the run with exit 3 and a message saying what is missing.
    static func readSnapshot() throws -> RulesetSnapshot {
        do {
            return try NetfilterReader().snapshot()
        } catch {
            switch error {
            case .permissionDenied:
                Output.error(
                    "hostaudit: cannot read the firewall: \(error). Run as root (or with CAP_NET_ADMIN in this network namespace).")
            default:
                Output.error("hostaudit: cannot read the firewall: \(error)")
            }
            throw ExitStatus.couldNotRun
        }
    }
}
