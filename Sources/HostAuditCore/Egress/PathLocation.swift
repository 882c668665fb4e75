/// Where on the path a blocked flow stops: the analysis of TTL-limited
/// probes of the blocked flow and of a contrast flow (another port of the
/// same destination that answered). Pure: the Linux layer sends the probes
/// (`PathLocator`) and hands the answers here. See docs/path-location.md.

/// What one TTL-limited probe drew.
package struct HopAnswer: Sendable, Equatable {
    package enum Kind: String, Sendable, Equatable {
        /// ICMP time-exceeded: the probe reached the router at this TTL.
        case timeExceeded = "time-exceeded"
        /// A SYN-ACK or reset: the probe reached the destination.
        case destination
        /// An ICMP unreachable (a reject) from `address`.
        case unreachable
        /// Nothing within the window.
        case silent
        /// The probe could not be sent (a local error).
        case error
    }

    package var kind: Kind
    /// The sender of the answer (router, rejecter or destination).
    package var address: String?
    package var rttMs: Double?
    /// nmap's reason word for an unreachable.
    package var reason: String?

    package init(_ kind: Kind, address: String? = nil, rttMs: Double? = nil, reason: String? = nil) {
        self.kind = kind
        self.address = address
        self.rttMs = rttMs
        self.reason = reason
    }

    package static let silent = HopAnswer(.silent)

    /// Evidence that something at this TTL answered for the probe's path.
    var answered: Bool { kind == .timeExceeded || kind == .destination }
}

/// Everything gathered for one blocked flow.
package struct PathProbeSet: Sendable, Equatable {
    package var destination: String
    package var port: Int
    /// TTL → answer of the blocked flow (round one, merged with the re-check).
    package var flow: [Int: HopAnswer]
    package var contrastPort: Int?
    /// TTL → answer of the contrast flow.
    package var contrast: [Int: HopAnswer]
    /// The ICMP unreachable's sender when the full-TTL probe was rejected; nil for silence.
    package var offender: String?
    /// The second look at the boundary: contrast, blocked flow, contrast again, sent back to back.
    package var recheck: Recheck?
    package var maxTTL: Int
    /// `tcp` or `udp`. A UDP flow's silence at the destination is no proof
    /// of a drop (a service may ignore the probe), so it never locates a drop
    /// between the last router and the destination.
    package var proto: String = "tcp"

    package struct Recheck: Sendable, Equatable {
        package var ttl: Int
        package var flow: HopAnswer
        /// The contrast sent just before the blocked flow, and just after it.
        package var contrast: HopAnswer?
        package var contrastAfter: HopAnswer?
        package init(ttl: Int, flow: HopAnswer, contrast: HopAnswer?, contrastAfter: HopAnswer? = nil) {
            self.ttl = ttl
            self.flow = flow
            self.contrast = contrast
            self.contrastAfter = contrastAfter ?? contrast
        }
    }

    package init(
        destination: String, port: Int, flow: [Int: HopAnswer], contrastPort: Int?, contrast: [Int: HopAnswer],
        offender: String? = nil, recheck: Recheck? = nil, maxTTL: Int
    ) {
        self.destination = destination
        self.port = port
        self.flow = flow
        self.contrastPort = contrastPort
        self.contrast = contrast
        self.offender = offender
        self.recheck = recheck
        self.maxTTL = maxTTL
    }
}

