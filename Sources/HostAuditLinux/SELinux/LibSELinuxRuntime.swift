#if canImport(Glibc)
import Glibc
#endif
import CSELinux
import HostAuditCore
import SystemPackage

/// Reads the running kernel's SELinux state through libselinux: the only
/// place that calls it. Never runs getenforce or sestatus.
///
/// libselinux finds selinuxfs when it is loaded (`selinux_mnt`). When it is
/// not mounted, SELinux is disabled and nothing else is read; when it is, each
/// failed read leaves its value nil and adds a `SELinuxReadError`.
public struct LibSELinuxRuntime: SELinuxRuntimeSource {
    /// Where the kernel creates the selinuxfs mount point when SELinux is enabled.
    static let sysFsSelinux = "/sys/fs/selinux"

    public init() {}

    public func read() throws(ProbeError) -> SELinuxRuntimeState {
        var state = SELinuxRuntimeState()
        state.selinuxfsMount = CSELinux_selinux_mnt().map { String(cString: $0) }
        let enabled = is_selinux_enabled()
        state.libselinuxEnabled = enabled < 0 ? nil : enabled == 1
        if enabled < 0 { state.errors.append(Self.error("is_selinux_enabled", .current)) }
        var st = stat()
        switch valueOrErrno({ lstat(Self.sysFsSelinux, &st) }) {
        case .success: state.sysFsSelinuxPresent = true
        case .failure(let err) where err == .noSuchFileOrDirectory: state.sysFsSelinuxPresent = false
        case .failure: break
        }
        guard state.selinuxfsMount != nil else { return state }

        state.enforcing = flag("security_getenforce", &state.errors) { security_getenforce() }
        // is_selinux_mls_enabled returns 0 on failure too; only its 1 is certain.
        state.mlsEnabled = is_selinux_mls_enabled() == 1
        state.denyUnknown = flag("security_deny_unknown", &state.errors) { security_deny_unknown() }
        state.rejectUnknown = flag("security_reject_unknown", &state.errors) { security_reject_unknown() }
        let vers = call("security_policyvers", &state.errors) { security_policyvers() }
        state.policyVersion = vers.map(Int.init)
        state.booleans = booleans(&state.errors)
        return state
    }

    /// Calls a libselinux function that returns -1 with errno on failure; errno is read at once.
    private func call(_ name: String, _ errors: inout [SELinuxReadError], _ body: () -> Int32) -> Int32? {
        switch valueOrErrno(body) {
        case .success(let rc): return rc
        case .failure(let err):
            errors.append(Self.error(name, err))
            return nil
        }
    }

    private func flag(_ name: String, _ errors: inout [SELinuxReadError], _ body: () -> Int32) -> Bool? {
        call(name, &errors, body).map { $0 != 0 }
    }

    static func error(_ name: String, _ err: Errno) -> SELinuxReadError {
        SELinuxReadError(call: name, .library(name: name, errno: err, message: err.description))
    }

    private func booleans(_ errors: inout [SELinuxReadError]) -> [SELinuxBoolean]? {
        guard let names = BooleanNames.read(&errors) else { return nil }
        var result: [SELinuxBoolean] = []
        var failures: [String: (count: Int, first: SELinuxReadError)] = [:]
        func value(_ call: String, _ name: String, _ body: () -> Int32) -> Bool? {
            let rc = body()
            guard rc >= 0 else {
                let e = Self.error(call, .current)
                let first = SELinuxReadError(call: call, message: "\(name): \(e.message)", errno: e.errno)
                failures[call, default: (0, first)].count += 1
                return nil
            }
            return rc != 0
        }
        names.forEach { cName in
            let name = String(cString: cName)
            let active = value("security_get_boolean_active", name) { security_get_boolean_active(cName) }
            let pending = value("security_get_boolean_pending", name) { security_get_boolean_pending(cName) }
            result.append(SELinuxBoolean(name: name, active: active, pending: pending))
        }
        // One error per function, not one per boolean: a denying policy could fail hundreds.
        for call in failures.keys.sorted() {
            let f = failures[call]!
            var e = f.first
            if f.count > 1 { e.message += " (and \(f.count - 1) more booleans)" }
            errors.append(e)
        }
        return result.sorted { $0.name < $1.name }
    }
}

/// Owns the array `security_get_boolean_names` allocates: `len` strings and
/// the array itself, each from malloc (the array is not NULL-terminated, so
/// `freeconary` does not apply).
private final class BooleanNames {
    private let names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    private let count: Int

    private init(names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, count: Int) {
        self.names = names
        self.count = count
    }

    static func read(_ errors: inout [SELinuxReadError]) -> BooleanNames? {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var len: Int32 = 0
        let rc = security_get_boolean_names(&names, &len)
        let err = Errno.current
        // An empty booleans directory makes scandir return 0 and libselinux -1
        // (with a stale errno): that is a policy without booleans, not an error.
        if rc != 0 && len == 0 { return BooleanNames(names: nil, count: 0) }
        guard rc == 0, let names else {
            errors.append(LibSELinuxRuntime.error("security_get_boolean_names", err))
            return nil
        }
        return BooleanNames(names: names, count: max(0, Int(len)))
    }

    func forEach(_ body: (UnsafeMutablePointer<CChar>) -> Void) {
        guard let names else { return }
        for i in 0..<count {
            if let name = names[i] { body(name) }
        }
    }

    deinit {
        guard let names else { return }
        for i in 0..<count { free(names[i]) }
        free(names)
    }
}
