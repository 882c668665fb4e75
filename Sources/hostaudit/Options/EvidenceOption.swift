import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

/// `--evidence DIR`: keep what a responder needs before anything is killed.
struct EvidenceOption: ParsableArguments {
    @Option(
        name: .customLong("evidence"),
        help: ArgumentHelp(
            "Keep evidence (executable, cmdline, environ, maps, status, open files, sockets, cited files) with a SHA-256 manifest in DIR (0700, never through a symlink).",
            valueName: "DIR"))
    var directory: String?
}
