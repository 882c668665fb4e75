import Foundation

/// The host an audit ran on (`hostaudit.report/v1` `host`).
public struct AuditHost: Sendable, Equatable {
    public var hostname: String?
    public var kernel: String?
    public var startedAt: Date
    public var durationMs: Int

    public init(hostname: String?, kernel: String?, startedAt: Date, durationMs: Int) {
        self.hostname = hostname
        self.kernel = kernel
        self.startedAt = startedAt
        self.durationMs = durationMs
    }

    /// RFC 3339 in UTC with milliseconds.
    public static func rfc3339(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }

    public func json() -> JSONValue {
        .object(
            JSONObject([
                ("hostname", hostname.map(JSONValue.string) ?? .null),
                ("kernel", kernel.map(JSONValue.string) ?? .null),
                ("started_at", .string(Self.rfc3339(startedAt))),
                ("duration_ms", .int(Int64(durationMs))),
            ]))
    }
}

/// A finding's identity across runs: `policy/rule`.
public struct FindingKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var policy: String
    public var rule: String
    public init(policy: String, rule: String) {
        self.policy = policy
        self.rule = rule
    }
    public init(_ f: Finding) { self.init(policy: f.policy, rule: f.rule) }
    public var description: String { "\(policy)/\(rule)" }
    public static func < (a: FindingKey, b: FindingKey) -> Bool { (a.policy, a.rule) < (b.policy, b.rule) }
}

/// What changed since the previous run (`--state`): failures that appeared
/// and failures that went away.
public struct AuditChanges: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var rule: String
        public var policy: String
        public var title: String
        public var severity: Severity
        public init(rule: String, policy: String, title: String, severity: Severity) {
            self.rule = rule
            self.policy = policy
            self.title = title
            self.severity = severity
        }
        public func json() -> JSONValue {
            .object(
                JSONObject([
                    ("rule", .string(rule)), ("policy", .string(policy)), ("title", .string(title)),
                    ("severity", .string(severity.rawValue)),
                ]))
        }
        public init?(json: JSONValue) {
            guard let r = json["rule"]?.stringValue, let p = json["policy"]?.stringValue else { return nil }
            self.init(
                rule: r, policy: p, title: json["title"]?.stringValue ?? r,
                severity: json["severity"]?.stringValue.flatMap(Severity.init(rawValue:)) ?? .info)
        }
        public var key: FindingKey { FindingKey(policy: policy, rule: rule) }
    }

    public var new: [Item]
    public var resolved: [Item]
    public init(new: [Item] = [], resolved: [Item] = []) {
        self.new = new
        self.resolved = resolved
    }

    public var isEmpty: Bool { new.isEmpty && resolved.isEmpty }

    public func json() -> JSONValue {
        .object(JSONObject([("new", .array(new.map { $0.json() })), ("resolved", .array(resolved.map { $0.json() }))]))
    }
}

/// The state kept between runs: the failing findings of the last run.
package struct AuditState: Sendable, Equatable {
    package static let schema = "hostaudit.state/v1"
    package var failing: [AuditChanges.Item]
    package var savedAt: Date

    package init(failing: [AuditChanges.Item], savedAt: Date) {
        self.failing = failing
        self.savedAt = savedAt
    }

    package init(findings: [Finding], savedAt: Date) {
        self.init(
            failing: findings.filter { $0.status == .fail }.map {
                AuditChanges.Item(rule: $0.rule, policy: $0.policy, title: $0.title, severity: $0.severity)
            }.sorted { $0.key < $1.key },
            savedAt: savedAt)
    }

    package struct Corrupt: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// Parses a state file; throws `Corrupt` naming what is wrong.
    package init(bytes: [UInt8]) throws(Corrupt) {
        let v: JSONValue
        do { v = try JSONValue(parsing: bytes) } catch { throw Corrupt(description: "not JSON: \(error)") }
        guard v["schema"]?.stringValue == Self.schema else { throw Corrupt(description: "not a \(Self.schema) document") }
        guard let items = v["failing"]?.arrayValue else { throw Corrupt(description: "no \"failing\" list") }
        var out: [AuditChanges.Item] = []
        for i in items {
            guard let item = AuditChanges.Item(json: i) else { throw Corrupt(description: "a \"failing\" entry lacks rule or policy") }
            out.append(item)
        }
        self.failing = out
        self.savedAt = v["saved_at"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) } ?? Date(timeIntervalSince1970: 0)
    }

    package func json() -> JSONValue {
        .object(
            JSONObject([
                ("schema", .string(Self.schema)),
                ("saved_at", .string(ISO8601DateFormatter().string(from: savedAt))),
                ("failing", .array(failing.map { $0.json() })),
            ]))
    }

    /// New and resolved failures of `current` compared with this (previous) state.
    package func changes(to current: AuditState) -> AuditChanges {
        let before = Set(failing.map(\.key))
        let now = Set(current.failing.map(\.key))
        return AuditChanges(
            new: current.failing.filter { !before.contains($0.key) },
            resolved: failing.filter { !now.contains($0.key) })
    }
}

/// A complete `hostaudit.report/v1` document.
public struct AuditReport: Sendable {
    public static let schema = "hostaudit.report/v1"
    public var host: AuditHost
    public var profile: Profile?
    public var findings: [Finding]
    public var egress: [EgressProbeResult]
    /// Changes since the previous run; nil without `--state`.
    public var changes: AuditChanges?
    /// Things a person should know about the run itself (e.g. a corrupt state file set aside).
    public var notes: [String]
    public var failOn: Severity

    public init(
        host: AuditHost, profile: Profile?, findings: [Finding], egress: [EgressProbeResult] = [],
        changes: AuditChanges? = nil, notes: [String] = [], failOn: Severity = .high
    ) {
        self.host = host
        self.profile = profile
        self.findings = findings
        self.egress = egress
        self.changes = changes
        self.notes = notes
        self.failOn = failOn
    }

    public var summary: FindingSummary { FindingSummary(findings) }
    public var failed: Bool { summary.failed(atOrAbove: failOn) }

    /// Findings in report order: by policy, then rule id (stable for goldens and diffs).
    public var orderedFindings: [Finding] {
        findings.sorted { (FindingKey($0), $0.status.rawValue) < (FindingKey($1), $1.status.rawValue) }
    }

    public func json() -> JSONValue {
        var o = JSONObject()
        o["schema"] = .string(Self.schema)
        o["host"] = host.json()
        o["profile"] = profile.map { .string($0.rawValue) } ?? .null
        o["findings"] = .array(orderedFindings.map { $0.json() })
        o["egress"] = .array(egress.map { $0.json() })
        o["summary"] = summary.json()
        if let changes { o["changes"] = changes.json() }
        // Additions.
        o["fail_on"] = .string(failOn.rawValue)
        o["notes"] = .array(notes.map(JSONValue.string))
        // Findings grouped by benchmark control, when any rule names one.
        let groups = AuditControls.groups(orderedFindings)
        if !groups.isEmpty {
            o["controls"] = .array(
                groups.map { g in
                    var c = JSONObject()
                    c["framework"] = .string(g.control.framework)
                    c["id"] = .string(g.control.id)
                    c["title"] = g.control.title.map(JSONValue.string) ?? .null
                    c["status"] = .string(AuditControls.status(g.findings).rawValue)
                    c["findings"] = .array(g.findings.map { f in
                        .object(JSONObject([("policy", .string(f.policy)), ("rule", .string(f.rule)), ("status", .string(f.status.rawValue))]))
                    })
                    return .object(c)
                })
        }
        return .object(o)
    }
}
