/// Receives one JSON value as a sequence of events (`beginObject`, `key`,
/// `int`, ..., `endObject`). A type that describes itself once through an
/// emitter gets both of its forms from that one description: the `JSONValue`
/// tree policies read (`JSONTreeEmitter`), and the document's bytes written
/// straight from the facts without a tree (`JSONByteEmitter`, byte for byte
/// what `JSONWriter` makes of the tree). The process list is written this
/// way: at 10,000 processes its tree was about 600,000 values built only to
/// be serialised and freed.
package protocol JSONEmitter {
    mutating func beginObject()
    mutating func endObject()
    mutating func beginArray()
    mutating func endArray()
    /// The next member's key, inside an object; its value follows.
    mutating func key(_ key: String)
    mutating func null()
    mutating func bool(_ b: Bool)
    mutating func int(_ i: Int64)
    mutating func double(_ d: Double)
    mutating func string(_ s: String)
    /// A value that already is a tree (a section built through `Encodable`).
    mutating func value(_ v: JSONValue)
}

extension JSONEmitter {
    /// What `JSONValueEncoder` makes of a `UInt64` (a double above Int64.max).
    package mutating func uint(_ v: UInt64) {
        if v <= UInt64(Int64.max) { int(Int64(v)) } else { double(Double(v)) }
    }

    /// What `JSONValueEncoder` makes of a `Double` (null when not finite).
    package mutating func finite(_ d: Double) {
        if d.isFinite { double(d) } else { null() }
    }

    package mutating func string(_ s: String?) {
        if let s { string(s) } else { null() }
    }

    package mutating func int(_ i: Int64?) {
        if let i { int(i) } else { null() }
    }

    package mutating func strings(_ list: [String]) {
        beginArray()
        for s in list { string(s) }
        endArray()
    }
}

/// Builds the `JSONValue` tree of the events.
package struct JSONTreeEmitter: JSONEmitter {
    // Open containers as parallel stacks (mutated in place, never copied).
    private var objects: [JSONObject] = []
    private var arrays: [[JSONValue]] = []
    /// Per open container: true for an object.
    private var isObject: [Bool] = []
    /// Keys waiting for their value (a stack: a nested object's keys come and go above).
    private var keys: [String] = []
    /// The finished top-level value.
    package private(set) var result: JSONValue = .null

    package init() {}

    /// The tree `body` emits.
    package static func build(_ body: (inout JSONTreeEmitter) -> Void) -> JSONValue {
        var e = JSONTreeEmitter()
        body(&e)
        return e.result
    }

    private mutating func add(_ v: JSONValue) {
        guard let top = isObject.last else {
            result = v
            return
        }
        if top {
            objects[objects.count - 1].appendNew(keys.removeLast(), v)
        } else {
            arrays[arrays.count - 1].append(v)
        }
    }

    package mutating func beginObject() {
        isObject.append(true)
        objects.append(JSONObject(capacity: 8))
    }

    package mutating func endObject() {
        isObject.removeLast()
        add(.object(objects.removeLast()))
    }

    package mutating func beginArray() {
        isObject.append(false)
        arrays.append([])
    }

    package mutating func endArray() {
        isObject.removeLast()
        add(.array(arrays.removeLast()))
    }

    package mutating func key(_ key: String) { keys.append(key) }
    package mutating func null() { add(.null) }
    package mutating func bool(_ b: Bool) { add(.bool(b)) }
    package mutating func int(_ i: Int64) { add(.int(i)) }
    package mutating func double(_ d: Double) { add(.double(d)) }
    package mutating func string(_ s: String) { add(.string(s)) }
    package mutating func value(_ v: JSONValue) { add(v) }
}

