import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

@main
struct HostAuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostaudit",
        abstract: "Audit a Linux host's security posture and explain blocked egress.",
        discussion: """
            hostaudit reads the kernel and the host's files directly (libselinux, netlink, /proc) \
            and never runs the host's own tools, which a compromised host may have replaced.

            Exit status: 0 ran and nothing at or above --fail-on failed; 1 a finding at or \
            above --fail-on failed; 2 a policy file does not load; 3 could not run at all; \
            64 command-line misuse.
            """,
        version: HostAuditVersion.string,
        subcommands: [Facts.self, Firewall.self, Egress.self, PolicyCommand.self, Audit.self, ReportCommand.self]
    )

    static func main() async {
        Allocator.configureForShortRun()
        do {
            var command = try parseAsRoot()
            LogLevelOption.bootstrap(for: command)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

enum HostAuditVersion {
    static let string = "0.1.0"
}
