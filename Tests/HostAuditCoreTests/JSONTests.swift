import Foundation
import HostAuditCore
import HostAuditTestSupport
import Synchronization
import Testing

@Suite struct JSONValueEncoderTests {
    struct Inner: Encodable { var portNumber: Int; var note: String? }
    struct Outer: Encodable {
        var schema = "x/v1"
        var zLast: Bool
        var aFirst: [Inner]
        var missing: Int?
        var bigCounter: UInt64
        var httpURLPath: String
    }

    @Test func keepsDeclarationOrderAndWritesNulls() throws {
        let v = try JSONValueEncoder().encode(
            Outer(zLast: true, aFirst: [Inner(portNumber: 80, note: nil)], missing: nil, bigCounter: .max,
                httpURLPath: "/"))
        guard case .object(let o) = v else { Issue.record("not an object"); return }
        #expect(o.keys == ["schema", "z_last", "a_first", "missing", "big_counter", "http_url_path"])
        #expect(o["missing"] == .null)
        #expect(v.value(atPath: "a_first.0.port_number") == .int(80))
        #expect(v.value(atPath: "a_first.0.note") == .null)
        // A counter above Int64.max is kept as a number, not wrapped negative.
        #expect(o["big_counter"]?.doubleValue == Double(UInt64.max))
    }

    @Test func snakeCaseConversion() {
        #expect(JSONValueEncoder.snakeCase("mtimeMs") == "mtime_ms")
        #expect(JSONValueEncoder.snakeCase("ipv6Scope") == "ipv6_scope")
        #expect(JSONValueEncoder.snakeCase("policyVersion") == "policy_version")
        #expect(JSONValueEncoder.snakeCase("already_snake") == "already_snake")
        #expect(JSONValueEncoder.snakeCase("denyUnknown") == "deny_unknown")
    }

    enum Mode: String, Encodable { case enforcing, permissive }
    struct WithEnum: Encodable { var mode: Mode; var maybe: Mode? }

    @Test func enumsEncodeAsTheirRawValue() throws {
        let v = try JSONValueEncoder().encode(WithEnum(mode: .permissive, maybe: nil))
        #expect(v["mode"] == .string("permissive"))
        #expect(v["maybe"] == .null)
    }
}

@Suite struct JSONWriterTests {
    @Test func escapesEveryControlCharacter() {
        let s = JSONWriter(pretty: false).string(.string("a\u{1b}[31m\n\u{00}\u{7f}\u{9b}\"\\"))
        #expect(s == #""a\u001b[31m\n\u0000\u007f\u009b\"\\""#)
        #expect(!s.unicodeScalars.contains { $0.value < 0x20 })
    }

    @Test func integersStayIntegers() {
        #expect(JSONWriter(pretty: false).string(["n": 3, "d": 2.0, "f": 2.5]) == #"{"n":3,"d":2,"f":2.5}"#)
    }

    @Test func prettyLayout() {
        let v: JSONValue = ["schema": "s", "list": [1, 2], "empty": [], "obj": [:]]
        #expect(
            JSONWriter().string(v) == """
                {
                  "schema": "s",
                  "list": [
                    1,
                    2
                  ],
                  "empty": [],
                  "obj": {}
                }
                """)
    }

    /// Whatever a host puts in a string, the output is valid JSON that decodes to the same string.
    @Test func hostileStringsRoundTripThroughFoundation() throws {
        var rng = SeededRandom(seed: 0xC0FFEE)
        for _ in 0..<2000 {
            let s = rng.hostileString()
            let text = JSONWriter(pretty: false).string(["k": .string(s)])
            let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            #expect(parsed?["k"] as? String == s, "seed \(rng.seed): \(text)")
        }
    }
}

@Suite struct TerminalTextTests {
    @Test func escapesControlsAndBidi() {
        #expect(TerminalText.escape("x\u{1b}[2Jy") == "x\\x1b[2Jy")
        #expect(TerminalText.escape("a\nb\tc") == "a\\nb\\tc")
        #expect(TerminalText.escape("evil\u{202e}txt") == "evil\\u{202e}txt")
        #expect(TerminalText.escape("c1\u{9b}31m") == "c1\\x9b31m")
        #expect(TerminalText.escape("back\\slash") == "back\\\\slash")
        #expect(TerminalText.escape("plain text é ж 😀") == "plain text é ж 😀")
    }

    @Test func invalidUTF8BecomesAVisibleEscape() {
        let s = TerminalText.decode([0x78, 0xFF, 0xFE, 0x79])
        #expect(TerminalText.escape(s) == "x\\u{fffd}\\u{fffd}y")
    }

