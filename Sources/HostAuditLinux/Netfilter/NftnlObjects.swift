#if canImport(Glibc)
import Glibc
#endif
import CNetfilter

// Owning wrappers for libnftnl objects. Each lives inside one synchronous
// read and never crosses isolation; `deinit` frees what the wrapper owns.
// Borrowed objects (set elements, rule expressions) keep their parent alive.

private func buffer(_ p: UnsafeRawPointer?, _ len: UInt32) -> UnsafeRawBufferPointer? {
    guard let p else { return nil }
    return UnsafeRawBufferPointer(start: p, count: Int(len))
}

private func dataPointer(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawPointer {
    // libnftnl never reads through a zero-length pointer, but it must be non-nil.
    bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
}

final class NftnlTable: NftnlAttributeHolder {
    let ptr: OpaquePointer
    init() { ptr = nftnl_table_alloc() }
    deinit { nftnl_table_free(ptr) }
    func rawValue(_ id: UInt16) -> UnsafeRawBufferPointer? {
        var len: UInt32 = 0
        return buffer(nftnl_table_get_data(ptr, id, &len), len)
    }
    func setRawValue(_ id: UInt16, _ bytes: UnsafeRawBufferPointer) {
        _ = nftnl_table_set_data(ptr, id, dataPointer(bytes), UInt32(bytes.count))
    }
    func isSet(_ id: UInt16) -> Bool { nftnl_table_is_set(ptr, id) }
    func parse(_ nlh: UnsafePointer<nlmsghdr>) -> Bool { nftnl_table_nlmsg_parse(nlh, ptr) >= 0 }
}

final class NftnlChain: NftnlAttributeHolder {
    let ptr: OpaquePointer
    init() { ptr = nftnl_chain_alloc() }
    deinit { nftnl_chain_free(ptr) }
    func rawValue(_ id: UInt16) -> UnsafeRawBufferPointer? {
        var len: UInt32 = 0
        return buffer(nftnl_chain_get_data(ptr, id, &len), len)
    }
    func setRawValue(_ id: UInt16, _ bytes: UnsafeRawBufferPointer) {
        _ = nftnl_chain_set_data(ptr, id, dataPointer(bytes), UInt32(bytes.count))
    }
    func isSet(_ id: UInt16) -> Bool { nftnl_chain_is_set(ptr, id) }
    func parse(_ nlh: UnsafePointer<nlmsghdr>) -> Bool { nftnl_chain_nlmsg_parse(nlh, ptr) >= 0 }

    /// `NFTNL_CHAIN_DEVICES` (a NULL-terminated string array), copied.
    var devices: [String] {
        guard isSet(ChainAttr.devicesID), let array = nftnl_chain_get_array(ptr, ChainAttr.devicesID) else { return [] }
        return copyStringArray(array)
    }
}

final class NftnlRule: NftnlAttributeHolder {
    let ptr: OpaquePointer
    init() { ptr = nftnl_rule_alloc() }
    deinit { nftnl_rule_free(ptr) }
    func rawValue(_ id: UInt16) -> UnsafeRawBufferPointer? {
        var len: UInt32 = 0
        return buffer(nftnl_rule_get_data(ptr, id, &len), len)
    }
    func setRawValue(_ id: UInt16, _ bytes: UnsafeRawBufferPointer) {
        _ = nftnl_rule_set_data(ptr, id, dataPointer(bytes), UInt32(bytes.count))
    }
    func isSet(_ id: UInt16) -> Bool { nftnl_rule_is_set(ptr, id) }
    func parse(_ nlh: UnsafePointer<nlmsghdr>) -> Bool { nftnl_rule_nlmsg_parse(nlh, ptr) >= 0 }

    /// The rule's expressions in order (borrowed; each keeps the rule alive).
    var expressions: [NftnlExpr] {
        guard let it = nftnl_expr_iter_create(ptr) else { return [] }
        defer { nftnl_expr_iter_destroy(it) }
        var out: [NftnlExpr] = []
        while let e = nftnl_expr_iter_next(it) { out.append(NftnlExpr(borrowing: e, owner: self)) }
        return out
    }
}

final class NftnlExpr: NftnlAttributeHolder {
    let ptr: OpaquePointer
    private let owned: Bool
    private let owner: AnyObject?

    /// A fresh expression of the given kind (owned; for tests and requests).
    init?(name: String) {
        guard let p = nftnl_expr_alloc(name) else { return nil }
        ptr = p
        owned = true
        owner = nil
    }

    init(borrowing p: OpaquePointer, owner: AnyObject) {
        ptr = p
        owned = false
        self.owner = owner
    }

    deinit { if owned { nftnl_expr_free(ptr) } }

    func rawValue(_ id: UInt16) -> UnsafeRawBufferPointer? {
        guard nftnl_expr_is_set(ptr, id) else { return nil }
        var len: UInt32 = 0
        return buffer(nftnl_expr_get(ptr, id, &len), len)
    }
    func setRawValue(_ id: UInt16, _ bytes: UnsafeRawBufferPointer) {
        _ = nftnl_expr_set(ptr, id, dataPointer(bytes), UInt32(bytes.count))
    }
    func isSet(_ id: UInt16) -> Bool { nftnl_expr_is_set(ptr, id) }

    var name: String { self[ExprAttr.name] ?? "" }
}

final class NftnlSet: NftnlAttributeHolder {
    let ptr: OpaquePointer
    init() { ptr = nftnl_set_alloc() }
    deinit { nftnl_set_free(ptr) }
    func rawValue(_ id: UInt16) -> UnsafeRawBufferPointer? {
        var len: UInt32 = 0
        return buffer(nftnl_set_get_data(ptr, id, &len), len)
    }
    func setRawValue(_ id: UInt16, _ bytes: UnsafeRawBufferPointer) {
        _ = nftnl_set_set_data(ptr, id, dataPointer(bytes), UInt32(bytes.count))
    }
    func isSet(_ id: UInt16) -> Bool { nftnl_set_is_set(ptr, id) }
    func parse(_ nlh: UnsafePointer<nlmsghdr>) -> Bool { nftnl_set_nlmsg_parse(nlh, ptr) >= 0 }
    /// Appends the elements in an element dump message to this set.
    func parseElements(_ nlh: UnsafePointer<nlmsghdr>) -> Bool { nftnl_set_elems_nlmsg_parse(nlh, ptr) >= 0 }

    /// The set-level stateful expressions (`NFTNL_SET_EXPR` or
    /// `NFTNL_SET_EXPRESSIONS`; libnftnl keeps both in one list), borrowed.
    var expressions: [NftnlExpr] {
        let collector = ExprCollector(owner: self)
        withExtendedLifetime(collector) {
            _ = nftnl_set_expr_foreach(ptr, collectExpression, Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.exprs
    }

    /// The elements (borrowed; each keeps the set alive).
    var elements: [NftnlSetElement] {
        guard let it = nftnl_set_elems_iter_create(ptr) else { return [] }
        defer { nftnl_set_elems_iter_destroy(it) }
        var out: [NftnlSetElement] = []
        while let e = nftnl_set_elems_iter_next(it) { out.append(NftnlSetElement(borrowing: e, owner: self)) }
        return out
    }
}

extension NftnlExpr {
    /// A dynset's stateful expressions (`NFTNL_EXPR_DYNSET_EXPR` or
    /// `_EXPRESSIONS`; libnftnl keeps both in one list), borrowed.
    var nestedExpressions: [NftnlExpr] {
        let collector = ExprCollector(owner: self)
        withExtendedLifetime(collector) {
            _ = nftnl_expr_expr_foreach(ptr, collectExpression, Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.exprs
    }
}

final class NftnlSetElement: NftnlAttributeHolder {
    let ptr: OpaquePointer
    private let owned: Bool
    private let owner: AnyObject?

    init() {
        ptr = nftnl_set_elem_alloc()
        owned = true
        owner = nil
    }

    init(borrowing p: OpaquePointer, owner: AnyObject) {
        ptr = p
        owned = false
        self.owner = owner
    }

    deinit { if owned { nftnl_set_elem_free(ptr) } }

    /// The element's stateful expressions (`NFTNL_SET_ELEM_EXPR` /
    /// `NFTNL_SET_ELEM_EXPRESSIONS`), borrowed.
    var expressions: [NftnlExpr] {
        let collector = ExprCollector(owner: self)
        withExtendedLifetime(collector) {
            _ = nftnl_set_elem_expr_foreach(
                ptr, collectExpression, Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.exprs
    }

    func rawValue(_ id: UInt16) -> UnsafeRawBufferPointer? {
        var len: UInt32 = 0
        return buffer(nftnl_set_elem_get(ptr, id, &len), len)
    }
    func setRawValue(_ id: UInt16, _ bytes: UnsafeRawBufferPointer) {
        _ = nftnl_set_elem_set(ptr, id, dataPointer(bytes), UInt32(bytes.count))
    }
    func isSet(_ id: UInt16) -> Bool { nftnl_set_elem_is_set(ptr, id) }
}

final class NftnlObj: NftnlAttributeHolder {
    let ptr: OpaquePointer
    init() { ptr = nftnl_obj_alloc() }
    deinit { nftnl_obj_free(ptr) }
    func rawValue(_ id: UInt16) -> UnsafeRawBufferPointer? {
        var len: UInt32 = 0
        return buffer(nftnl_obj_get_data(ptr, id, &len), len)
    }
    func setRawValue(_ id: UInt16, _ bytes: UnsafeRawBufferPointer) {
        nftnl_obj_set_data(ptr, id, dataPointer(bytes), UInt32(bytes.count))
    }
    func isSet(_ id: UInt16) -> Bool { nftnl_obj_is_set(ptr, id) }
    func parse(_ nlh: UnsafePointer<nlmsghdr>) -> Bool { nftnl_obj_nlmsg_parse(nlh, ptr) >= 0 }
}

final class NftnlFlowtable: NftnlAttributeHolder {
    let ptr: OpaquePointer
    init() { ptr = nftnl_flowtable_alloc() }
    deinit { nftnl_flowtable_free(ptr) }
    /// libnftnl 1.2.4 exports no `nftnl_flowtable_get_data`; the length comes
    /// from the declared width (checked by libnftnl's own validation when the
    /// width tests set each attribute through `nftnl_flowtable_set_data`).
    func rawValue(_ id: UInt16) -> UnsafeRawBufferPointer? {
        guard nftnl_flowtable_is_set(ptr, id), let p = nftnl_flowtable_get(ptr, id) else { return nil }
        guard let attr = FlowtableAttr.byID[id] else { return nil }
        if let width = attr.width { return UnsafeRawBufferPointer(start: p, count: width) }
        return UnsafeRawBufferPointer(start: p, count: strlen(p.assumingMemoryBound(to: CChar.self)) + 1)
    }
    func setRawValue(_ id: UInt16, _ bytes: UnsafeRawBufferPointer) {
        _ = nftnl_flowtable_set_data(ptr, id, dataPointer(bytes), UInt32(bytes.count))
    }
    func isSet(_ id: UInt16) -> Bool { nftnl_flowtable_is_set(ptr, id) }
    func parse(_ nlh: UnsafePointer<nlmsghdr>) -> Bool { nftnl_flowtable_nlmsg_parse(nlh, ptr) >= 0 }

    var devices: [String] {
        guard isSet(FlowtableAttr.devicesID), let array = nftnl_flowtable_get_array(ptr, FlowtableAttr.devicesID)
        else { return [] }
        return copyStringArray(array)
    }
}

final class NftnlGen: NftnlAttributeHolder {
    let ptr: OpaquePointer
    init() { ptr = nftnl_gen_alloc() }
    deinit { nftnl_gen_free(ptr) }
    func rawValue(_ id: UInt16) -> UnsafeRawBufferPointer? {
        var len: UInt32 = 0
        return buffer(nftnl_gen_get_data(ptr, id, &len), len)
    }
    func setRawValue(_ id: UInt16, _ bytes: UnsafeRawBufferPointer) {
        _ = nftnl_gen_set_data(ptr, id, dataPointer(bytes), UInt32(bytes.count))
    }
    func isSet(_ id: UInt16) -> Bool { nftnl_gen_is_set(ptr, id) }
    func parse(_ nlh: UnsafePointer<nlmsghdr>) -> Bool { nftnl_gen_nlmsg_parse(nlh, ptr) >= 0 }
}

/// Context for libnftnl's `*_expr_foreach` callbacks (C function pointers
/// cannot capture): collects each expression, borrowed from `owner`.
private final class ExprCollector {
    let owner: AnyObject
    var exprs: [NftnlExpr] = []
    init(owner: AnyObject) { self.owner = owner }
}

private func collectExpression(_ e: OpaquePointer?, _ data: UnsafeMutableRawPointer?) -> Int32 {
    guard let e, let data else { return 0 }
    let c = Unmanaged<ExprCollector>.fromOpaque(data).takeUnretainedValue()
    c.exprs.append(NftnlExpr(borrowing: e, owner: c.owner))
    return 0
}

private func copyStringArray(_ array: UnsafePointer<UnsafePointer<CChar>?>) -> [String] {
    var out: [String] = []
    var i = 0
    while let s = array[i] {
        out.append(String(cString: s))
        i += 1
    }
    return out
}
