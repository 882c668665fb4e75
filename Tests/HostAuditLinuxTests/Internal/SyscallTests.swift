#if canImport(Glibc)
import Glibc
#endif
import HostAuditCore
import SystemPackage
import Testing

@testable import HostAuditLinux

/// The one syscall and errno layer: EINTR is retried in the helper, any other
/// errno is carried as an `Errno` value, read right after the call.
@Suite struct SyscallTests {
    /// A body that fails once with EINTR, then succeeds: retried, not reported.
    @Test func interruptedCallIsRetried() {
        var calls = 0
        let result = valueOrErrno { () -> Int32 in
            calls += 1
            if calls == 1 {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == .success(7))
        #expect(calls == 2)
    }

    /// Another errno is the failure, after one call.
    @Test func errnoIsCarried() {
        var calls = 0
        let result = valueOrErrno { () -> Int in
            calls += 1
            errno = ENOENT
            return -1
        }
        #expect(result == .failure(.noSuchFileOrDirectory))
        #expect(calls == 1)
    }

    /// Without retry, EINTR is the failure.
    @Test func retryCanBeTurnedOff() {
        let result = valueOrErrno(retryOnInterrupt: false) { () -> Int32 in
            errno = EINTR
            return -1
        }
        #expect(result == .failure(.interrupted))
    }

    /// `syscall` throws `ProbeError.syscall` with the call, the path and the
    /// errno; its text is strerror's, as before.
    @Test func syscallThrowsProbeError() {
        var calls = 0
        #expect(throws: ProbeError.syscall(name: "open", path: "/x", errno: .permissionDenied)) {
            try syscall("open", path: "/x") { () -> Int32 in
                calls += 1
                if calls == 1 {
                    errno = EINTR
                    return -1
                }
                errno = EACCES
                return -1
            }
        }
        #expect(calls == 2)
        let error = ProbeError.syscall(name: "open", path: "/x", errno: .permissionDenied)
        #expect(error.description == "open(/x): \(String(cString: strerror(EACCES)))")
        #expect(error.errnoValue == EACCES)
        #expect(ProbeError.from("open", path: "/x", errno: EACCES) == error)
    }

    /// A real call through the helper: the kernel's errno comes back.
    @Test func realCallCarriesErrno() {
        let result = valueOrErrno { open("/nonexistent-hostaudit-\(getpid())", O_RDONLY | O_CLOEXEC) }
        #expect(result == .failure(.noSuchFileOrDirectory))
        #expect(throws: SysErr.self) {
            _ = try ProcfsIO().openDirectory("/nonexistent-hostaudit-\(getpid())")
        }
        do throws(SysErr) {
            _ = try ProcfsIO().openDirectory("/nonexistent-hostaudit-\(getpid())")
        } catch {
            #expect(error.errno == .noSuchFileOrDirectory)
            #expect(error.call == "openat")
            #expect(error.vanished)
        }
    }

    /// SELinux read errors keep encoding errno as its number.
    @Test func selinuxReadErrorEncodesTheNumber() {
        let e = SELinuxReadError(call: "security_getenforce", .library(name: "security_getenforce", errno: .permissionDenied, message: "x"))
        #expect(e.errno?.rawValue == EACCES)
        #expect(JSONValueEncoder().encodeValue(e).value(atPath: "errno") == .int(Int64(EACCES)))
    }
}
