import CNetfilter

// Typed libnftnl attributes.
//
// libnftnl's table/chain/rule/set/element/object getters and setters assert
// the attribute's width and call exit() on a mismatch; expression getters
// silently return 0. Every attribute the reader touches is therefore declared
// once, here and in `NftnlAttributes.swift`, with its width in its type
// (`U64Attr<NftnlTable>` for `NFTNL_TABLE_HANDLE`), and the object type as a
// phantom parameter so a chain attribute cannot be used on a rule.
//
// Reads go through the width-free `*_get_data` calls and check the reported
// length against the declared width, so even a wrong declaration returns nil
// instead of ending the process. Writes (used for dump requests and the width
// tests) go through `*_set_data` with exactly the declared width.

/// An object whose attributes can be read and written as raw bytes.
protocol NftnlAttributeHolder: AnyObject {
    /// The borrowed bytes of a set attribute, or nil when it is unset.
    func rawValue(_ id: UInt16) -> UnsafeRawBufferPointer?
    func setRawValue(_ id: UInt16, _ bytes: UnsafeRawBufferPointer)
    func isSet(_ id: UInt16) -> Bool
}

/// A declared attribute; `Object` is the holder it belongs to.
protocol NftnlAttribute<Object>: Sendable {
    associatedtype Object: NftnlAttributeHolder
    var id: UInt16 { get }
    /// The declared width in bytes (nil for strings and variable-length data).
    var width: Int? { get }
    /// Writes a distinctive value with the declared width and reads it back
    /// through the typed getter (for the accessor-width tests).
    func roundTrip(_ object: Object) -> Bool
}

func attrID<E: RawRepresentable>(_ e: E) -> UInt16 where E.RawValue: BinaryInteger { UInt16(e.rawValue) }
func attrID(_ v: Int) -> UInt16 { UInt16(v) }

/// A fixed-width integer attribute.
struct IntAttr<Object: NftnlAttributeHolder, Value: FixedWidthInteger & Sendable>: NftnlAttribute {
    let id: UInt16
    init(_ id: UInt16) { self.id = id }
    var width: Int? { MemoryLayout<Value>.size }

    func roundTrip(_ object: Object) -> Bool {
        // 0x5a in every byte is never the value a zero-initialised field holds.
        let value = Value(truncatingIfNeeded: 0x5a5a_5a5a_5a5a_5a5a as UInt64)
        object.set(self, value)
        return object[self] == value
    }
}

typealias U8Attr<O: NftnlAttributeHolder> = IntAttr<O, UInt8>
typealias U16Attr<O: NftnlAttributeHolder> = IntAttr<O, UInt16>
typealias U32Attr<O: NftnlAttributeHolder> = IntAttr<O, UInt32>
typealias S32Attr<O: NftnlAttributeHolder> = IntAttr<O, Int32>
typealias U64Attr<O: NftnlAttributeHolder> = IntAttr<O, UInt64>

/// A NUL-terminated string attribute.
struct StrAttr<Object: NftnlAttributeHolder>: NftnlAttribute {
    let id: UInt16
    init(_ id: UInt16) { self.id = id }
    var width: Int? { nil }

    func roundTrip(_ object: Object) -> Bool {
        object.set(self, "width-test")
        return object[self] == "width-test"
    }
}

/// A variable-length binary attribute.
struct DataAttr<Object: NftnlAttributeHolder>: NftnlAttribute {
    let id: UInt16
    init(_ id: UInt16) { self.id = id }
    var width: Int? { nil }

    func roundTrip(_ object: Object) -> Bool {
        let bytes: [UInt8] = [0xde, 0xad, 0xbe, 0xef]
        object.set(self, bytes)
        return object[self] == bytes
    }
}

extension NftnlAttributeHolder {
    subscript<V>(_ a: IntAttr<Self, V>) -> V? {
        guard let raw = rawValue(a.id), raw.count == MemoryLayout<V>.size else { return nil }
        return raw.loadUnaligned(as: V.self)
    }

    subscript(_ a: StrAttr<Self>) -> String? {
        // libnftnl strings are always NUL-terminated, but the length it reports
        // is not always theirs (NFTNL_CHAIN_TYPE reports 4): read to the NUL.
        guard let raw = rawValue(a.id), let base = raw.baseAddress else { return nil }
        return String(cString: base.assumingMemoryBound(to: CChar.self))
    }

    subscript(_ a: DataAttr<Self>) -> [UInt8]? {
        guard let raw = rawValue(a.id) else { return nil }
        return [UInt8](raw)
    }

    func set<V>(_ a: IntAttr<Self, V>, _ value: V) {
        withUnsafeBytes(of: value) { setRawValue(a.id, $0) }
    }

    func set(_ a: StrAttr<Self>, _ value: String) {
        var bytes = Array(value.utf8)
        bytes.append(0)
        bytes.withUnsafeBytes { setRawValue(a.id, $0) }
    }

    func set(_ a: DataAttr<Self>, _ value: [UInt8]) {
        value.withUnsafeBytes { setRawValue(a.id, $0) }
    }

    func isSet(_ a: some NftnlAttribute<Self>) -> Bool { isSet(a.id) }
}
