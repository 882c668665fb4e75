import HostAuditCore

/// Which processes and files `--evidence DIR` keeps, and how the report cites them.
package enum EvidenceSelection {
    /// The targets high or critical failed findings name: processes (by pid) and persistence files.
    package static func requests(for findings: [Finding]) -> [EvidenceRequest] {
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

    /// Without policies (`facts --evidence`): the processes a signature matched.
    package static func requests(forSignatureMatchesIn facts: JSONValue) -> [EvidenceRequest] {
        var requests: [EvidenceRequest] = []
        if case .array(let list)? = facts["processes"]?["list"] {
            for p in list {
                guard case .int(let pid)? = p["pid"], case .array(let m)? = p["signatures"]?["matches"], !m.isEmpty
                else { continue }
                requests.append(EvidenceRequest(target: .process(Int32(truncatingIfNeeded: pid)), cause: "signatures"))
            }
        }
        return requests
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
