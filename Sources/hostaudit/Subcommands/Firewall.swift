import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

/// `hostaudit firewall …`: questions about the host's netfilter ruleset.
struct Firewall: AsyncParsableCommand {
    /// Add new firewall subcommands here (e.g. `show`).
    static let subcommandList: [any ParsableCommand.Type] = [FirewallShow.self, FirewallVerdict.self]

    static let configuration = CommandConfiguration(
        commandName: "firewall",
        abstract: "Inspect the host's firewall (nf_tables, iptables-nft, legacy iptables).",
        subcommands: subcommandList
    )
}

/// `--proto tcp|udp`.
extension FlowProtocol: ExpressibleByArgument {}
extension ReplyKind: ExpressibleByArgument {}

struct FirewallVerdict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verdict",
        abstract: "Would the firewall let this outbound connection out, and which rule decides?",
        discussion: """
            Evaluates the first packet of the flow against every base chain on the output and \
            postrouting hooks (ip/ip6/inet tables and legacy iptables tables, in priority order), \
            as the kernel would. With --reply, the answer to the flow instead (a SYN-ACK, a reset \
            or an ICMP error) through prerouting and input, as conntrack established (related for \
            an ICMP error). Without \
            --src/--oif the kernel's routing is asked which source and interface it would use. \
            Anything that cannot be known statically (rate limits, quotas, an unknown source port, \
            uid or mark) is explored both ways: the verdict is unknown \
            unless every branch agrees. --trace asks the kernel instead: it adds a temporary table \
            for a moment and sends one real packet (nf_tables only: legacy tables are invisible to it).

            Exit status: 0 the flow is accepted; 1 not accepted (drop, reject, unknown, no route); \
            3 the ruleset cannot be read (needs CAP_NET_ADMIN); 64 misuse.
            """
    )

    @Option(help: ArgumentHelp("Destination address (IPv4 or IPv6).", valueName: "ADDR"))
    var dst: String

    @Option(help: ArgumentHelp("Destination port.", valueName: "PORT"))
    var dport: UInt16

    @Option(help: "Transport protocol.")
    var proto: FlowProtocol = .tcp

    @Option(help: ArgumentHelp("Source address (default: what the kernel's routing picks).", valueName: "ADDR"))
    var src: String?

    @Option(help: ArgumentHelp("Source port (default: unknown, an ephemeral port).", valueName: "PORT"))
    var sport: UInt16?

    @Option(help: ArgumentHelp("Output interface (default: what the kernel's routing picks).", valueName: "NAME"))
    var oif: String?

    @Option(help: ArgumentHelp("The socket owner's uid (default: unknown).", valueName: "N"))
    var uid: UInt32?

    @Option(help: ArgumentHelp("The socket owner's gid (default: unknown).", valueName: "N"))
    var gid: UInt32?

    @Option(help: ArgumentHelp("The socket's mark, decimal or 0x hex (default: unknown).", valueName: "N"))
    var mark: String?

    @Flag(help: "Ask the kernel: trace one real packet through the ruleset (changes the ruleset for a moment).")
    var trace = false

    @Option(help: ArgumentHelp("Evaluate the answer to the flow coming back in: syn-ack, reset or icmp-error.", valueName: "KIND"))
    var reply: ReplyKind?

    @Option(help: "Output format.")
    var format: FactsFormat = .text

    func validate() throws {
        guard IPAddress(dst) != nil else { throw ValidationError("--dst \(dst): not an IPv4 or IPv6 address") }
        if let src {
            guard let s = IPAddress(src) else { throw ValidationError("--src \(src): not an IPv4 or IPv6 address") }
            guard s.isIPv6 == IPAddress(dst)!.isIPv6 else {
                throw ValidationError("--src and --dst must be of the same address family")
            }
        }
        if let mark, Self.parseMark(mark) == nil { throw ValidationError("--mark \(mark): not a 32-bit number") }
        if let oif, oif.isEmpty || oif.utf8.count > 15 { throw ValidationError("--oif \(oif): not an interface name") }
        if reply != nil && trace { throw ValidationError("--reply and --trace cannot be combined: the trace follows the packet going out") }
    }

    static func parseMark(_ s: String) -> UInt32? {
        if s.lowercased().hasPrefix("0x") { return UInt32(s.dropFirst(2), radix: 16) }
        return UInt32(s)
    }

    func run() async throws {
        let flow = VerdictFlow(
            destination: IPAddress(dst)!, destinationPort: dport, proto: proto, source: src.flatMap(IPAddress.init),
            sourcePort: sport, outputInterface: oif, uid: uid, gid: gid, mark: mark.flatMap(Self.parseMark))
        let snapshot = try FirewallShow.readSnapshot()
        let result: VerdictResult
        do { result = try FlowVerdictQuery(flow: flow, trace: trace, reply: reply).run(snapshot: snapshot) } catch {
            Output.error("hostaudit: cannot trace the flow: \(error)")
            throw ExitStatus.couldNotRun
        }
        switch format {
        case .json: Output.write(JSONWriter().string(result.json()) + "\n")
        case .text: Output.write(result.text())
        }
        if !result.isAccepted { throw ExitStatus.failed }
    }
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

    @Option(
        help: ArgumentHelp(
            "Output format. json is libnftables JSON (as `nft -j list ruleset`), with decoded xt options and legacy tables under a \"hostaudit\" key."
        ))
    var format: FactsFormat = .text

    func run() async throws {
        let snapshot = try FirewallShow.readSnapshot()
        // What cannot be printed exactly in a table's own language is said on stderr
        // (and in the JSON document's `warnings`), never left silent.
        for w in snapshot.renderingWarnings { Output.error("hostaudit: warning: " + TerminalText.escape(w)) }
        NFTTextRenderer.$interfaceNames.withValue(InterfaceNames.current()) {
            switch format {
            case .text:
                Output.write(FirewallText.render(snapshot, forceNFT: forceNFT))
            case .json:
                // Compact, as `nft -j` prints it: one line, however large the ruleset,
                // written as it is built (the document is never held whole).
                NFTJSONRenderer.writeCompact(snapshot, version: HostAuditVersion.string) { Output.write(bytes: $0) }
                Output.write(bytes: [UInt8(ascii: "\n")])
            }
        }
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
