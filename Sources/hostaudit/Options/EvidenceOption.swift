import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

/// `--evidence DIR`: keep what a responder needs before anything is killed.
struct EvidenceOption: ParsableArguments {
    @Option(
        name: .customLong("evidence"),
        help: ArgumentHelp(
            "Keep evidence (executable, cmdline, environ, maps, status, open files, sockets, cited files) with a SHA-256 manifest in DIR (0700, never through a symlink).",
            valueName: "DIR"))
    var directory: String?

    /// The targets high or critical failed findings name: processes (by pid) and persistence files.
    static func requests(for findings: [Finding]) -> [EvidenceRequest] {
        var out: [EvidenceRequest] = []
        for f in findings where f.status == .fail && f.severity >= .high {
            let cause = "\(f.policy)/\(f.rule)"
            for case .object(let e) in f.evidence {
                if case .string("process")? = e["kind"], case .int(let pid)? = e["pid"] {
                    out.append(EvidenceRequest(target: .process(Int32(truncatingIfNeeded: pid)), cause: cause))
                } else if case .string("persistence")? = e["kind"], case .object(let v)? = e["value"] {
                    for key in ["path", "file", "source"] {
                        if case .string(let p)? = v[key], p.hasPrefix("/") {
                            out.append(EvidenceRequest(target: .file(p), cause: cause))
                            break
                        }
                    }
                }
            }
        }
        return out
    }

    /// The evidence entries of one finding's targets, for the report (the hashes a responder looks up).
    static func reportEntries(_ manifest: EvidenceManifest, directory: String, cause: String) -> [JSONValue] {
        manifest.files.filter { $0.cause.contains(cause) && ($0.path.hasSuffix("/exe") || $0.pid == nil) }.map {
            var o = JSONObject()
            o["kind"] = .string("evidence")
            o["path"] = .string(directory + "/" + $0.path)
            o["source"] = .string($0.source)
            o["sha256"] = .string($0.sha256)
            o["size"] = .int(Int64($0.size))
            if let pid = $0.pid { o["pid"] = .int(Int64(pid)) }
            if let exe = $0.exe { o["exe"] = .string(exe) }
            return .object(o)
        }
    }
}
