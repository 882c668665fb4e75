import SystemPackage

/// Why a collector could not read something from the host.
///
/// Thrown by the Linux layer, carried by findings and fact sections as data.
/// errno travels as swift-system's `Errno` value (only the type: Core makes no
/// system call); its text is `strerror`'s.
public enum ProbeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed: its name, the path or object it acted on, and errno.
    case syscall(name: String, path: String?, errno: Errno)
    /// A C library call failed: its name, errno and what went wrong.
    case library(name: String, errno: Errno, message: String)
    /// The running kernel or environment does not offer this.
    case unsupported(reason: String)
    /// The caller lacks a privilege (e.g. CAP_NET_ADMIN).
    case permissionDenied(what: String, needs: String)
    /// The data read does not have the expected shape.
    case malformed(what: String, reason: String)

    public var description: String {
        switch self {
        case .syscall(let name, let path, let errno):
            if let path { return "\(name)(\(path)): \(errno.description)" }
            return "\(name): \(errno.description)"
        case .library(let name, _, let message): return "\(name): \(message)"
        case .unsupported(let reason): return reason
        case .permissionDenied(let what, let needs): return "\(what): permission denied (needs \(needs))"
        case .malformed(let what, let reason): return "\(what): \(reason)"
        }
    }

    /// The errno of a failed call; nil for the other cases.
    public var errno: Errno? {
        switch self {
        case .syscall(_, _, let e), .library(_, let e, _): return e
        default: return nil
        }
    }

    /// `errno` as its raw number.
    public var errnoValue: Int32? { errno?.rawValue }
}
