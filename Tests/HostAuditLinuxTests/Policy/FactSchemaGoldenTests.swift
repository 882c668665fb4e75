import Foundation
import HostAuditCore
import HostAuditLinux
import HostAuditTestSupport
import Testing

/// The fact schema the policy loader checks paths against is generated from
/// documents the real collectors emit, so it cannot drift from the models.
/// Regenerate with `HOSTAUDIT_UPDATE_GOLDEN=1 swift test --filter FactSchemaGolden`.
@Suite struct PolicyFactSchemaGoldenTests {
    /// Patterns whose keys are data, not field names.
    static let maps: Set<String> = ["selinux.kernel.booleans", "firewall.hooks"]

    static func documents() throws -> [JSONValue] {
        var docs: [JSONValue] = []
        // Every fixture root through the real collectors (files: resolver and SELinux config).
        let roots = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("roots")).sorted()
        for r in roots {
            docs.append(FactsCollector(scope: CollectionScope(root: Fixtures.root(r))).collect(FactCategory.allCases).json())
        }
        // A live-kernel SELinux state with booleans, read errors and drift.
        let config = SELinuxConfig.parse(Array("SELINUX=permissive\nSELINUXTYPE=targeted\n".utf8))
        let states: [SELinuxRuntimeState] = [
            .fakeEnabled(
                enforcing: true, booleans: [SELinuxBoolean(name: "httpd_can_network_connect", active: true, pending: false)],
                errors: [SELinuxReadError(call: "security_policyvers", message: "EACCES", errno: 13)]),
            .fakeDisabled,
        ]
        for s in states {
            let facts = SELinuxFacts.make(runtime: s, runtimeUnavailableReason: nil, config: config)
            docs.append(FactsDocument(root: nil, sections: [(.selinux, facts.json())]).json())
        }
        // selinux.boot with a running command line and a boot loader line that disable SELinux.
        var booted = SELinuxFacts.make(runtime: .fakeDisabled, runtimeUnavailableReason: nil, config: config)
        booted.boot = SELinuxBootFacts(
            cmdline: Array("BOOT_IMAGE=/vmlinuz selinux=0 enforcing=0 security=selinux lsm=yama".utf8), cmdlineUnavailableReason: nil,
            bootloader: [
                .init(
                    path: "/etc/default/grub", line: 4, setting: "GRUB_CMDLINE_LINUX",
                    parameters: .init(selinux: "0", enforcing: "0", security: "apparmor", lsm: "yama"))
            ], errors: ["sample"])
        booted.unconfinedDaemons = [.init(pid: 300, ppid: 1, comm: "redis-server", context: "system_u:system_r:unconfined_service_t:s0")]
        docs.append(FactsDocument(root: nil, sections: [(.selinux, booted.json())]).json())
        // Name-server liveness, added by `audit` when it may send probes.
        docs.append(
            [
                "schema": "hostaudit.facts/v1",
                "resolver": [
                    "liveness": [
                        "answering": true,
                        "servers": [["server": "192.0.2.53", "status": "answered", "elapsed_ms": 1.5]],
                    ]
                ],
            ])
        // A populated netfilter snapshot: every firewall field with a value.
        for snapshot in [Self.snapshot, RulesetSnapshot(generation: 1)] {
            let firewall = FirewallFacts(snapshot: snapshot)
            docs.append(FactsDocument(root: nil, sections: [(.firewall, JSONValueEncoder().encodeValue(firewall))]).json())
        }
        // Populated processes, sockets and kernel sections: the procfs fixture
        // trees through the real collectors, plus CPU and hidden-sweep samples.
        for scenario in ["miner", "hostile"] {
            let procfs = Procfs(root: Fixtures.path("proc/" + scenario))
            let options = ProcessCollectionOptions(
                cpuInterval: 0, hiddenSweep: false, procfs: .init(privilegedReads: .always))
            var p = ProcessCollector(procfs: procfs, options: options).collect()
            p.cpu = CPUSample(
                intervalSeconds: 0.5, cpus: 2, hostBusyTicks: 90, hostTotalTicks: 100, processTicks: 40,
                processesSampled: p.list.count)
            for i in p.list.indices { p.list[i].cpu.percent = 99.5 }
            p.hiddenSweep = HiddenSweep(
                pidMax: 32768, alive: 120, threads: 20, listed: 99,
                hidden: [.init(pid: 31337, seenBy: ["kill", "getsid"], comm: "kworker", ppid: 1),
                         .init(pid: 31338, seenBy: ["kill"], comm: nil, ppid: nil)],
                raced: 1, durationMs: 9.5)
            // The YARA pass: a summary, one process with file and memory matches, one with nothing.
            p.signatures = SignatureScanSummary(
                available: true, unavailableReason: scenario == "miner" ? nil : "signatures: no *.yar rule files",
                ruleFiles: ["/p/signatures/miners.yar"], rules: ["Miner_Stratum_Protocol"], deep: false,
                filesScanned: 3, filesSkipped: 1, processesMemoryScanned: 1, memoryBytes: 4096,
                perProcessMemoryBudget: 1 << 27, totalMemoryBudget: 1 << 30, fileSizeCap: 1 << 26, durationMs: 5.5,
                errors: ["total memory budget reached"])
            let match = SignatureMatch(
                rule: "Miner_Stratum_Protocol", namespace: "miners", tags: ["miner"], where: "memory", path: "[heap]",
                region: "1000-2000 rw-p", offset: 4096, string: "$url1", stringMatches: 2, source: "xmrig")
            let bare = SignatureMatch(
                rule: "Miner_Pool_Domains", namespace: "miners", tags: [], where: "file", path: nil, region: nil,
                offset: nil, string: nil, stringMatches: 0, source: nil)
            for i in p.list.indices {
                p.list[i].signatures =
                    i == 0
                    ? ProcessSignatures(
                        matches: [match, bare], fileScanned: true, fileSkipped: nil, fileSHA256: String(repeating: "a", count: 64),
                        candidateReasons: ["fake-kernel-thread"], memoryScanned: true, memoryBytes: 4096,
                        memoryTruncated: false, errors: ["mem: Permission denied"])
                    : ProcessSignatures(fileSkipped: "size-cap")
            }
            docs.append(FactsDocument(root: nil, sections: [(.processes, JSONValueEncoder().encodeValue(p))]).json())
        }
        var kernel = KernelCollector(
            procfs: Procfs(root: Fixtures.path("proc/kernel-rootkit")), sysRoot: Fixtures.path("sys/kernel-rootkit"),
            sysctlConfigScope: CollectionScope(root: Fixtures.root("sysctl-hardened"))
        ).collect()
        docs.append(FactsDocument(root: nil, sections: [(.kernel, JSONValueEncoder().encodeValue(kernel))]).json())
        // kernel.sysctl with live values, per-interface effective values and drift.
        kernel.sysctl = SysctlSamples.populated()
        docs.append(FactsDocument(root: nil, sections: [(.kernel, JSONValueEncoder().encodeValue(kernel))]).json())
        let sockets = SocketsFacts(
            available: true, netns: "net:[4026531840]", privileged: true,
            list: [
                SocketFact(
                    protocolName: "tcp", family: "ipv4", state: "ESTABLISHED", localAddress: "10.0.0.5",
                    localPort: 40112, remoteAddress: "192.0.2.7", remotePort: 3333, interface: 0, uid: 33,
                    inode: 31337, receiveQueue: 0, sendQueue: 0,
                    processes: [.init(pid: 4242, comm: "kdevtmpfsi", commB64: nil), .init(pid: 7, comm: "x", commB64: "eA==")])
            ],
            errors: ["sample error"])
        docs.append(FactsDocument(root: nil, sections: [(.sockets, JSONValueEncoder().encodeValue(sockets))]).json())
        // Exposure with every field populated: an exposed socket and a restricted one with sources.
        let location = ExposureFact.Location(
            RuleLocation(family: .inet, table: "filter", chain: "input", handle: 4, rule: "tcp dport 22 ip saddr 10.0.0.0/8 accept"))
        var exposed = ExposureFact.Verdict(exposure: .exposed, reason: "accepted from 203.0.113.10")
        exposed.outsideAddress = "203.0.113.10"
        exposed.decidedBy = location
        exposed.acceptedOn = ["eth0"]
        exposed.coveredByRule = true
        exposed.notes = ["sample note"]
        var restricted = ExposureFact.Verdict(exposure: .restricted, reason: "accepted from 10.0.0.0/8")
        restricted.sources = [
            .init(source: "10.0.0.0/8", kind: "rule", set: nil, testedAddress: "10.0.0.1", via: location),
            .init(source: "172.16.5.5", kind: "set", set: "inet filter @allowed", testedAddress: "172.16.5.5", via: nil),
        ]
        restricted.sourcesComplete = false
        let exposure = ExposureFacts(
            available: true, netns: "net:[4026531840]", outsideIpv4: "203.0.113.10", outsideIpv6: "2001:db8::10",
            interfaces: [.init(name: "eth0", index: 2, addresses: ["192.0.2.5/24"])],
            list: [
                ExposureFact(
                    protocolName: "tcp", family: "ipv4", localAddress: "0.0.0.0", localPort: 6379, interface: 0,
                    processes: [.init(pid: 42, comm: "redis-server", commB64: "eA==")], verdict: exposed),
                ExposureFact(
                    protocolName: "tcp", family: "ipv4", localAddress: "0.0.0.0", localPort: 22, interface: 0,
                    processes: [], verdict: restricted),
            ],
            traffic: Self.trafficSample(decided: location),
            errors: ["sample error"])
        docs.append(FactsDocument(root: nil, sections: [(.exposure, JSONValueEncoder().encodeValue(exposure))]).json())
        // The traffic checks again with unknown verdicts: met and decided_by null, no interface.
        var undecided = exposure
        undecided.traffic = Self.trafficSample(decided: nil)
        docs.append(FactsDocument(root: nil, sections: [(.exposure, JSONValueEncoder().encodeValue(undecided))]).json())
        // Persistence as a live host reports it: runtime tunables, attributes, running agents.
        for r in ["persist-aegis", "persist-kernel", "persist-hosts"] {
            var f = PersistenceCollector(scope: CollectionScope(root: Fixtures.root(r))).collect()
            let runtime = TunableValue(value: "1", path: "/proc/sys/vm/nr_hugepages", line: nil, runtime: true)
            f.kernel.nrHugepages.runtime = runtime
            f.kernel.nmiWatchdog.runtime = runtime
            f.kernel.msr.allowWrites.runtime = runtime
            f.kernel.msr.moduleLoaded = true
            f.hosts.status.immutable = false
            f.hosts.status.appendOnly = false
            f.ldSoPreload.status.immutable = false
            f.cloudAgents.processScan = .init(performed: true, reason: nil, processes: 100, unreadable: 0)
            for i in f.cloudAgents.agents.indices {
                f.cloudAgents.agents[i].running = false
                f.cloudAgents.agents[i].processes = [.init(pid: 10, comm: "AliYunDun", exe: "/usr/local/aegis/AliYunDun")]
            }
            if r == "persist-hosts" {
                // The YARA pass over persistence targets, with one match and one skipped target.
                let sha = String(repeating: "ab", count: 32)
                f.signatures = PersistenceSignatures(
                    available: true, rules: ["Miner_XMRig_Config"],
                    matches: [
                        .init(
                            rule: "Miner_XMRig_Config", namespace: "miners", tags: ["miner"], path: "/usr/local/bin/x.sh",
                            offset: 12, string: "$donate", stringMatches: 4, source: "xmrig", sha256: sha, areas: ["cron"],
                            referencedBy: ["/etc/cron.d/x:1"])
                    ],
                    targets: [
                        .init(
                            path: "/usr/local/bin/x.sh", resolvedPath: "/usr/local/bin/x.sh", areas: ["cron"],
                            referencedBy: ["/etc/cron.d/x:1"], scanned: true, skipped: nil, size: 100, sha256: sha, matches: 1)
                    ],
                    filesScanned: 1, filesSkipped: 0, fileSizeCap: 64 << 20, errors: ["sample"])
            }
            docs.append(FactsDocument(root: nil, sections: [(.persistence, JSONValueEncoder().encodeValue(f))]).json())
        }
        return docs
    }

    static let snapshot: RulesetSnapshot = {
        let accept = RulesetSamples.accept
        return RulesetSamples.snapshot(
            inputDevices: ["eth0"],
            output: [
                [RulesetSamples.counter, RulesetSamples.drop],
                [.lookup(.init(set: "gone", sreg: Register(1))), accept],
                [.lookup(.init(set: "allowed", sreg: Register(1))), accept],
            ],
            allowed: NFTSet(
                family: .inet, table: "filter", name: "allowed", handle: 9, flags: NFTSet.Flags(rawValue: 0x10),
                timeout: 60_000),
            comment: "sample")
    }()

    static let generatedFile = Fixtures.packageRoot + "/Sources/HostAuditCore/Policy/FactSchema+Generated.swift"

    static func render(_ schema: FactSchema) -> String {
        let body = schema.text.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n")
        return """
            // Generated by FactSchemaGoldenTests from documents the real collectors emit
            // over the fixture roots, the procfs fixture trees and populated model values. Do not edit:
            // regenerate with `HOSTAUDIT_UPDATE_GOLDEN=1 swift test --filter FactSchemaGolden`.
            extension FactSchema {
                static let generatedText = \"\"\"
            \(body)
                    \"\"\"
            }

            """
    }

    @Test func checkedInSchemaMatchesTheCollectors() throws {
        let derived = FactSchema.derive(from: try Self.documents(), maps: Self.maps)
        if ProcessInfo.processInfo.environment["HOSTAUDIT_UPDATE_GOLDEN"] == "1" {
            try Self.render(derived).write(toFile: Self.generatedFile, atomically: true, encoding: .utf8)
        }
        let current = FactSchema.current.text
        #expect(
            current == derived.text,
            "Sources/HostAuditCore/Policy/FactSchema+Generated.swift is stale: run HOSTAUDIT_UPDATE_GOLDEN=1 swift test --filter FactSchemaGolden"
        )
    }

    @Test func everyCategoryHasSamples() throws {
        let schema = FactSchema.derive(from: try Self.documents(), maps: Self.maps)
        for c in FactCategory.allCases {
            #expect(!schema.keys(below: c.rawValue).isEmpty, "no sample document populates '\(c.rawValue)'")
        }
    }

    @Test func mapsAndArraysAreMarked() {
        let s = FactSchema.current
        #expect(s.types("firewall.hooks").contains("map"))
        #expect(s.types("selinux.kernel.booleans").contains("map"))
        #expect(s.entries["firewall.hooks.*[].policy"] != nil)
        #expect(s.entries["selinux.kernel.booleans.*.active"] != nil)
        #expect(s.entries["resolver.resolv_conf.nameservers[].address"] != nil)
    }

    /// Every traffic check with one case: decided (met true or false) or, with nil, unknown (met null).
    static func trafficSample(decided: ExposureFact.Location?) -> TrafficControlFacts {
        func check(_ expected: VerdictKind, _ verdict: String) -> TrafficControlFacts.Check {
            .init(
                expected: expected,
                cases: [
                    .init(
                        family: "ipv4", interface: decided == nil ? nil : "eth0", flow: "tcp 127.0.0.1 -> 192.0.2.5:50000",
                        verdict: decided == nil ? "unknown" : verdict, decidedBy: decided)
                ])
        }
        return TrafficControlFacts(
            loopbackAccepted: check(.accept, "accept"), loopbackSpoofDropped: check(.drop, "accept"),
            outboundAccepted: check(.accept, "accept"), repliesAccepted: check(.accept, "drop"))
    }
}
