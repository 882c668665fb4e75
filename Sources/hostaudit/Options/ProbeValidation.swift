import ArgumentParser
import HostAuditCore

/// The checks `egress` and `audit` share for their probe options.
enum ProbeValidation {
    /// Every TARGET parses with the one target grammar; the first that does not is misuse.
    static func targets(_ targets: [String]) throws {
        for t in targets {
            do { _ = try EgressTargetParser.parse(t) } catch { throw ValidationError(error.description) }
        }
    }

    static func timeout(_ timeout: Double) throws {
        guard timeout.isFinite, timeout > 0, timeout <= 600 else {
            throw ValidationError("--timeout must be more than 0 and at most 600 seconds.")
        }
    }
}
