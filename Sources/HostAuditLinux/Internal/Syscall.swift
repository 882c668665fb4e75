#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HostAuditCore
import SystemPackage

// The one syscall and errno layer (swift-system's `valueOrErrno` shape; see
// docs/ARCHITECTURE.md, "System calls and errno"). Every call that reports
// failure as -1 plus errno goes through `valueOrErrno`: errno is read
// immediately after the call, EINTR is retried here and nowhere else, and the
// failure is a `SystemPackage.Errno` value. Internals use `Result<T, Errno>` or
// `throws(Errno)`; public collector APIs throw `ProbeError`.

/// Runs `body` (a call returning -1 and setting errno on failure) until it
/// does not fail with EINTR; the failure is the errno read right after the call.
@inline(__always)
func valueOrErrno<T: FixedWidthInteger>(
    retryOnInterrupt: Bool = true, _ body: () -> T
) -> Result<T, Errno> {
    while true {
        let result = body()
        if result != -1 { return .success(result) }
        let err = Errno.current
        if retryOnInterrupt && err == .interrupted { continue }
        return .failure(err)
    }
}

/// Runs a system call that returns -1 and sets errno on failure, retrying on
/// EINTR; a failure is `ProbeError.syscall` naming the call (swift-nio's `syscall`).
@discardableResult
func syscall<T: FixedWidthInteger>(
    _ name: String, path: String? = nil, _ body: () -> T
) throws(ProbeError) -> T {
    switch valueOrErrno(body) {
    case .success(let value): return value
    case .failure(let err): throw ProbeError.syscall(name: name, path: path, errno: err)
    }
}

extension Errno {
    /// The calling thread's errno now: read it right after the failing call.
    static var current: Errno { Errno(rawValue: errno) }
}

/// The message for an errno value, as swift-system spells it (strerror's text).
func errnoMessage(_ err: Int32) -> String { Errno(rawValue: err).description }

extension ProbeError {
    static func from(_ name: String, path: String?, errno err: Int32) -> ProbeError {
        .syscall(name: name, path: path, errno: Errno(rawValue: err))
    }

    static func from(_ name: String, path: String?, errno err: Errno) -> ProbeError {
        .syscall(name: name, path: path, errno: err)
    }
}
