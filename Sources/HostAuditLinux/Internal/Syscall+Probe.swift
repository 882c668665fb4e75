#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

// The probers' form of the syscall helper (`syscall(_:path:_:)` in
// Syscall.swift): they keep a failure's errno as evidence instead of throwing
// it, so they get `Result<T, Errno>`. errno is read right after the call;
// EINTR is retried here (`syscallResult`) or handed back for a poll loop that
// recomputes its time-out (`syscallOnce`). Same shape as swift-system's
// `valueOrErrno`; when Syscall.swift offers that, these two are it with
// `retryOnInterrupt` true and false.

/// Runs `body` (a call returning -1 and setting errno on failure), retrying
/// on EINTR; a failure is the errno read right after the call.
func syscallResult<T: FixedWidthInteger>(_ body: () -> T) -> Result<T, Errno> {
    while true {
        let result = body()
        if result == -1 {
            let err = errno
            if err == EINTR { continue }
            return .failure(Errno(rawValue: err))
        }
        return .success(result)
    }
}

/// One call of `body`, not restarted: the result, or the errno read right
/// after a -1 (`.interrupted` included, for the caller to handle).
func syscallOnce<T: FixedWidthInteger>(_ body: () -> T) -> Result<T, Errno> {
    let result = body()
    if result == -1 { return .failure(Errno(rawValue: errno)) }
    return .success(result)
}
