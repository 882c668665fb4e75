/// The result of one rule on one host, in the shape of `hostaudit.report/v1`
/// findings: rule, policy, title, severity, status, evidence, remediation,
/// references (then, as additions, `detail` and `waiver`).
public struct Finding: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable, Codable {
        case pass, fail, error, skip
    }

    public var rule: String
    public var policy: String
    public var title: String
    public var severity: Severity
    public var status: Status
    /// Evidence items: `{kind, path, detail, value}` for facts, probe or verdict objects for egress.
    public var evidence: [JSONValue]
    public var remediation: String?
    public var references: [String]
    /// Benchmark controls of the rule (in JSON only when there are any).
    public var controls: [PolicyControl] = []
    /// The rule's `tags` (not in the JSON).
    public var tags: [String] = []
    /// Why a rule was skipped or could not be evaluated; what a failure means.
    public var detail: String?
    /// The waiver that turned a failure into `skip`, or that waived part of the evidence.
    public var waiver: JSONValue?

    public init(
        rule: String, policy: String, title: String, severity: Severity, status: Status, evidence: [JSONValue] = [],
        remediation: String? = nil, references: [String] = [], detail: String? = nil, waiver: JSONValue? = nil
    ) {
        self.rule = rule
        self.policy = policy
        self.title = title
        self.severity = severity
        self.status = status
        self.evidence = evidence
        self.remediation = remediation
        self.references = references
        self.detail = detail
        self.waiver = waiver
    }

    public func json() -> JSONValue {
        var o = JSONObject()
        o["rule"] = .string(rule)
        o["policy"] = .string(policy)
        o["title"] = .string(title)
        o["severity"] = .string(severity.rawValue)
        o["status"] = .string(status.rawValue)
        o["evidence"] = .array(evidence)
        o["remediation"] = remediation.map(JSONValue.string) ?? .null
        o["references"] = .array(references.map(JSONValue.string))
        if !controls.isEmpty { o["controls"] = .array(controls.map { $0.json() }) }
        o["detail"] = detail.map(JSONValue.string) ?? .null
        if let waiver { o["waiver"] = waiver }
        return .object(o)
    }
}

/// Counts by status and, for failures, by severity (the report's `summary`).
public struct FindingSummary: Sendable, Equatable {
    public var byStatus: [Finding.Status: Int] = [:]
    public var failedBySeverity: [Severity: Int] = [:]

    public init(_ findings: [Finding]) {
        for f in findings {
            byStatus[f.status, default: 0] += 1
            if f.status == .fail { failedBySeverity[f.severity, default: 0] += 1 }
        }
    }

    public func json() -> JSONValue {
        var o = JSONObject()
        for s in Finding.Status.allCases { o[s.rawValue] = .int(Int64(byStatus[s] ?? 0)) }
        var sev = JSONObject()
        for s in Severity.allCases { sev[s.rawValue] = .int(Int64(failedBySeverity[s] ?? 0)) }
        o["by_severity"] = .object(sev)
        return .object(o)
    }

    /// Whether a failure at or above `threshold` exists (exit 1).
    public func failed(atOrAbove threshold: Severity) -> Bool {
        failedBySeverity.contains { $0.key >= threshold && $0.value > 0 }
    }
}
