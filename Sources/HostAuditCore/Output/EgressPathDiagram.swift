import Foundation

/// The path one probe took, as stages from this host to the target, and where
/// it died: drawn as an inline SVG (and written out as a list beside it, so
/// nothing depends on the picture or its colours).
///
/// Built from the probe's JSON (`hostaudit.egress/v1` probe objects), so it
/// uses whatever the probe carries: `hops`/`blocked_at` when present (one
/// stage per hop), otherwise the cause-level stages (process → local chains →
/// route → gateway → upstream → target). A stage is marked failing only when
/// the probe's `cause` places the block there; with cause `unknown` the
/// stages of each candidate cause are marked `suspect`, never `failed`.
package struct EgressPathDiagram: Sendable {
    package enum Status: String, Sendable {
        case passed, failed, suspect, notReached = "not-reached", unknown
    }

    package struct Stage: Sendable {
        package var key: String
        package var title: String
        package var lines: [String]
        package var status: Status
        /// For the failing stage: what failed there, in words.
        package var failure: String?
        /// False when the block is at this stage or somewhere after it
        /// (`blocked_at` with confidence `unknown`: the flow reaches this hop,
        /// silent hops or rate limits hide how far beyond).
        package var located: Bool = true
    }

    package var stages: [Stage]
    package var probe: JSONValue

    /// Which cause-level stage a cause blocks at.
    static func stageKey(for cause: String) -> String? {
        switch cause {
        case "selinux-denied": return "process"
        case "dns-failure": return "resolver"
        case "local-firewall": return "local"
        case "no-route": return "route"
        case "upstream-filter", "upstream-reject": return "upstream"
        case "host-down", "closed-port": return "target"
        default: return nil
        }
    }

    package init(probe p: JSONValue, hostname: String?) {
        self.probe = p
        let cause = p["cause"]?.stringValue ?? "unknown"
        let confidence = p["confidence"]?.stringValue
        let failingKey = Self.stageKey(for: cause)
        let suspects = Set((p["candidates"]?.arrayValue ?? []).compactMap { $0["cause"]?.stringValue }.compactMap(Self.stageKey))
        let reason = p["reason"]?.stringValue ?? ""
        let failureText: String = {
            var s = cause
            if let confidence { s += " (\(confidence))" }
            if !reason.isEmpty { s += ": \(reason)" }
            return s
        }()

        var stages: [Stage] = []
        // 1. The process: the probing program on this host.
        var procLines = ["hostaudit probe" + (hostname.map { " on \($0)" } ?? "")]
        if let rel = p["related_findings"]?.arrayValue, !rel.isEmpty {
            procLines.append("host findings: " + rel.compactMap(\.stringValue).joined(separator: ", "))
        }
        if let uid = p["uid"]?.intValue { procLines.append("uid \(uid)") }
        stages.append(Stage(key: "process", title: "process", lines: procLines, status: .passed))

        // 2. The resolver, when the target is a name.
        let host = p["host"]?.stringValue ?? ""
        let address = p["address"]?.stringValue
        if cause == "dns-failure" || (address != nil && host != address) {
            var lines = [host]
            for e in p["evidence"]?.arrayValue ?? [] where e["kind"]?.stringValue == "dns" {
                if let d = e["detail"]?.stringValue { lines.append(d) }
            }
            if let a = address { lines.append("→ \(a)") }
            stages.append(Stage(key: "resolver", title: "name servers", lines: lines, status: .passed))
        }

        // 3. The local chains and the rule that decided.
        var localLines: [String] = []
        if let v = p["local_verdict"], !v.isNull {
            let where_ = [v["table"]?.stringValue, v["chain"]?.stringValue].compactMap { $0 }.joined(separator: " ")
            localLines.append((v["verdict"]?.stringValue ?? "?") + (where_.isEmpty ? "" : " in \(where_)"))
            if let h = v["handle"]?.intValue { localLines.append("handle \(h)") }
            if let r = v["rule"]?.stringValue { localLines.append("rule: \(r)") }
            if let d = v["counter_delta_packets"]?.intValue { localLines.append("counter +\(d) packets") }
            if v["traced"]?.boolValue == true { localLines.append("traced by the kernel") }
        } else {
            localLines.append("no local verdict")
        }
        let localStatus: Status = {
            let v = p["local_verdict"]?["verdict"]?.stringValue
            return v == "accept" ? .passed : .unknown
        }()
        stages.append(Stage(key: "local", title: "local chains", lines: localLines, status: localStatus))

        // 4. The route.
        var routeLines: [String] = []
        if let r = p["route"], !r.isNull {
            if let t = r["route"]?.stringValue { routeLines.append(t) } else if let k = r["type"]?.stringValue { routeLines.append(k) }
            if let rule = r["rule"]?.stringValue { routeLines.append("policy rule: \(rule)") }
            if let ke = r["kernel_error"]?.stringValue { routeLines.append(ke) }
        } else {
            routeLines.append("the kernel's route")
        }
        stages.append(Stage(key: "route", title: "route", lines: routeLines, status: .unknown))

        // 5. The network: hops when traced, else gateway and upstream.
        let hops = p["hops"]?.arrayValue ?? []
        let blockedHop = p["blocked_at"]?["hop"]?.intValue
        let unlocated = blockedHop != nil && p["blocked_at"]?["confidence"]?.stringValue == "unknown"
        let beforeHop = p["blocked_at"]?["before_hop"]?.intValue
        let icmp = p["icmp_error"]
        let offender = icmp?["offender"]?.stringValue
        let offenderLocal = icmp?["offender_is_local"]?.boolValue ?? false
        if !hops.isEmpty {
            for h in hops {
                let ttl = h["ttl"]?.intValue ?? 0
                var lines = [h["address"]?.stringValue ?? "* (no answer)"]
                if let rtt = h["rtt_ms"]?.doubleValue { lines.append(String(format: "%.1f ms", rtt)) }
                var title = "hop \(ttl)"
                if unlocated, blockedHop == ttl {
                    // The flow is known to reach this hop; how far beyond it goes is not known.
                    title += " or after"
                    lines.append("the flow reaches it")
                    lines.append(beforeHop.map { "block: here or before hop \($0)" } ?? "where after it: unknown")
                }
                let passed = h["passed"]?.boolValue
                let st: Status = blockedHop == ttl ? .failed : passed == true ? .passed : passed == false ? .notReached : .unknown
                stages.append(Stage(key: "hop-\(ttl)", title: title, lines: lines, status: st))
            }
        } else {
            var gw: [String] = []
            if let rt = p["route"]?["route"]?.stringValue, let via = Self.word(after: "via", in: rt) { gw.append(via) } else {
                gw.append("first router")
            }
            stages.append(Stage(key: "gateway", title: "gateway", lines: gw, status: .unknown))
            var up: [String] = []
            if let offender, !offenderLocal { up.append("ICMP from \(offender)") }
            if let reach = p["icmp_reachable"]?.boolValue {
                up.append(reach ? "target answers ping" : "no ping answer")
            }
            if up.isEmpty { up.append("the networks between") }
            stages.append(Stage(key: "upstream", title: "upstream", lines: up, status: .unknown))
        }

        // 6. The target.
        let port = p["port"]?.intValue.map { String($0) } ?? "?"
        let proto = p["protocol"]?.stringValue ?? "tcp"
        var tl = [(address.map { $0.contains(":") ? "[\($0)]" : $0 } ?? host) + ":\(port)/\(proto)"]
        if host != address, !host.isEmpty { tl.append(host) }
        tl.append("\(p["state"]?.stringValue ?? "?") (\(reason))")
        stages.append(Stage(key: "target", title: "target", lines: tl, status: .unknown))

        // Mark the outcome along the path.
        let open = p["state"]?.stringValue == "open"
        if open {
            for i in stages.indices { stages[i].status = .passed }
        } else if let blockedHop, !hops.isEmpty, let i = stages.firstIndex(where: { $0.key == "hop-\(blockedHop)" }) {
            // Traced: the hop decides; stages before it passed, after it were not reached.
            stages[i].failure = failureText
            stages[i].located = !unlocated
            for j in stages.indices where j < i && stages[j].status == .unknown { stages[j].status = .passed }
            for j in stages.indices where j > i { stages[j].status = .notReached }
        } else if let failingKey, let i = stages.firstIndex(where: { $0.key == failingKey }) {
            stages[i].status = .failed
            stages[i].failure = failureText
            for j in stages.indices where j < i && stages[j].status == .unknown && stages[j].key != "gateway" {
                stages[j].status = .passed
            }
            for j in stages.indices where j > i { stages[j].status = .notReached }
        } else {
            // No stage is proven: the candidates' stages are suspects, nothing is marked failed.
            for i in stages.indices where suspects.contains(stages[i].key) { stages[i].status = .suspect }
        }
        self.stages = stages
    }

    static func word(after marker: String, in s: String) -> String? {
        let parts = s.split(separator: " ")
        guard let i = parts.firstIndex(of: Substring(marker)), i + 1 < parts.count else { return nil }
        return String(parts[i + 1])
    }

    package var failingStage: Stage? { stages.first { $0.status == .failed } }

    static func mark(_ s: Status) -> String {
        switch s {
        case .passed: return "✓"
        case .failed: return "✗"
        case .suspect: return "?"
        case .notReached: return "–"
        case .unknown: return "·"
        }
    }

    /// The SVG: one box per stage, arrows between them, the failing box red
    /// with a cross and its cause under it.
    package func svg(id: String) -> String {
        let boxW = 168, boxH = 104, gap = 30, pad = 8
        let width = pad * 2 + stages.count * boxW + max(0, stages.count - 1) * gap
        let height = boxH + 2 * pad + 56
        let title = "Path of the probe to \(probe["target"]?.stringValue ?? "?")"
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"path\" id=\"\(id)\" role=\"img\" "
        out += "viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" aria-labelledby=\"\(id)-t\">"
        out += "<title id=\"\(id)-t\">\(HTMLText.text(title))</title>"
        for (i, st) in stages.enumerated() {
            let x = pad + i * (boxW + gap)
            let y = pad
            let failed = st.status == .failed
            out += "<g class=\"hop hop-\(st.status.rawValue)\" data-hop=\"\(HTMLText.token(st.key))\" data-status=\"\(st.status.rawValue)\">"
            let label = st.located ? "BLOCKED HERE" : "BLOCKED HERE OR AFTER"
            out += "<title>\(HTMLText.text(([st.title] + st.lines + (st.failure.map { ["\(label): \($0)"] } ?? [])).joined(separator: "\n")))</title>"
            out += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(boxW)\" height=\"\(boxH)\" rx=\"8\"/>"
            out += "<text x=\"\(x + 10)\" y=\"\(y + 20)\" class=\"h\">\(Self.mark(st.status)) \(HTMLText.short(st.title, 18))</text>"
            for (k, line) in st.lines.prefix(4).enumerated() {
                out += "<text x=\"\(x + 10)\" y=\"\(y + 40 + k * 16)\">\(HTMLText.short(line, 24))</text>"
            }
            if failed, let f = st.failure {
                out += "<text x=\"\(x + boxW / 2)\" y=\"\(y + boxH + 20)\" class=\"why\" text-anchor=\"middle\">✗ \(label)</text>"
                // The cause and confidence on one line, the socket's reason on the next.
                let parts = f.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                for (k, part) in parts.enumerated() {
                    out += "<text x=\"\(x + boxW / 2)\" y=\"\(y + boxH + 36 + k * 15)\" class=\"why\" text-anchor=\"middle\">\(HTMLText.short(part, 30))</text>"
                }
            } else if st.status == .suspect {
                out += "<text x=\"\(x + boxW / 2)\" y=\"\(y + boxH + 20)\" class=\"sus\" text-anchor=\"middle\">? possible block</text>"
            }
            out += "</g>"
            if i + 1 < stages.count {
                let ax = x + boxW, ay = y + boxH / 2
                let dead = failed || st.status == .notReached
                out += "<path class=\"arrow\(dead ? " dead" : "")\" d=\"M\(ax + 2) \(ay) L\(ax + gap - 6) \(ay) M\(ax + gap - 12) \(ay - 5) L\(ax + gap - 4) \(ay) L\(ax + gap - 12) \(ay + 5)\"/>"
            }
        }
        out += "</svg>"
        return out
    }

    /// The same path as a list, for readers (and printers) without colour or pictures.
    package func list() -> String {
        var out = "<ol class=\"path-text\">"
        for st in stages {
            out += "<li class=\"hop-\(st.status.rawValue)\"><span class=\"mark\">\(Self.mark(st.status)) \(st.status.rawValue)</span> "
            out += "<b>\(HTMLText.text(st.title))</b>: " + st.lines.map { HTMLText.text($0) }.joined(separator: "; ")
            if let f = st.failure { out += " — <strong>\(st.located ? "blocked here" : "blocked here or after"): \(HTMLText.text(f))</strong>" }
            out += "</li>"
        }
        return out + "</ol>"
    }
}
