#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// `syscall(_:path:_:)` for the probers, which keep a failure's errno as
/// evidence instead of throwing it: runs `body`, retries on EINTR, reads
/// errno immediately after a -1 and returns it as a value.
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

/// One call of `body` without the EINTR retry, for poll(2) loops that
/// recompute their time-out after an interruption: the result, or errno
/// read immediately after a -1 (`.interrupted` included).
func syscallOnce<T: FixedWidthInteger>(_ body: () -> T) -> Result<T, Errno> {
    let result = body()
    if result == -1 { return .failure(Errno(rawValue: errno)) }
    return .success(result)
}