/// Writes the events as JSON text, byte for byte what `JSONWriter` writes
/// for the tree `JSONTreeEmitter` would build (same indentation, `{}`/`[]`
/// for empty containers, same number and string formatting).
///
/// With a `sink`, the bytes are handed over whenever more than `flushSize`
/// have gathered (and by `flush()`), so a large document is written in
/// pieces through one reused buffer instead of being held whole.
package struct JSONByteEmitter: JSONEmitter {
    package private(set) var out: [UInt8] = []
    private var writer: JSONWriter.State
    /// The depth of the innermost open container's members.
    private var depth: Int
    /// Per open container: no member written yet.
    private var empty: [Bool] = []
    /// A key was written; its value follows on the same line.
    private var afterKey = false
    /// Where gathered bytes go (nil: they stay in `out`). Called on one thread at a time.
    package let sink: (@Sendable (UnsafeBufferPointer<UInt8>) -> Void)?
    package static let flushSize = 64 * 1024

    /// A top-level document.
    package init(
        pretty: Bool = true, indent: String = "  ", sink: (@Sendable (UnsafeBufferPointer<UInt8>) -> Void)? = nil
    ) {
        writer = JSONWriter.State(pretty: pretty, indent: Array(indent.utf8))
        depth = 0
        self.sink = sink
        if sink != nil { out.reserveCapacity(Self.flushSize + 4096) }
    }

    /// Items of an array already open whose items sit at `itemDepth`
    /// (a share of a long list written on its own thread): the first item
    /// gets a comma before it unless `first`.
    package init(pretty: Bool = true, indent: String = "  ", arrayItemsAt itemDepth: Int, first: Bool) {
        writer = JSONWriter.State(pretty: pretty, indent: Array(indent.utf8))
        depth = itemDepth
        empty = [first]
        sink = nil
    }

    /// The depth the next item or member is written at.
    package var itemDepth: Int { depth }

    /// Hands the gathered bytes to the sink (no-op without one).
    package mutating func flush() {
        guard let sink, !out.isEmpty else { return }
        out.withUnsafeBufferPointer { sink($0) }
        out.removeAll(keepingCapacity: true)
    }

    /// Items of the open array were written elsewhere (in shares, straight
    /// to the sink or through `appendRaw`): the array is not empty.
    package mutating func itemsWrittenElsewhere() {
        if !empty.isEmpty { empty[empty.count - 1] = false }
    }

    /// Bytes that already are JSON text in place (items of the open array
    /// written by another emitter with `arrayItemsAt:`, a final newline).
    package mutating func appendRaw(_ bytes: [UInt8]) {
        out.append(contentsOf: bytes)
        maybeFlush()
    }

    private mutating func maybeFlush() {
        if sink != nil && out.count >= Self.flushSize { flush() }
    }

    /// Before a value: the comma and line break of an array item (a member's
    /// value follows its key directly).
    private mutating func prepare() {
        maybeFlush()
        if afterKey {
            afterKey = false
            return
        }
        guard !empty.isEmpty else { return }
        if !empty[empty.count - 1] { out.append(UInt8(ascii: ",")) }
        empty[empty.count - 1] = false
        writer.newline(&out, depth)
    }

    package mutating func key(_ key: String) {
        precondition(!empty.isEmpty, "JSONByteEmitter.key outside an object")
        if !empty[empty.count - 1] { out.append(UInt8(ascii: ",")) }
        empty[empty.count - 1] = false
        writer.newline(&out, depth)
        JSONWriter.appendQuoted(key, to: &out)
        out.append(UInt8(ascii: ":"))
        if writer.pretty { out.append(UInt8(ascii: " ")) }
        afterKey = true
    }

    private mutating func open(_ bracket: UInt8) {
        prepare()
        out.append(bracket)
        depth += 1
        empty.append(true)
    }

    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        if !empty.removeLast() { writer.newline(&out, depth) }
        out.append(bracket)
        maybeFlush()
    }

    package mutating func beginObject() { open(UInt8(ascii: "{")) }
    package mutating func endObject() { close(UInt8(ascii: "}")) }
    package mutating func beginArray() { open(UInt8(ascii: "[")) }
    package mutating func endArray() { close(UInt8(ascii: "]")) }

    package mutating func null() {
        prepare()
        out.append(contentsOf: "null".utf8)
    }

    package mutating func bool(_ b: Bool) {
        prepare()
        out.append(contentsOf: (b ? "true" : "false").utf8)
    }

    package mutating func int(_ i: Int64) {
        prepare()
        JSONWriter.appendInteger(i, to: &out)
    }

    package mutating func double(_ d: Double) {
        prepare()
        out.append(contentsOf: JSONWriter.format(d).utf8)
    }

    package mutating func string(_ s: String) {
        prepare()
        JSONWriter.appendQuoted(s, to: &out)
    }

    package mutating func value(_ v: JSONValue) {
        prepare()
        writer.write(v, into: &out, depth: depth)
        maybeFlush()
    }
}