/// One entry of the contract's `hops`.
package struct PathHop: Sendable, Equatable {
    package var ttl: Int
    /// Null for a hop that answered no probe (`*`).
    package var address: String?
    package var rttMs: Double?
    /// True when the blocked flow went beyond this hop, false when it did not,
    /// null when the probes cannot tell.
    package var passed: Bool?
    /// True when the blocked flow's own probe answered at this hop.
    package var reached: Bool
    package var isDestination: Bool

    package func json() -> JSONValue {
        .object(
            JSONObject([
                ("ttl", .int(Int64(ttl))), ("address", address.map(JSONValue.string) ?? .null),
                ("rtt_ms", rttMs.map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
                ("passed", passed.map(JSONValue.bool) ?? .null), ("reached", .bool(reached)),
                ("destination", .bool(isDestination)),
            ]))
    }
}

/// The contract's `blocked_at`, plus the hop after the block (`before_hop`).
package struct BlockedAt: Sendable, Equatable {
    package enum Place: String, Sendable, Equatable {
        case gateway, network, destination
    }

    /// The last hop the blocked flow is known to reach (the rejecter, for a reject).
    package var hop: Int
    package var address: String?
    /// Null when the hops the block may sit at span more than one place.
    package var place: Place?
    /// `proven`, `likely`, or `unknown` when the block is after `hop` but silent hops or rate limits hide how far.
    package var confidence: Confidence
    /// The next hop on the path that is known not to see the flow.
    package var beforeHop: Int?
    var beforeAddress: String?

    package func json() -> JSONValue {
        .object(
            JSONObject([
                ("hop", .int(Int64(hop))), ("address", address.map(JSONValue.string) ?? .null),
                ("where", place.map { .string($0.rawValue) } ?? .null), ("confidence", .string(confidence.rawValue)),
                ("before_hop", beforeHop.map { .int(Int64($0)) } ?? .null),
                ("before_address", beforeAddress.map(JSONValue.string) ?? .null),
            ]))
    }
}

/// The answer for one blocked flow: the hops, where it stops, in words.
package struct PathLocation: Sendable, Equatable {
    package var hops: [PathHop]
    package var blockedAt: BlockedAt?
    /// One sentence: where the flow stops, or what the probes leave unknown.
    package var summary: String
    package var contrastPort: Int?

    package init(hops: [PathHop], blockedAt: BlockedAt?, summary: String, contrastPort: Int?) {
        self.hops = hops
        self.blockedAt = blockedAt
        self.summary = summary
        self.contrastPort = contrastPort
    }

    /// The summary as a sentence to append to an explanation.
    package var sentence: String {
        guard let f = summary.first else { return "" }
        return "On the path: " + String(f) + summary.dropFirst() + "."
    }

    /// Where the block sits, in the words people use, when `blocked_at` is
    /// known (proven or likely): the gateway, a router in the network, the
    /// provider's router after the gateway, or the destination. Nil otherwise.
    package var whereWords: String? {
        guard let b = blockedAt, b.confidence != .unknown else { return nil }
        let at = "hop \(b.hop), \(b.address ?? "*")"
        let isDestination = { (t: Int?) in t.map { t in self.hops.contains { $0.ttl == t && $0.isDestination } } ?? false }
        if b.address != nil, let first = hops.first(where: { $0.ttl == b.hop }), first.isDestination {
            return "rejected by the destination itself (\(at))"
        }
        guard let before = b.beforeHop else {
            // A reject: the router that sends it is the block.
            switch b.place {
            case .gateway?: return "rejected at your gateway (\(at))"
            case .destination?: return "rejected at the last router before the destination (\(at))"
            default: return "rejected at a router in the network (\(at))"
            }
        }
        let beforeText = isDestination(before) ? "the destination" : "hop \(before), \(b.beforeAddress ?? "*")"
        if isDestination(before) {
            if b.hop == 1 {
                return "dropped at the provider's router, after your gateway (\(at), saw the flow; \(beforeText) did not), unless the destination's own firewall drops it"
            }
            return "dropped at the last router before the destination (\(at), saw the flow; \(beforeText) did not), after your gateway, unless the destination's own firewall drops it"
        }
        if b.hop == 1 { return "dropped at your gateway (\(at), saw the flow; \(beforeText) did not)" }
        return "dropped at a router in the network, after your gateway (\(at), saw the flow; \(beforeText) did not)"
    }

    /// `1 10.66.1.1 0.3 ms, 2 *, 3 10.66.3.1 …`
    var hopsLine: String {
        hops.map { h in
            var s = "\(h.ttl) \(h.address ?? "*")"
            if let r = h.rttMs { s += " \(EgressExplainer.formatMs(r))" }
            if h.isDestination { s += " (destination)" }
            return s
        }.joined(separator: ", ")
    }
}

/// Decides where a blocked flow stops. A hop is named only from an answer
/// (time-exceeded, or the reject's sender found among the hops); silent
/// hops and rate limits lower the confidence to `unknown` and are named.
package enum PathAnalysis {
    /// The highest TTL at which the blocked flow drew time-exceeded (0: none),
    /// and the first TTL above it at which the contrast flow shows the path goes on.
    package static func boundary(_ s: PathProbeSet) -> (reached: Int, next: Int?) {
        let h = s.flow.filter { $0.value.kind == .timeExceeded }.keys.max() ?? 0
        let k = s.contrast.filter { $0.key > h && $0.value.answered }.keys.min()
        return (h, k)
    }

    static func place(after hop: Int, destinationTTL: Int?) -> BlockedAt.Place {
        if hop <= 1 { return .gateway }
        if let d = destinationTTL, hop + 1 >= d { return .destination }
        return .network
    }

    static func placeWords(_ p: BlockedAt.Place) -> String {
        switch p {
        case .gateway: return "your gateway (the first router, often the provider's edge) or the link after it drops it"
        case .network: return "a router in the network between drops it"
        case .destination: return "the last router before the destination or the destination's own firewall drops it"
        }
    }

    static func hopText(_ ttl: Int, _ address: String?) -> String {
        "hop \(ttl) (\(address ?? "*"))"
    }

    package static func locate(_ s: PathProbeSet) -> PathLocation {
        var flow = s.flow
        var contrast = s.contrast
        if let r = s.recheck {
            if flow[r.ttl]?.kind != .timeExceeded, r.flow.kind == .timeExceeded { flow[r.ttl] = r.flow }
            if let c = r.contrast, contrast[r.ttl]?.answered != true, c.answered { contrast[r.ttl] = c }
        }
        let merged = PathProbeSet(
            destination: s.destination, port: s.port, flow: flow, contrastPort: s.contrastPort, contrast: contrast,
            offender: s.offender, recheck: s.recheck, maxTTL: s.maxTTL)
        let (h, k) = boundary(merged)
        let udpAtDestination = s.proto == "udp" && k != nil && k == contrast.filter({ $0.value.kind == .destination }).keys.min()
        let destTTL = contrast.filter { $0.value.kind == .destination }.keys.min()
        func address(_ t: Int) -> String? {
            if let a = flow[t], a.kind == .timeExceeded { return a.address }
            if let a = contrast[t], a.answered { return a.address }
            return t == destTTL ? s.destination : nil
        }
        let contrastWords = s.contrastPort.map { p in
            destTTL != nil ? "the same path carries port \(p) to the destination" : "port \(p)'s probes show the path beyond"
        }

        var blocked: BlockedAt?
        var summary: String
        // A reject seen only by the hop-limited probes (the full probe's ICMP was rate-limited) counts too.
        let offender = s.offender ?? flow.keys.sorted().compactMap { flow[$0]?.kind == .unreachable ? flow[$0]?.address : nil }.first
        if let offender {
            // A reject: the sender of the unreachable, found on the path.
            let rejectTTL = flow.filter { $0.value.kind == .unreachable }.keys.min()
            let hopOfOffender = (1...max(1, s.maxTTL)).first { t in
                (flow[t]?.kind == .timeExceeded && flow[t]?.address == offender)
                    || (contrast[t]?.answered == true && contrast[t]?.address == offender)
            }
            if offender != s.destination, let t = hopOfOffender {
                let p = place(after: t, destinationTTL: destTTL)
                blocked = BlockedAt(hop: t, address: offender, place: p, confidence: .proven, beforeHop: nil, beforeAddress: nil)
                summary = "rejected at \(hopText(t, offender)): the reject comes from that router on the path"
            } else if offender == s.destination {
                let t = hopOfOffender ?? destTTL ?? rejectTTL
                blocked = t.map {
                    BlockedAt(hop: $0, address: offender, place: .destination, confidence: .proven, beforeHop: nil, beforeAddress: nil)
                }
                summary = "rejected by the destination itself (\(offender))\(t.map { ", \($0) hops away" } ?? "")"
            } else if let r = rejectTTL, r > 1 {
                // Probes with TTL below r drew time-exceeded; from r on, the reject: the rejecter is hop r-1.
                let t = r - 1
                blocked = BlockedAt(
                    hop: t, address: offender, place: place(after: t, destinationTTL: destTTL), confidence: .likely,
                    beforeHop: nil, beforeAddress: nil)
                summary = "rejected by \(offender) at hop \(t): probes that expire earlier draw time-exceeded, later ones the reject (the router answers from another address than its time-exceeded)"
            } else {
                summary = "rejected by \(offender), which is not among the hops that answered; where it sits on the path is unknown"
            }
        } else if h == 0 {
            if let k, k == 1, confirmed(s.recheck, ttl: 1) == true {
                summary = "the flow does not reach even hop 1 (\(address(1) ?? "*")), while \(s.contrastPort.map { "port \($0)" } ?? "another port") does: this host or the gateway's own input filter drops it"
            } else {
                summary = "no hop answered for this flow, not even hop 1: the gateway may drop it before its TTL check, suppress time-exceeded, or this host may drop it; where it stops is unknown"
            }
        } else if let k, udpAtDestination {
            // UDP: the last router saw the flow; the destination's silence may be
            // its firewall or a service that ignores the probe.
            blocked = BlockedAt(hop: h, address: address(h), place: nil, confidence: .unknown, beforeHop: k, beforeAddress: address(k))
            summary = "the flow reaches \(hopText(h, address(h)))\(k == h + 1 ? ", the last router before the destination" : ""); the destination sends nothing back: the last router or the destination's own firewall may drop it, or the service may ignore the probe (UDP has no handshake)"
        } else if let k {
            if k == h + 1 {
                let words = contrastWords ?? "another port's probes show the path beyond"
                let c: Confidence
                var caveat = ""
                switch confirmed(s.recheck, ttl: k) {
                case true?: c = .proven
                case false?:
                    c = .unknown
                    caveat = ", but hop \(k) did not answer the re-check for the other port either (an ICMP rate limit?), so whether the flow gets that far is unknown"
                case nil: c = .likely
                }
                let p = place(after: h, destinationTTL: destTTL)
                blocked = BlockedAt(
                    hop: h, address: address(h), place: c == .unknown ? nil : p, confidence: c, beforeHop: k,
                    beforeAddress: address(k))
                let before = k == destTTL ? "the destination" : hopText(k, address(k))
                if c == .unknown {
                    summary = "the flow reaches \(hopText(h, address(h))) and was not seen at \(before)\(caveat)"
                } else {
                    var wordsPlace = placeWords(p)
                    if p == .gateway && k == destTTL {
                        wordsPlace = "your gateway (the first router, often the provider's edge) or the destination's own firewall drops it"
                    }
                    summary = "dropped after \(hopText(h, address(h))) and before \(before); \(words): \(wordsPlace)"
                }
            } else {
                let places = Set((h..<k).map { place(after: $0, destinationTTL: destTTL) })
                blocked = BlockedAt(
                    hop: h, address: address(h), place: places.count == 1 ? places.first : nil, confidence: .unknown,
                    beforeHop: k, beforeAddress: address(k))
                let silent = (h + 1..<k).map(String.init).joined(separator: ", ")
                let before = k == destTTL ? "the destination" : hopText(k, address(k))
                let port = s.contrastPort.map { "port \($0)'s" } ?? "another port's"
                summary = "reaches \(hopText(h, address(h))); \(port) probes show \(before) further on, which the flow does not reach; hop\(k - h > 2 ? "s" : "") \(silent) answer\(k - h > 2 ? "" : "s") no time-exceeded, so the filter may sit at hop \(h) or at any of them"
            }
        } else {
            blocked = BlockedAt(hop: h, address: address(h), place: nil, confidence: .unknown, beforeHop: nil, beforeAddress: nil)
            summary = "reaches \(hopText(h, address(h))); nothing answered beyond it"
                + (s.contrastPort == nil ? " and no other port of the destination answered to show the rest of the path, so where it stops after that hop is unknown" : " for either port, so where it stops after that hop is unknown")
        }

        // The hops, as far as any evidence goes.
        let rejectTTL = offender == nil ? nil : flow.filter { $0.value.kind == .unreachable }.keys.min()
        let last = [h, k ?? 0, destTTL ?? 0, (rejectTTL ?? 1) - 1, blocked?.hop ?? 0].max() ?? 0
        var hops: [PathHop] = []
        if last >= 1 {
            for t in 1...min(last, s.maxTTL) {
                let reached = flow[t]?.kind == .timeExceeded
                let rtt = (flow[t]?.kind == .timeExceeded ? flow[t]?.rttMs : nil) ?? (contrast[t]?.answered == true ? contrast[t]?.rttMs : nil)
                var passed: Bool?
                if let b = blocked {
                    if t < b.hop {
                        passed = true
                    } else if t > b.hop {
                        passed = false
                    } else {
                        passed = b.confidence == .unknown ? nil : false
                    }
                } else if t < h {
                    passed = true
                }
                hops.append(PathHop(ttl: t, address: address(t), rttMs: rtt, passed: passed, reached: reached, isDestination: t == destTTL))
            }
        }
        return PathLocation(hops: hops, blockedAt: blocked, summary: summary, contrastPort: s.contrastPort)
    }

    /// The re-check at `ttl`, probes sent back to back (contrast, blocked
    /// flow, contrast): true when the blocked flow stayed silent between two
    /// answered contrast probes. A rate limiter's budget only grows with time,
    /// so a hop that answered the later contrast probe would have answered the
    /// blocked one had it arrived. False when the flow stayed silent but a
    /// contrast probe did too (rate limit); nil when there was no re-check
    /// at this TTL or the flow answered there.
    static func confirmed(_ r: PathProbeSet.Recheck?, ttl: Int) -> Bool? {
        guard let r, r.ttl == ttl, let c = r.contrast, r.flow.kind == .silent else { return nil }
        return c.answered && (r.contrastAfter?.answered ?? false)
    }
}
