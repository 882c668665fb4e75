import ArgumentParser
import HostAuditCore

@main
struct HostAuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostaudit",
        abstract: "Audit a Linux host's security posture and explain blocked egress.",
        version: "0.1.0",
        subcommands: []
    )
}
