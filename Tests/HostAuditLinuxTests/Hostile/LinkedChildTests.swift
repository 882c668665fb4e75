import Foundation
import HostAuditTestSupport
import Testing

/// The long-lived children the hostile-input and lab tests start
/// (`sh -c 'sleep 3600; :'`, `flock … sleep 60`, the lab's miner) are
/// `LinkedChild`s: nothing they start may outlive the test, whether the test
/// stops them, fails, or its process is killed.
@Suite struct LinkedChildTests {
    /// Waits (a hang guard, not a timing assertion) until `done` holds.
    static func eventually(_ done: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if done() { return true }
            usleep(10_000)
        }
        return done()
    }

    /// The pid of a `sleep 3600` in the child's process group, once the shell has started it.
    static func sleeper(in child: LinkedChild) -> pid_t? {
        var found: pid_t?
        _ = eventually {
            found = child.runningGroupMembers().first { pid in
                (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) == "sleep\u{0}3600\u{0}"
            }
            return found != nil
        }
        return found
    }

    static func running(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.range(of: ")", options: .backwards)
        else { return false }
        return stat[end.upperBound...].split(separator: " ").first != "Z"
    }

    /// `stop()` kills the shell's `sleep 3600` too (it used to be re-parented
    /// to init and left running for an hour).
    @Test func stopKillsWhatTheChildStarted() throws {
        let child = try LinkedChild(["/bin/sh", "-c", "sleep 3600; :"])
        defer { child.stop() }
        let sleeper = try #require(Self.sleeper(in: child), "the shell never started its sleep")
        child.stop()
        #expect(Self.eventually { !Self.running(sleeper) }, "sleep \(sleeper) outlived stop()")
        #expect(child.runningGroupMembers().isEmpty)
    }

    /// When the test process ends, the kernel closes its end of the
    /// watchdog's socket; releasing it here is that same event. The group
    /// dies without `stop()`, and a second child started in between (which
    /// must not have inherited the first one's socket) is unaffected.
    @Test func theGroupDiesWhenTheTestProcessLetsGo() throws {
        let first = try LinkedChild(["/bin/sh", "-c", "sleep 3600; :"])
        defer { first.stop() }
        let second = try LinkedChild(["/bin/sh", "-c", "sleep 3600; :"])
        defer { second.stop() }
        let sleeper = try #require(Self.sleeper(in: first), "the shell never started its sleep")
        first.releaseWatchdog()
        #expect(Self.eventually { first.runningGroupMembers().isEmpty }, "\(first.runningGroupMembers())")
        #expect(!Self.running(sleeper))
        #expect(Self.running(second.pid), "the second child died with the first")
        second.stop()
        #expect(Self.eventually { second.runningGroupMembers().isEmpty })
    }
}
