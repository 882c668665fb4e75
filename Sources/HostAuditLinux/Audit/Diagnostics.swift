import Logging

/// swift-log loggers for diagnostics, every message at `debug`: the
/// executable sends them to standard error with `--verbose` or
/// `HOSTAUDIT_LOG_LEVEL=debug`; a process that never bootstraps swift-log
/// (tests, the diagnostic executables) prints none, its default handler
/// starting at `info`. Reports and facts never go through a logger, so
/// standard output does not change.
package enum Diagnostics {
    /// Which collector ran, how long it took, what it skipped.
    package static let collect = Logger(label: "hostaudit.collect")
    /// Egress wiring and probes.
    package static let egress = Logger(label: "hostaudit.egress")
    /// Audit sessions: policies, state, evaluation, report.
    package static let audit = Logger(label: "hostaudit.audit")

    /// Milliseconds since `start`, for "took N ms".
    package static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        Int((ContinuousClock.now - start) / .milliseconds(1))
    }
}
