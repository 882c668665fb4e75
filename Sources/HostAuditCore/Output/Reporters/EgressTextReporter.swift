/// Renders an egress document for people: one block per probe (target,
/// address, state and reason, cause, then the explanation), then how each
/// name resolved. Host-supplied text is escaped.
public struct EgressTextRenderer: Sendable {
    public init() {}

    public func render(_ doc: EgressDocument) -> String {
        var out = ""
        for p in doc.probes {
            var addr = p.address.map { $0.contains(":") ? "[\($0)]:\(p.target.port)" : "\($0):\(p.target.port)" } ?? "-"
            if p.target.proto == .udp && p.address != nil { addr += "/udp" }
            let ms = p.elapsedMs.map { " \(EgressExplainer.formatMs($0))" } ?? ""
            out += "\(TerminalText.escape(p.target.text)) -> \(addr)  \(p.state.rawValue.uppercased()) (\(p.reason.rawValue))\(ms)  cause: \(p.cause.rawValue) (\(p.confidence.rawValue))\n"
            out += "  \(TerminalText.escape(p.explanation))\n"
            for (i, c) in p.candidates.enumerated() {
                out += "  candidate \(i + 1): \(c.cause.rawValue): \(TerminalText.escape(c.why)); tell apart: \(TerminalText.escape(c.tellApart))\n"
            }
            if let r = p.route, r.refuses { out += "  route: \(r.label)\n" }
            if let l = p.location {
                if !l.hops.isEmpty { out += "  hops: \(TerminalText.escape(l.hopsLine))\n" }
                if let w = l.whereWords { out += "  where: \(TerminalText.escape(w))\n" }
            }
            var details: [String] = []
            if let icmp = p.evidence?.icmp ?? p.udp?.icmp {
                details.append(
                    "\(icmp.label) from \(icmp.offender ?? "?")\(icmp.offenderIsLocal ? " (this host)" : "")")
            }
            if p.address != nil {
                switch p.icmpEcho.reachable {
                case .some(true):
                    details.append("ICMP echo answered (\(p.icmpEcho.method ?? "?")\(p.icmpEcho.rttMs.map { ", \(EgressExplainer.formatMs($0))" } ?? ""))")
                case .some(false): details.append("ICMP echo not answered\(p.icmpEcho.detail.map { " (\($0))" } ?? "")")
                case .none: details.append("ICMP echo not tested\(p.icmpEcho.detail.map { " (\($0))" } ?? "")")
                }
            }
            if p.evidence?.reprobed == true { details.append("re-probed alone (ICMP rate limit)") }
            if let u = p.udp { details.append("\(u.payload.rawValue), \(u.datagramsSent) datagram\(u.datagramsSent == 1 ? "" : "s") sent") }
            if !p.target.origins.isEmpty {
                details.append("from \(p.target.origins.map { TerminalText.escape($0.description) }.joined(separator: ", "))")
            }
            if !details.isEmpty { out += "  " + details.joined(separator: "; ") + "\n" }
        }
        if !doc.resolutions.isEmpty {
            out += "DNS:\n"
            for r in doc.resolutions {
                let addrs = r.addresses.isEmpty ? "no address" : r.addresses.joined(separator: ", ")
                out += "  \(TerminalText.escape(r.name)): \(addrs)\n"
                if !r.hostsFileAddresses.isEmpty { out += "    /etc/hosts: \(r.hostsFileAddresses.joined(separator: ", "))\n" }
                for s in r.servers {
                    out += "    \(s.server): \(s.status.rawValue) in \(Int(s.elapsedMs.rounded())) ms"
                    if !s.addresses.isEmpty { out += " (\(s.addresses.joined(separator: ", ")))" }
                    out += "\n"
                }
                if let note = r.note { out += "    \(TerminalText.escape(note))\n" }
            }
        }
        if !doc.nameServers.isEmpty {
            out += "Name servers (53/udp):\n"
            for p in doc.nameServers {
                out += "  \(TerminalText.escape(p.target.host))  \(p.state.rawValue.uppercased()) (\(p.reason.rawValue))  cause: \(p.cause.rawValue) (\(p.confidence.rawValue))\n"
                if !p.isOpen { out += "    \(TerminalText.escape(p.explanation))\n" }
                if let w = p.location?.whereWords { out += "    where: \(TerminalText.escape(w))\n" }
            }
        }
        if !doc.problems.isEmpty {
            out += "Package sources not probed:\n"
            for p in doc.problems {
                let at = p.line.map { "\(p.path):\($0)" } ?? p.path
                out += "  \(TerminalText.escape(at)): \(TerminalText.escape(p.problem))\n"
            }
        }
        let open = doc.probes.filter(\.isOpen).count
        out += "\(open) of \(doc.probes.count) target\(doc.probes.count == 1 ? "" : "s") open\n"
        return out
    }
}

extension EgressTextRenderer: EgressReporter {}
