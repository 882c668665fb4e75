import Foundation

/// Writes to standard output / standard error without buffering surprises.
enum Output {
    static func write(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }

    static func write(bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
    }

    static func error(_ s: String) {
        FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8))
    }

    /// Whether a stream is a terminal (colour and progress only then).
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }
}
