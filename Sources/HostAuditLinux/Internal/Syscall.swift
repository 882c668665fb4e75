#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HostAuditCore
import SystemPackage

/// Runs a system call that returns -1 and sets errno on failure, retrying on
/// EINTR; errno is read immediately after the call (swift-nio's `syscall`).
@discardableResult
func syscall<T: FixedWidthInteger>(
    _ name: String, path: String? = nil, _ body: () -> T
) throws(ProbeError) -> T {
    while true {
        let result = body()
        if result == -1 {
            let err = errno
            if err == EINTR { continue }
            throw ProbeError.syscall(name: name, path: path, errno: err, message: Errno(rawValue: err).description)
        }
        return result
    }
}

/// The message for an errno value, as swift-system spells it.
func errnoMessage(_ err: Int32) -> String { Errno(rawValue: err).description }

extension ProbeError {
    static func from(_ name: String, path: String?, errno err: Int32) -> ProbeError {
        .syscall(name: name, path: path, errno: err, message: errnoMessage(err))
    }
}
