import HostAuditCore
import Synchronization

/// An `SELinuxRuntimeSource` that returns chosen values (or throws a chosen
/// error) and counts its reads, so tests can also prove it was never asked.
package final class FakeSELinuxRuntime: SELinuxRuntimeSource {
    private let result: Result<SELinuxRuntimeState, ProbeError>
    private let reads = Mutex(0)

    package init(_ state: SELinuxRuntimeState) { result = .success(state) }
    package init(error: ProbeError) { result = .failure(error) }

    /// How many times `read()` was called.
    package var readCount: Int { reads.withLock { $0 } }

    package func read() throws(ProbeError) -> SELinuxRuntimeState {
        reads.withLock { $0 += 1 }
        return try result.get()
    }
}

extension SELinuxRuntimeState {
    /// A kernel without SELinux (no selinuxfs), as on this CI machine.
    package static let fakeDisabled = SELinuxRuntimeState(
        libselinuxEnabled: false, selinuxfsMount: nil, sysFsSelinuxPresent: false)

    /// A kernel with SELinux enabled in the given mode, with typical values.
    package static func fakeEnabled(
        enforcing: Bool?, mls: Bool? = false, denyUnknown: Bool? = false, rejectUnknown: Bool? = false,
        policyVersion: Int? = 33, booleans: [SELinuxBoolean]? = [], errors: [SELinuxReadError] = []
    ) -> SELinuxRuntimeState {
        SELinuxRuntimeState(
            libselinuxEnabled: true, selinuxfsMount: "/sys/fs/selinux", sysFsSelinuxPresent: true,
            enforcing: enforcing, mlsEnabled: mls, denyUnknown: denyUnknown, rejectUnknown: rejectUnknown,
            policyVersion: policyVersion, booleans: booleans, errors: errors)
    }
}
