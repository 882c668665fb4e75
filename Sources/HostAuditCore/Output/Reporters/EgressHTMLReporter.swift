/// `egress --format html`: one self-contained HTML file, the probes first
/// (blocked ones on top), with the host's name in the header when known.
struct EgressHTMLReporter: EgressReporter {
    var hostname: String?
    init(hostname: String? = nil) { self.hostname = hostname }
    func render(_ document: EgressDocument) -> String {
        HTMLReportRenderer.render(egress: document.json(), hostname: hostname)
    }
}
