extension SocketError {
    /// The errno values the classifiers and explainers tell apart, by their
    /// symbolic names (Core has no errno numbers: the name is what the Linux
    /// layer hands over); every other value is `other`.
    package enum Code: String, Sendable, Hashable {
        case connectionRefused = "ECONNREFUSED"
        case timedOut = "ETIMEDOUT"
        case noRouteToHost = "EHOSTUNREACH"
        case hostIsDown = "EHOSTDOWN"
        case networkUnreachable = "ENETUNREACH"
        case notPermitted = "EPERM"
        case permissionDenied = "EACCES"
        case invalidArgument = "EINVAL"
        case protocolNotAvailable = "ENOPROTOOPT"
        case other
    }

    package var code: Code {
        guard let c = Code(rawValue: name), c != .other else { return .other }
        return c
    }
}
