import Foundation
import HostAuditCore
import HostAuditLinux
import Synchronization

/// Writes to standard output / standard error without buffering surprises.
///
/// Every text renderer's output passes `TerminalText.escapeBlock`
/// here, the one boundary to the terminal: the renderers escape each host
/// string, and whatever one missed (a table or chain name, a rule comment in
/// `firewall show`) still cannot reach the terminal as a control character,
/// an escape sequence or a bidirectional override. JSON is already safe
/// (JSONWriter escapes the same characters) and passes unchanged.
enum Output {
    static func write(_ s: String, allowingColour: Bool = false) {
        FileHandle.standardOutput.write(Data(TerminalText.escapeBlock(s, allowingColour: allowingColour).utf8))
    }

    static func write(bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { writeToStandardOutput($0) }
    }

    /// `bytes` to standard output without copying them (a JSON document's pieces).
    @Sendable static func writeToStandardOutput(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        FileHandle.standardOutput.write(
            Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none))
    }

    /// Keeps `value` alive until the process exits (a static is never destroyed).
    static func keepUntilExit(_ value: any Sendable) { kept.withLock { $0.append(value) } }
    private static let kept = Mutex<[any Sendable]>([])

    /// `rendered` to `--output FILE` (atomically) when one is given, else to
    /// standard output; an unwritable file is exit 3.
    static func write(_ rendered: String, toFile output: String?) throws {
        guard let output else { return write(rendered) }
        do { try AtomicFile.write(Array(rendered.utf8), to: output) } catch {
            Output.error("hostaudit: --output \(TerminalText.escape(error.description))")
            throw ExitStatus.couldNotRun
        }
    }

    static func error(_ s: String) {
        let line = TerminalText.escapeBlock(s)
        FileHandle.standardError.write(Data((line.hasSuffix("\n") ? line : line + "\n").utf8))
    }

    /// Whether a stream is a terminal (colour and progress only then).
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }
}
