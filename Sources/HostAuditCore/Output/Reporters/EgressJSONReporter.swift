/// `egress --format json`: the `hostaudit.egress/v1` document, pretty-printed, one trailing newline.
public struct EgressJSONReporter: EgressReporter {
    public init() {}
    public func render(_ document: EgressDocument) -> String { JSONWriter().string(document.json()) + "\n" }
}
