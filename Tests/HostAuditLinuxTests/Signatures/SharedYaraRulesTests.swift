import Foundation
import HostAuditCore
import HostAuditLinux
import HostAuditTestSupport
import Testing

/// The processes and persistence signature passes share one compiled rule set.
@Suite struct SharedYaraRulesTests {
    static func rule(_ name: String) -> String {
        "rule \(name) {\n  meta:\n    source = \"test\"\n  strings:\n    $a = \"\(name)-marker\"\n  condition:\n    $a\n}\n"
    }

    @Test func sameFilesGiveTheSameCompiledRulesAndAChangedFileRecompiles() throws {
        let dir = try Fixtures.temporaryDirectory("ha-yara-shared")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.rule("First").write(toFile: dir + "/a.yar", atomically: false, encoding: .utf8)
        let one = try YaraRules.shared(directory: dir)
        let two = try YaraRules.shared(directory: dir)
        #expect(one === two)
        #expect(one.names == ["First"])
        // A rewritten file (new inode through the atomic write) is compiled again.
        try Self.rule("Second").write(toFile: dir + "/a.yar", atomically: true, encoding: .utf8)
        let three = try YaraRules.shared(directory: dir)
        #expect(three !== one)
        #expect(three.names == ["Second"])
        #expect(try three.scan(Array("x Second-marker y".utf8)).map(\.rule) == ["Second"])
        // A file added to the directory is compiled too.
        try Self.rule("Third").write(toFile: dir + "/b.yar", atomically: false, encoding: .utf8)
        #expect(Set(try YaraRules.shared(directory: dir).names) == ["Second", "Third"])
    }

    @Test func aCompileErrorIsThrownEachTime() throws {
        let dir = try Fixtures.temporaryDirectory("ha-yara-shared-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "rule Broken { condition: $nope }".write(toFile: dir + "/x.yar", atomically: false, encoding: .utf8)
        #expect(throws: YaraError.self) { try YaraRules.shared(directory: dir) }
        #expect(throws: YaraError.self) { try YaraRules.shared(directory: dir) }
    }
}
