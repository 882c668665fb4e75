import Foundation
import HostAuditTestSupport
import Testing

@Suite struct PersistenceCLITests {
    func json(_ args: [String]) throws -> [String: Any] {
        let r = try HostAuditCLI.run(args)
        #expect(r.status == 0, "\(r)")
        return try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    @Test func persistenceTopicWithRoot() throws {
        let obj = try json(["facts", "persistence", "--root", Fixtures.root("persist-cron"), "--format", "json"])
        #expect(obj["resolver"] == nil)
        let p = try #require(obj["persistence"] as? [String: Any])
        #expect(p["live"] as? Bool == false)
        let indicators = try #require(p["indicators"] as? [[String: Any]])
        #expect(indicators.count == 12)
        #expect(indicators.first?["path"] as? String == "/etc/crontab")
        #expect(indicators.first?["line"] as? Int == 3)
        let cron = try #require(p["cron"] as? [String: Any])
        let files = try #require(cron["files"] as? [[String: Any]])
        // Status and content of a file are one flat object with snake_case keys.
        #expect(files.first.map { Array($0.keys).contains("mtime_ms") && Array($0.keys).contains("script_lines") } == true)
        let agents = try #require((p["cloud_agents"] as? [String: Any])?["agents"] as? [[String: Any]])
        #expect(agents.allSatisfy { $0["running"] is NSNull })
    }

    @Test func cleanRootHasAnEmptyIndicatorList() throws {
        let obj = try json(["facts", "persistence", "--root", Fixtures.root("persist-clean"), "--format", "json"])
        let p = try #require(obj["persistence"] as? [String: Any])
        #expect((p["indicators"] as? [Any])?.isEmpty == true)
    }

    @Test func allIncludesPersistenceOnTheLiveHost() throws {
        let obj = try json(["facts", "all", "--format", "json"])
        let p = try #require(obj["persistence"] as? [String: Any])
        #expect(p["live"] as? Bool == true)
        #expect((p["cloud_agents"] as? [String: Any])?["process_scan"] != nil)
    }

    @Test func textOutputEscapesHostileNames() throws {
        let dir = try Fixtures.temporaryDirectory("ha-persist-cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Fixtures.write("* * * * * root /tmp/x \u{1b}]0;pwned\u{07}\n", to: "/etc/cron.d/evil\u{1b}[2J", under: dir)
        let r = try HostAuditCLI.run(["facts", "persistence", "--root", dir])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("persistence:"))
        #expect(r.stdout.contains("exec-from-temp"))
        #expect(r.stdout.contains("evil\\x1b[2J"))
        #expect(!r.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    }
}