    @Test func neverEmitsControlCharacters() {
        var rng = SeededRandom(seed: 42)
        for _ in 0..<2000 {
            let escaped = TerminalText.escape(rng.hostileString())
            #expect(!escaped.unicodeScalars.contains { TerminalText.needsEscape($0) && $0 != "\\" })
        }
    }
}

@Suite struct FactsTextRendererTests {
    @Test func rendersTheJSONTreeWithEscapedValues() {
        let doc: JSONValue = [
            "schema": "hostaudit.facts/v1",
            "resolver": [
                "nameservers": [["address": "10.0.0.2", "used": true], ["address": "::1", "used": false]],
                "search": ["a.example", "b\u{1b}]0;pwned\u{07}"],
                "mtime_ms": nil,
            ],
        ]
        let text = FactsTextRenderer().render(doc)
        #expect(
            text == """
                resolver:
                  nameservers:
                    - address: 10.0.0.2
                      used: yes
                    - address: ::1
                      used: no
                  search:
                    - a.example
                    - b\\x1b]0;pwned\\x07
                  mtime_ms: -

                """)
        #expect(!text.contains("\u{1b}"))
    }
}

/// `JSONByteEmitter` must write what `JSONWriter` writes for the same tree,
/// and `JSONTreeEmitter` must build that tree, for any shape: the process
/// facts rely on both describing themselves once.
@Suite struct JSONEmitterTests {
    static func replay<E: JSONEmitter>(_ v: JSONValue, into e: inout E, rng: inout SeededRandom, wholeSubtrees: Bool = true) {
        // Now and then a subtree goes in whole, as a section built through Encodable does.
        if wholeSubtrees && rng.next() % 7 == 0 {
            e.value(v)
            return
        }
        switch v {
        case .null: e.null()
        case .bool(let b): e.bool(b)
        case .int(let i): e.int(i)
        case .double(let d): e.double(d)
        case .string(let s): e.string(s)
        case .array(let items):
            e.beginArray()
            for item in items { replay(item, into: &e, rng: &rng, wholeSubtrees: wholeSubtrees) }
            e.endArray()
        case .object(let o):
            e.beginObject()
            for entry in o.entries {
                e.key(entry.key)
                replay(entry.value, into: &e, rng: &rng, wholeSubtrees: wholeSubtrees)
            }
            e.endObject()
        }
    }

    static func randomTree(_ rng: inout SeededRandom, depth: Int = 0) -> JSONValue {
        switch rng.next() % (depth > 4 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(rng.next() % 2 == 0)
        case 2: return .int(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64))
        case 3: return .double([0.5, -1.25, 1e300, 3.0, 0.1][Int(rng.next() % 5)])
        case 4: return .string(rng.hostileString())
        case 5:
            return .array((0..<Int(rng.next() % 4)).map { _ in randomTree(&rng, depth: depth + 1) })
        default:
            var o = JSONObject()
            for n in 0..<Int(rng.next() % 4) { o[rng.hostileString(maxLength: 6) + "\(n)"] = randomTree(&rng, depth: depth + 1) }
            return .object(o)
        }
    }

    @Test func byteEmitterWritesWhatTheWriterWritesForAnyTree() {
        var rng = SeededRandom(seed: 1_515)
        for _ in 0..<3000 {
            let tree = Self.randomTree(&rng)
            for pretty in [true, false] {
                var bytes = JSONByteEmitter(pretty: pretty)
                Self.replay(tree, into: &bytes, rng: &rng)
                #expect(bytes.out == JSONWriter(pretty: pretty).bytes(tree), "seed \(rng.seed) pretty \(pretty)")
            }
            var builder = JSONTreeEmitter()
            Self.replay(tree, into: &builder, rng: &rng)
            #expect(builder.result == tree, "seed \(rng.seed)")
        }
    }

    @Test func aSinkGetsTheSameBytesInBoundedPieces() {
        var rng = SeededRandom(seed: 77)
        var items: [JSONValue] = []
        for _ in 0..<4000 { items.append(.object(JSONObject([("s", .string(rng.hostileString())), ("n", .int(1))]))) }
        let tree = JSONValue.object(JSONObject([("list", .array(items)), ("end", .null)]))
        let pieces = Mutex<[[UInt8]]>([])
        var e = JSONByteEmitter(sink: { piece in pieces.withLock { $0.append(Array(piece)) } })
        Self.replay(tree, into: &e, rng: &rng, wholeSubtrees: false)
        e.flush()
        let got = pieces.withLock { $0 }
        #expect(got.flatMap { $0 } == JSONWriter().bytes(tree))
        #expect(got.count > 2)
        // Each piece is at most the flush size plus the value that crossed it.
        #expect(got.allSatisfy { $0.count < JSONByteEmitter.flushSize + 4096 })
    }
}
