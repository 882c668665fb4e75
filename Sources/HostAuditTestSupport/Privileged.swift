import Foundation
import Testing

/// Gating for tests that need root and network namespaces.
///
/// A developer without root sees these tests skipped. CI sets
/// `HOSTAUDIT_REQUIRE_PRIVILEGED=1`: then the tests always run, and if the
/// privileges are missing they fail instead of skipping, so a green CI
/// cannot hide untested kernel code.
package enum Privileged {
    package static let requireVariable = "HOSTAUDIT_REQUIRE_PRIVILEGED"

    package static var required: Bool {
        ProcessInfo.processInfo.environment[requireVariable] == "1"
    }

    package static let isRoot: Bool = geteuid() == 0

    /// Root, and `ip netns add` works (tried once per process).
    package static let available: Bool = {
        guard isRoot else { return false }
        let name = "ha-probe-\(getpid())"
        guard let r = try? CommandRunner.run(["ip", "netns", "add", name], timeout: 20), r.status == 0 else {
            return false
        }
        _ = try? CommandRunner.run(["ip", "netns", "delete", name], timeout: 20)
        return true
    }()

    /// Throws a clear error when privileged work is attempted without the privileges.
    package static func check() throws {
        guard available else {
            throw CommandError(
                command: [], result: nil,
                reason: "privileged test cannot run: needs root and `ip netns add` (euid \(geteuid()))")
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when root and network namespaces are available, or when
    /// `HOSTAUDIT_REQUIRE_PRIVILEGED=1` (then missing privileges fail the test).
    package static var privileged: Self {
        .enabled(
            if: Privileged.available || Privileged.required,
            "needs root and network namespaces (set HOSTAUDIT_REQUIRE_PRIVILEGED=1 to fail instead of skip)")
    }
}
