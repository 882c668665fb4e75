import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

/// `--signatures DIR`, `--no-signatures`, `--deep`: the YARA pass over process
/// executables and memory (rules: the shipped `signatures/` folder of the policies).
struct SignatureOption: ParsableArguments {
    @Option(
        name: .customLong("signatures"),
        help: ArgumentHelp(
            "YARA rule folder (*.yar); default: signatures/ of the shipped policies. facts scans only with --signatures, --deep or --evidence.", valueName: "DIR"))
    var directory: String?

    @Flag(name: .customLong("no-signatures"), help: "processes, persistence: skip the YARA scan of executables, memory and the files persistence points at.")
    var noSignatures = false

    @Flag(help: "processes: scan every process's memory with the signatures, not just suspicious ones.")
    var deep = false

    /// What the command line asked of the YARA pass.
    var request: SignatureRequest { SignatureRequest(directory: directory, disabled: noSignatures, deep: deep) }
}
