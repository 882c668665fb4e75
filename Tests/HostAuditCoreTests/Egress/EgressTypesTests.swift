import HostAuditCore
import Testing

/// The typed values of the egress path keep the words the report has always
/// carried, and `egress --format` picks a reporter without changing a byte.
@Suite struct EgressTypesTests {
    @Test func icmpErrorsWithoutAnNmapWordKeepTheirTypeAndCode() {
        #expect(ICMPError.reason(origin: .icmp, type: 4, code: 0).rawValue == "icmp-4-0")
        #expect(ICMPError.reason(origin: .icmp6, type: 5, code: 2).rawValue == "icmp6-5-2")
        #expect(ICMPError.reason(origin: .icmp, type: 3, code: 4) == .fragNeeded)
        #expect("\(ICMPError.reason(origin: .icmp6, type: 2, code: 0))" == "packet-too-big")
    }

    @Test func reasonWordsAreTheReportsWords() {
        let words: [(ProbeReason, String)] = [
            (.synAck, "syn-ack"), (.reset, "reset"), (.udpResponse, "udp-response"), (.noResponse, "no-response"),
            (.localDenied, "local-denied"), (.noRoute, "no-route"), (.dnsFailure, "dns-failure"), (.error, "error"),
            (.netProhibited, "net-prohibited"), (.hostProhibited, "host-prohibited"), (.redirect, "redirect"),
            (.paramProblem, "param-problem"),
        ]
        for (reason, word) in words { #expect(reason.rawValue == word) }
    }

    @Test func tcpStatesByTheKernelsNumbers() {
        #expect(TCPState(number: 1) == .established && TCPState(number: 1).name == "ESTABLISHED")
        #expect(TCPState(number: 2).name == "SYN_SENT")
        #expect(TCPState(number: 7) == .close && TCPState(number: 8) == .closeWait)
        #expect(TCPState(number: 12).name == "NEW_SYN_RECV")
        #expect(TCPState(number: 0).name == "STATE_0" && TCPState(number: 13).name == "STATE_13")
        #expect(TCPInfoSnapshot(state: .closeWait, retransmits: 0, totalRetrans: 0, rtoMs: 200).isConnected)
        #expect(!TCPInfoSnapshot(state: .synSent, retransmits: 1, totalRetrans: 1, rtoMs: 200).isConnected)
    }

    @Test func errnoNamesTheClassifiersRead() {
        func code(_ name: String) -> SocketError.Code { SocketError(number: 0, name: name, message: "").code }
        #expect(code("ECONNREFUSED") == .connectionRefused)
        #expect(code("EACCES") == .permissionDenied && code("EPERM") == .notPermitted)
        #expect(code("EADDRINUSE") == .other && code("errno 200") == .other && code("other") == .other)
    }

    @Test func reportersRenderWhatTheFormatsAlwaysRendered() {
        let target = EgressTarget(text: "192.0.2.10:80", host: "192.0.2.10", hostKind: .ipv4, port: 80)
        let evidence = TCPProbeEvidence(address: "192.0.2.10", port: 80, family: "ipv4", phase: .deadline, elapsedMs: 3000)
        let doc = EgressDocument(probes: [
            EgressProbeResult.from(target: target, evidence: evidence, icmpEcho: .notTested("no ping socket"))
        ])
        var asked = 0
        let host: () -> String? = {
            asked += 1
            return "lab"
        }
        #expect(EgressReportFormat.json.reporter(hostname: host).render(doc) == JSONWriter().string(doc.json()) + "\n")
        #expect(EgressReportFormat.text.reporter(hostname: host).render(doc) == EgressTextRenderer().render(doc))
        #expect(asked == 0)
        let html = EgressReportFormat.html.reporter(hostname: host).render(doc)
        #expect(asked == 1)
        #expect(html == HTMLReportRenderer.render(egress: doc.json(), hostname: "lab"))
        #expect(EgressReportFormat.allCases.map(\.rawValue) == ["text", "json", "html"])
    }
}
