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

    /// The scan options, or nil when signatures are off or no rule folder exists.
    /// `byDefault: false` (facts): only when --signatures, --deep or `also` (--evidence) asks for them.
    /// `policyPaths`: where the `pool-ports` lists come from (default: the shipped policies).
    func scanOptions(byDefault: Bool = true, also: Bool = false, policyPaths: [String]? = nil) -> SignatureScanOptions? {
        guard !noSignatures else { return nil }
        guard byDefault || directory != nil || deep || also else { return nil }
        var dir = directory
        if dir == nil, let policies = Audit.defaultPolicies() {
            let candidate = policies + "/signatures"
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir), isDir.boolValue { dir = candidate }
        }
        guard let dir else { return nil }
        let env = ProcessInfo.processInfo.environment
        var options = SignatureScanOptions(rulesDirectory: dir, deep: deep)
        if let paths = policyPaths ?? Audit.defaultPolicies().map({ [$0] }) {
            options.poolPorts = SignatureCandidate.poolPorts(PolicyLibrary.load(paths: paths).policies)
        }
        // Test and benchmark knobs (bytes / seconds).
        if let v = env["HOSTAUDIT_SIG_PROCESS_BUDGET"].flatMap(Int.init) { options.perProcessMemoryBudget = v }
        if let v = env["HOSTAUDIT_SIG_TOTAL_BUDGET"].flatMap(Int.init) { options.totalMemoryBudget = v }
        if let v = env["HOSTAUDIT_SIG_TIME_BUDGET_S"].flatMap(Double.init) { options.memoryTimeBudget = v }
        return options
    }
}
