/// Why a collector could not read something from the host.
///
/// Thrown by the Linux layer, carried by findings and fact sections as data.
/// `errno` is the raw value (the Linux layer maps it with swift-system's
/// `Errno`); Core stays free of platform modules.
public enum ProbeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed: its name, the path or object it acted on, and errno.
    case syscall(name: String, path: String?, errno: Int32, message: String)
    /// A C library call failed.
    case library(name: String, errno: Int32, message: String)
    /// The running kernel or environment does not offer this.
    case unsupported(reason: String)
    /// The caller lacks a privilege (e.g. CAP_NET_ADMIN).
    case permissionDenied(what: String, needs: String)
    /// The data read does not have the expected shape.
    case malformed(what: String, reason: String)

    public var description: String {
        switch self {
        case .syscall(let name, let path, _, let message):
            if let path { return "\(name)(\(path)): \(message)" }
            return "\(name): \(message)"
        case .library(let name, _, let message): return "\(name): \(message)"
        case .unsupported(let reason): return reason
        case .permissionDenied(let what, let needs): return "\(what): permission denied (needs \(needs))"
        case .malformed(let what, let reason): return "\(what): \(reason)"
        }
    }

    public var errnoValue: Int32? {
        switch self {
        case .syscall(_, _, let e, _), .library(_, let e, _): return e
        default: return nil
        }
    }
}
