/// `egress --format html`: one self-contained HTML file, the probes first
/// (blocked ones on top), with the host's name in the header when known.
public struct EgressHTMLReporter: EgressReporter {
    public var hostname: String?
    public init(hostname: String? = nil) { self.hostname = hostname }
    public func render(_ document: EgressDocument) -> String {
        HTMLReportRenderer.render(egress: document.json(), hostname: hostname)
    }
}
