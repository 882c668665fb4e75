/// The traffic a host firewall is expected to handle besides its listening
/// services — loopback traffic, spoofed loopback sources, the host's own
/// outbound connections and their replies — answered by the same evaluator
/// as exposure and egress, never probed. See docs/exposure.md.
public struct TrafficControlFacts: Encodable, Sendable, Equatable {
    /// A new connection on `lo` (127.0.0.1 → 127.0.0.1, ::1 → ::1) is accepted.
    public var loopbackAccepted: Check
    /// A new connection claiming a loopback source (127.0.0.1, ::1) arriving on
    /// any other interface is dropped or rejected.
    public var loopbackSpoofDropped: Check
    /// A new outbound connection from the host to an outside address is accepted.
    public var outboundAccepted: Check
    /// The answer to that connection (its SYN-ACK, conntrack `established`)
    /// is accepted on the way back in.
    public var repliesAccepted: Check

    public init(loopbackAccepted: Check, loopbackSpoofDropped: Check, outboundAccepted: Check, repliesAccepted: Check) {
        self.loopbackAccepted = loopbackAccepted
        self.loopbackSpoofDropped = loopbackSpoofDropped
        self.outboundAccepted = outboundAccepted
        self.repliesAccepted = repliesAccepted
    }

    public struct Check: Encodable, Sendable, Equatable {
        /// `accept`, or `drop` (a drop or a reject).
        public var expected: String
        /// true: every case has the expected verdict; false: one has the
        /// other; null: none contradicts but one is unknown, or there was no
        /// case to evaluate (no interface of the family).
        public var met: Bool?
        public var cases: [Case]

        public init(expected: VerdictKind, cases: [Case]) {
            self.expected = expected == .accept ? "accept" : "drop"
            self.cases = cases
            func ok(_ v: String) -> Bool { expected == .accept ? v == "accept" : (v == "drop" || v == "reject") }
            if cases.contains(where: { $0.verdict != "unknown" && !ok($0.verdict) }) {
                met = false
            } else if cases.isEmpty || cases.contains(where: { $0.verdict == "unknown" }) {
                met = nil
            } else {
                met = true
            }
        }
    }

    /// One evaluated packet.
    public struct Case: Encodable, Sendable, Equatable {
        /// `ipv4` or `ipv6`.
        public var family: String
        /// The interface it arrives on (inbound cases) or leaves by (outbound, when the route is known).
        public var interface: String?
        /// `tcp 127.0.0.1 -> 127.0.0.1:50000`.
        public var flow: String
        /// `accept`, `drop`, `reject` or `unknown`.
        public var verdict: String
        /// The rule (or chain policy) that decided; null when unknown or nothing decided.
        public var decidedBy: ExposureFact.Location?

        public init(family: String, interface: String?, flow: String, verdict: String, decidedBy: ExposureFact.Location?) {
            self.family = family
            self.interface = interface
            self.flow = flow
            self.verdict = verdict
            self.decidedBy = decidedBy
        }
    }
}

extension ExposureAnalyzer {
    /// The destination port of every evaluated case: one no common service
    /// uses, so a rule for a service's port does not stand in for the general
    /// rule the benchmarks ask about.
    static let trafficPort: UInt16 = 50000
    /// The outside port of the outbound case (HTTPS: what a host fetches updates over).
    static let outboundPort: UInt16 = 443

    /// Evaluates the four traffic controls. `complete` fills in the route of
    /// an outbound flow (source address, output interface) the way the kernel
    /// would choose it; without it those matches stay unknown. `ephemeralPort`
    /// is the outbound connection's source port (one the kernel would pick
    /// from `ip_local_port_range`); nil leaves it unknown, and a rule on the
    /// port then makes the verdict unknown.
    package func trafficControls(ephemeralPort: UInt16? = nil, complete: (inout VerdictFlow) -> Void = { _ in }) -> TrafficControlFacts {
        let lo4 = IPAddress("127.0.0.1")!
        let lo6 = IPAddress("::1")!
        let port = Self.trafficPort
        func family(_ a: IPAddress) -> String { a.isIPv6 ? "ipv6" : "ipv4" }
        func text(_ f: VerdictFlow) -> String {
            let d = f.destination.isIPv6 ? "[\(f.destination)]" : f.destination.description
            let s = f.source.map { $0.isIPv6 ? "[\($0)]" : $0.description } ?? "?"
            return "\(f.proto.rawValue) \(s)\(f.sourcePort.map { ":\($0)" } ?? "") -> \(d):\(f.destinationPort)"
        }
        func record(_ f: VerdictFlow, _ interface: String?, _ r: VerdictResult) -> TrafficControlFacts.Case {
            .init(
                family: family(f.destination), interface: interface, flow: text(f), verdict: r.verdict.rawValue,
                decidedBy: r.verdict == .unknown ? nil : r.decidedBy.map(ExposureFact.Location.init))
        }

        // Loopback: on `lo` for each loopback address the host has.
        let loopbacks = interfaces.filter(\.isLoopback)
        var loopbackCases: [TrafficControlFacts.Case] = []
        for i in loopbacks {
            for a in [lo4, lo6] where i.addresses.contains(where: { $0.address == a }) {
                let f = VerdictFlow(destination: a, destinationPort: port, proto: .tcp, source: a)
                let r = evaluator.evaluateInbound(f, interface: InboundInterface(name: i.name, index: i.index), local: local)
                loopbackCases.append(record(f, i.name, r))
            }
        }

        // Spoofed loopback sources on every other interface, to its own address.
        var spoofCases: [TrafficControlFacts.Case] = []
        for i in interfaces where !i.isLoopback {
            for (src, v6) in [(lo4, false), (lo6, true)] {
                guard let dst = i.addresses.map(\.address).first(where: { $0.isIPv6 == v6 && !$0.isLinkLocal })
                else { continue }
                let f = VerdictFlow(destination: dst, destinationPort: port, proto: .tcp, source: src)
                let r = evaluator.evaluateInbound(f, interface: InboundInterface(name: i.name, index: i.index), local: local)
                spoofCases.append(record(f, i.name, r))
            }
        }

        // The host's own outbound connection to an outside address, and its reply.
        var outCases: [TrafficControlFacts.Case] = []
        var replyCases: [TrafficControlFacts.Case] = []
        let nonLoopback = interfaces.filter { !$0.isLoopback }.flatMap { $0.addresses.map(\.address) }
        for (outside, v6) in [(outsideIPv4, false), (outsideIPv6, true)] {
            guard nonLoopback.contains(where: { $0.isIPv6 == v6 && !$0.isLinkLocal }) else { continue }
            var f = VerdictFlow(destination: outside, destinationPort: Self.outboundPort, proto: .tcp, sourcePort: ephemeralPort)
            complete(&f)
            outCases.append(record(f, f.outputInterface, evaluator.evaluate(f, local: local)))
            replyCases.append(record(f, f.outputInterface, evaluator.evaluateReply(f, kind: .synAck, local: local)))
        }

        return TrafficControlFacts(
            loopbackAccepted: .init(expected: .accept, cases: loopbackCases),
            loopbackSpoofDropped: .init(expected: .drop, cases: spoofCases),
            outboundAccepted: .init(expected: .accept, cases: outCases),
            repliesAccepted: .init(expected: .accept, cases: replyCases))
    }
}
