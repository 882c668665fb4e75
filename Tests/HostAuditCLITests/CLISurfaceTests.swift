import Foundation
import HostAuditTestSupport
import Testing

/// The command-line surface and exit codes of the contract, on the built binary.
@Suite struct CLISurfaceTests {
    @Test func rootHelpListsTheBuiltCommands() throws {
        let r = try HostAuditCLI.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("facts"))
        #expect(r.stdout.contains("Exit status"))
    }

    @Test(arguments: [["facts", "--help"], ["help", "facts"]])
    func subcommandHelp(_ args: [String]) throws {
        let r = try HostAuditCLI.run(args)
        #expect(r.status == 0)
        #expect(r.stdout.contains("--root"))
        #expect(r.stdout.contains("--format"))
        #expect(r.stdout.contains("selinux"))
    }

    @Test(arguments: [
        ["no-such-command"],
        ["facts", "--format", "xml"],
        ["facts", "no-such-topic"],
        ["facts", "--no-such-flag"],
    ])
    func misuseExits64(_ args: [String]) throws {
        let r = try HostAuditCLI.run(args)
        #expect(r.status == 64, "\(r)")
        #expect(!r.stderr.isEmpty)
    }

    @Test func unusableRootExits3WithAMessage() throws {
        let r = try HostAuditCLI.run(["facts", "--root", "/nonexistent/hostaudit-root"])
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.contains("/nonexistent/hostaudit-root"))
        #expect(r.stdout.isEmpty)
    }

    @Test func versionPrints() throws {
        let r = try HostAuditCLI.run(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.split(separator: ".").count == 3)
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScripts(_ shell: String) throws {
        let r = try HostAuditCLI.run(["--generate-completion-script", shell])
        #expect(r.status == 0)
        #expect(r.stdout.contains("facts"))
        // fish spells long options as `-l 'root'`, bash and zsh as `--root`.
        #expect(r.stdout.contains(shell == "fish" ? "-l 'root'" : "--root"))
    }
}

@Suite struct FactsCommandTests {
    @Test func jsonDocumentStartsWithSchemaAndHasEveryCategory() throws {
        let r = try HostAuditCLI.run(["facts", "all", "--format", "json"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.hasPrefix("{\n  \"schema\": \"hostaudit.facts/v1\""))
        let obj = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["selinux"] is [String: Any])
        #expect(obj["resolver"] is [String: Any])
        #expect(obj["root"] as? String == "/")
        #expect(obj["live"] as? Bool == true)
    }

    @Test func singleTopicPrintsOnlyThatSection() throws {
        let r = try HostAuditCLI.run(["facts", "selinux", "--format", "json"])
        #expect(r.status == 0)
        let obj = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["selinux"] != nil)
        #expect(obj["resolver"] == nil)
    }

    @Test func textIsTheDefaultAndHasNoRawControlCharacters() throws {
        let r = try HostAuditCLI.run(["facts"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("selinux:"))
        #expect(r.stdout.contains("resolver:"))
        #expect(!r.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    }

    @Test func rootIsEchoedInTheDocument() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try HostAuditCLI.run(["facts", "--root", dir, "--format", "json"])
        #expect(r.status == 0, "\(r)")
        let obj = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["root"] as? String == dir)
        #expect(obj["live"] as? Bool == false)
    }
}
