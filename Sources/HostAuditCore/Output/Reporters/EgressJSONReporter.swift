/// `egress --format json`: the `hostaudit.egress/v1` document, pretty-printed, one trailing newline.
struct EgressJSONReporter: EgressReporter {
    init() {}
    func render(_ document: EgressDocument) -> String { JSONWriter().string(document.json()) + "\n" }
}
