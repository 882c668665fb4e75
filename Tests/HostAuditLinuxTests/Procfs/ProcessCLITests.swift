import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

/// `hostaudit facts processes|sockets|kernel` through the built binary.
@Suite struct ProcessCLITests {
    @Test func rootMakesLiveKernelFactsUnavailable() throws {
        let root = try Fixtures.temporaryDirectory("procs-root")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for topic in ["processes", "sockets", "kernel"] {
            let r = try HostAuditCLI.run(["facts", topic, "--root", root, "--format", "json"])
            #expect(r.status == 0, "\(r)")
            let doc = try LiveScan.json(r)
            let section = doc[topic] as? [String: Any]
            #expect(section?["available"] as? Bool == false, "\(topic)")
            #expect((section?["unavailable_reason"] as? String)?.contains("live-kernel") == true)
            #expect(doc["live"] as? Bool == false)
        }
    }

    @Test func liveKernelAndProcessShapes() throws {
        let r = try HostAuditCLI.run(["facts", "kernel", "--format", "json"])
        #expect(r.status == 0)
        let k = try #require(try LiveScan.json(r)["kernel"] as? [String: Any])
        #expect(k["available"] as? Bool == true)
        let taint = try #require(k["taint"] as? [String: Any])
        let value = try #require(taint["value"] as? Int)
        let raw = try String(contentsOfFile: "/proc/sys/kernel/tainted", encoding: .utf8)
        #expect(value == Int(raw.trimmingCharacters(in: .whitespacesAndNewlines)))

        let p = try HostAuditCLI.run(["facts", "processes", "--format", "json", "--cpu-interval", "0.1"])
        #expect(p.status == 0)
        let doc = try LiveScan.json(p)
        let list = LiveScan.list(doc)
        let me = try #require(list.first { ($0["pid"] as? Int) == Int(getpid()) }, "the test runner itself is listed")
        #expect((me["uids"] as? [String: Any])?["real"] as? Int == Int(getuid()))
        let cpu = (doc["processes"] as? [String: Any])?["cpu"] as? [String: Any]
        #expect(cpu?["interval_seconds"] as? Double ?? 0 >= 0.1)
    }

    @Test func cpuIntervalIsValidated() throws {
        let r = try HostAuditCLI.run(["facts", "processes", "--cpu-interval", "-1"])
        #expect(r.status == 64, "\(r)")
    }
}
