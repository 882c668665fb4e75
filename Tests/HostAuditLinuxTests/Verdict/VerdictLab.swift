import Foundation
import HostAuditTestSupport

/// A namespace with the lab's local addresses on `lo`, a loaded ruleset, and
/// the `verdict-lab` worker (built next to `hostaudit`) to run flows through.
enum VerdictLab {
    static let v4 = ["10.77.0.1", "10.77.0.2", "10.77.0.3", "10.77.1.1", "127.0.0.1"]
    static let v6 = ["fd77::1", "fd77::2", "fd77:1::1", "::1"]
    static let ports: [UInt16] = Array(8001...8008)

    static var labPath: String {
        URL(fileURLWithPath: HostAuditCLI.binaryPath).deletingLastPathComponent().appendingPathComponent("verdict-lab").path
    }

    /// Adds the lab addresses (all local, so every flow has a listener).
    static func prepare(_ ns: NetNamespace) throws {
        for a in v4 where a != "127.0.0.1" { try ns.check(["ip", "addr", "add", "\(a)/32", "dev", "lo"]) }
        for a in v6 where a != "::1" { try ns.check(["ip", "addr", "add", "\(a)/128", "dev", "lo", "nodad"]) }
    }

    struct Row {
        var proto: String, dst: String, dport: String, sport: String
        var staticVerdict: String, staticRule: String
        var traceVerdict: String, traceRule: String
        var probe: String, notes: String
        /// The SYN-ACK's static verdict on its way back in (`-` for UDP).
        var replyVerdict: String, replyRule: String
        var flow: String { "\(proto) \(dst) \(dport) (sport \(sport))" }
    }

    /// Runs the flows (`tcp ADDR PORT` lines) through `verdict-lab` in the namespace.
    static func run(_ ns: NetNamespace, flows: [String]) throws -> [Row] {
        let r = try ns.check(
            [labPath, "--ports", ports.map(String.init).joined(separator: ","), "--wait-ms", "40"],
            stdin: flows.joined(separator: "\n") + "\n", timeout: 300)
        return r.stdout.split(separator: "\n").map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Row(
                proto: f[0], dst: f[1], dport: f[2], sport: f[3], staticVerdict: f[4], staticRule: f[5],
                traceVerdict: f[6], traceRule: f[7], probe: f[8], notes: f.count > 9 ? f[9] : "",
                replyVerdict: f.count > 10 ? f[10] : "-", replyRule: f.count > 11 ? f[11] : "-")
        }
    }

    /// Whether the real packet's fate agrees with a verdict.
    static func probeAgrees(_ verdict: String, _ probe: String) -> Bool {
        switch verdict {
        case "accept": return probe == "connected" || probe == "received"
        case "drop": return probe == "pending" || probe == "lost" || probe.hasPrefix("sendfailed")
        case "reject": return probe.hasPrefix("failed") || probe == "lost" || probe.hasPrefix("sendfailed")
        default: return false
        }
    }
}
