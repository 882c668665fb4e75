import ArgumentParser

/// The exit codes of the contract (README "Exit status").
enum ExitStatus {
    /// Ran; nothing at or above --fail-on failed.
    static let ok = ExitCode(0)
    /// Ran; at least one finding at or above --fail-on failed.
    static let failed = ExitCode(1)
    /// A policy file does not load.
    static let invalidPolicy = ExitCode(2)
    /// Could not run at all.
    static let couldNotRun = ExitCode(3)
}

/// An error that ends the run with exit 3 and a one-line message on stderr.
struct CouldNotRun: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
