import Foundation
import HostAuditCore
import Logging

/// Where the shipped policy packs are, for commands run without `--policy`.
enum ShippedPolicies {
    /// `$HOSTAUDIT_POLICIES`, else `../share/hostaudit/policies` next to the
    /// binary, else `Policies/` of the checkout the binary was built in; nil
    /// when none exists.
    static func path() -> String? {
        let fm = FileManager.default
        if let p = ProcessInfo.processInfo.environment["HOSTAUDIT_POLICIES"], !p.isEmpty { return p }
        let exe = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let binDir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        let share = binDir.appendingPathComponent("../share/hostaudit/policies").standardized.path
        if isDirectory(share) { return share }
        var dir = binDir
        while dir.path != "/" {
            if fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path),
                isDirectory(dir.appendingPathComponent("Policies").path)
            {
                return dir.appendingPathComponent("Policies").path
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// The shipped YARA rule folder (`signatures/` of the shipped policies), when it exists.
    static func signaturesDirectory() -> String? {
        guard let policies = path() else { return nil }
        let candidate = policies + "/signatures"
        return isDirectory(candidate) ? candidate : nil
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}

/// What the command line asked of the YARA pass: `--signatures DIR`, `--no-signatures`, `--deep`.
public struct SignatureRequest: Sendable {
    public var directory: String?
    public var disabled: Bool
    public var deep: Bool

    public init(directory: String? = nil, disabled: Bool = false, deep: Bool = false) {
        self.directory = directory
        self.disabled = disabled
        self.deep = deep
    }

    /// The scan options, or nil when signatures are off or no rule folder exists.
    /// `byDefault: false` (facts): only when --signatures, --deep or `also` (--evidence) asks for them.
    /// `policies`: where the `pool-ports` lists come from (default: the shipped policies, loaded on demand).
    public func scanOptions(byDefault: Bool = true, also: Bool = false, policies: [Policy]? = nil) -> SignatureScanOptions? {
        guard !disabled else { return nil }
        guard byDefault || directory != nil || deep || also else { return nil }
        guard let dir = directory ?? ShippedPolicies.signaturesDirectory() else {
            Diagnostics.collect.debug("signatures: no YARA rule folder found; the signature scan is skipped")
            return nil
        }
        let env = ProcessInfo.processInfo.environment
        var options = SignatureScanOptions(rulesDirectory: dir, deep: deep)
        if let policies = policies ?? ShippedPolicies.path().map({ PolicyLibrary.load(paths: [$0]).policies }) {
            options.poolPorts = SignatureCandidate.poolPorts(policies)
        }
        // Test and benchmark knobs (bytes / seconds).
        if let v = env["HOSTAUDIT_SIG_PROCESS_BUDGET"].flatMap(Int.init) { options.perProcessMemoryBudget = v }
        if let v = env["HOSTAUDIT_SIG_TOTAL_BUDGET"].flatMap(Int.init) { options.totalMemoryBudget = v }
        if let v = env["HOSTAUDIT_SIG_TIME_BUDGET_S"].flatMap(Double.init) { options.memoryTimeBudget = v }
        return options
    }
}
