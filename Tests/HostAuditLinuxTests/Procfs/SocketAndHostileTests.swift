import Foundation
import CSocket
import HostAuditCore
import HostAuditLinux
import HostAuditTestSupport
import Testing

@Suite(.privileged, .serialized) struct SocketFactsTests {
    @Test func loopbackListenerAndConnectedPairInNamespace() throws {
        try NetNamespace.with(tag: "sockdiag") { ns in
            let t = try TestProcesses("sock")
            defer { t.stopAll() }
            let server = """
                import os, socket, sys, time
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", 4444)); s.listen(8)
                open(sys.argv[1], "w").write(str(os.getpid()))
                c, _ = s.accept(); time.sleep(60)
                """
            let client = """
                import os, socket, sys, time
                c = socket.create_connection(("127.0.0.1", 4444))
                u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::1", 5353))
                open(sys.argv[1], "w").write(str(os.getpid()) + " " + str(c.getsockname()[1]))
                time.sleep(60)
                """
            try t.start("/usr/sbin/ip", ["netns", "exec", ns.name, "/usr/bin/python3", "-c", server, t.dir + "/server"])
            let serverPid = Int32(try t.waitForFile(t.dir + "/server"))!
            t.adopt(serverPid)
            try t.start("/usr/sbin/ip", ["netns", "exec", ns.name, "/usr/bin/python3", "-c", client, t.dir + "/client"])
            let c = try t.waitForFile(t.dir + "/client").split(separator: " ")
            let clientPid = Int32(c[0])!
            let clientPort = Int(c[1])!
            t.adopt(clientPid)

            let r = try HostAuditCLI.run(in: ns, ["facts", "sockets", "--format", "json"])
            #expect(r.status == 0, "\(r.stderr)")
            let doc = try LiveScan.json(r)
            let s = try #require(doc["sockets"] as? [String: Any])
            #expect(s["available"] as? Bool == true)
            let list = try #require(s["list"] as? [[String: Any]])
            func pids(_ e: [String: Any]) -> [Int32] { (e["pids"] as? [Int] ?? []).map { Int32($0) } }
            let listener = list.first { $0["state"] as? String == "LISTEN" && $0["local_port"] as? Int == 4444 }
            #expect(listener?["local_address"] as? String == "127.0.0.1")
            #expect(listener.map(pids) == [serverPid])
            let accepted = list.first {
                $0["state"] as? String == "ESTABLISHED" && $0["local_port"] as? Int == 4444
                    && $0["remote_port"] as? Int == clientPort
            }
            #expect(accepted.map(pids) == [serverPid])
            let connected = list.first {
                $0["state"] as? String == "ESTABLISHED" && $0["local_port"] as? Int == clientPort
                    && $0["remote_port"] as? Int == 4444
            }
            #expect(connected.map(pids) == [clientPid])
            #expect(connected?["protocol"] as? String == "tcp" && connected?["family"] as? String == "ipv4")
            #expect((connected?["processes"] as? [[String: Any]])?.first?["comm"] as? String == "python3")
            let udp = list.first { $0["protocol"] as? String == "udp" && $0["local_port"] as? Int == 5353 }
            #expect(udp?["family"] as? String == "ipv6" && udp?["local_address"] as? String == "::1")
            #expect(udp.map(pids) == [clientPid])
            #expect(list.count == 4, "only this namespace's sockets: \(list.count)")
        }
    }
}

@Suite(.privileged, .serialized) struct HostileProcessTests {
    /// comm and argv with an erase-screen escape, a newline, an OSC title and invalid UTF-8.
    @Test func hostileNamesStayExactInJSONAndEscapedInText() throws {
        let t = try TestProcesses("hostile")
        defer { t.stopAll() }
        let launcher = """
            import os, shutil, sys
            d = sys.argv[1].encode()
            path = d + b"/\\x1b[2J\\nx\\xff"
            shutil.copy("/bin/dash", path)
            os.chmod(path, 0o755)
            open(sys.argv[1] + "/pid", "w").write(str(os.getpid()))
            os.execv(path, [b"\\x1b[2J\\nname\\xff", b"-c", b"while :; do sleep 1; done", b"arg\\x1b]0;t\\x07", b"\\xfe\\xfd"])
            """
        try t.start("/usr/bin/python3", ["-c", launcher, t.dir])
        let pid = Int32(try t.waitForFile(t.dir + "/pid"))!
        try t.waitFor(pid) { $0.first == 0x1b }

        let r = try HostAuditCLI.run(["facts", "processes", "--format", "json", "--cpu-interval", "0", "--no-hidden-sweep"])
        #expect(r.status == 0)
        let entry = try #require(LiveScan.list(try LiveScan.json(r)).first { ($0["pid"] as? Int) == Int(pid) })
        let commBytes: [UInt8] = [0x1b] + Array("[2J\nx".utf8) + [0xff]
        #expect(entry["comm"] as? String == "\u{1b}[2J\nx\u{fffd}")
        #expect((entry["comm_b64"] as? String).flatMap(HostBytes.decodeBase64) == commBytes)
        let cmd = try #require(entry["cmdline"] as? [String: Any])
        #expect(cmd["args"] as? [String] == ["\u{1b}[2J\nname\u{fffd}", "-c", "while :; do sleep 1; done", "arg\u{1b}]0;t\u{07}", "\u{fffd}\u{fffd}"])
        let b64 = try #require(cmd["args_b64"] as? [Any])
        #expect((b64[0] as? String).flatMap(HostBytes.decodeBase64) == [0x1b] + Array("[2J\nname".utf8) + [0xff])
        #expect(b64[1] is NSNull)
        #expect((b64[4] as? String).flatMap(HostBytes.decodeBase64) == [0xfe, 0xfd])
        let exePath = (entry["exe"] as? [String: Any])?["path_b64"] as? String
        #expect(exePath.flatMap(HostBytes.decodeBase64) == Array((t.dir + "/").utf8) + commBytes)

        let text = try HostAuditCLI.run(["facts", "processes", "--cpu-interval", "0", "--no-hidden-sweep"])
        #expect(text.status == 0)
        #expect(!text.stdoutBytes.contains(0x1b) && !text.stdoutBytes.contains(0x07), "no raw escapes reach the terminal")
        #expect(text.stdout.contains("comm: \\x1b[2J\\nx\\u{fffd}"))
        #expect(text.stdout.contains("- arg\\x1b]0;t\\x07"))
    }
}
