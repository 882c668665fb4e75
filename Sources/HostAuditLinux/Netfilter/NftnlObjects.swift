#if canImport(Glibc)
import Glibc
#endif
import CNetfilter

// One owning wrapper for every libnftnl object type: `NftnlObject<Kind>`,
// where `Kind` names the type's C functions (free, get, set and is_set in one
// `NftnlFunctions` row; alloc and parse where the type has them). Each object
// lives inside one synchronous read and never crosses isolation; `deinit` frees what the wrapper owns. Borrowed
// objects (set elements, rule expressions) keep their parent alive instead.
//
// The names the reader uses (`NftnlTable`, `NftnlRule`, …) are aliases of the
// one generic class; what only one type has (a rule's expressions, a set's
// elements, a chain's devices) is a constrained extension.

typealias NftnlAlloc = @Sendable () -> OpaquePointer?
typealias NftnlParse = @Sendable (UnsafePointer<nlmsghdr>, OpaquePointer) -> Int32

/// One libnftnl object type: its table of C functions (`NftnlFunctions`).
protocol NftnlKind {
    static var c: NftnlFunctions { get }
}

/// A type `nftnl_*_alloc()` makes without arguments.
protocol NftnlAllocatable: NftnlKind {
    static var alloc: NftnlAlloc { get }
}

/// A type read from one netlink message (`nftnl_*_nlmsg_parse`).
protocol NftnlParsable: NftnlAllocatable {
    static var parse: NftnlParse { get }
}

/// The C functions every libnftnl object type has, so that each type below is
/// one row and the wrapper's logic is written once.
struct NftnlFunctions: Sendable {
    let free: @Sendable (OpaquePointer) -> Void
    /// The attribute's bytes (borrowed from the object), or nil when unset.
    let get: @Sendable (OpaquePointer, UInt16) -> UnsafeRawBufferPointer?
    let set: @Sendable (OpaquePointer, UInt16, UnsafeRawPointer, UInt32) -> Void
    let isSet: @Sendable (OpaquePointer, UInt16) -> Bool

    /// `getData` is the type's width-free getter (`nftnl_*_get_data`, or
    /// `nftnl_*_get` with a length): it reports the length it returns.
    init<R>(
        _ free: @escaping @Sendable (OpaquePointer) -> Void,
        _ getData: @escaping @Sendable (OpaquePointer, UInt16, UnsafeMutablePointer<UInt32>) -> UnsafeRawPointer?,
        _ set: @escaping @Sendable (OpaquePointer, UInt16, UnsafeRawPointer, UInt32) -> R,
        _ isSet: @escaping @Sendable (OpaquePointer, UInt16) -> Bool
    ) {
        self.init(free, get: { p, id in
            var len: UInt32 = 0
            guard let v = getData(p, id, &len) else { return nil }
            return UnsafeRawBufferPointer(start: v, count: Int(len))
        }, set, isSet)
    }

    /// For a type without a length-reporting getter.
    init<R>(
        _ free: @escaping @Sendable (OpaquePointer) -> Void,
        get: @escaping @Sendable (OpaquePointer, UInt16) -> UnsafeRawBufferPointer?,
        _ set: @escaping @Sendable (OpaquePointer, UInt16, UnsafeRawPointer, UInt32) -> R,
        _ isSet: @escaping @Sendable (OpaquePointer, UInt16) -> Bool
    ) {
        self.free = free
        self.get = get
        self.set = { _ = set($0, $1, $2, $3) }
        self.isSet = isSet
    }
}

final class NftnlObject<Kind: NftnlKind>: NftnlAttributeHolder {
    let ptr: OpaquePointer
    /// The parent a borrowed object keeps alive; nil when this wrapper owns `ptr`.
    private let owner: AnyObject?

    init(owning p: OpaquePointer) {
        ptr = p
        owner = nil
    }

    init(borrowing p: OpaquePointer, owner: AnyObject) {
        ptr = p
        self.owner = owner
    }

    deinit { if owner == nil { Kind.c.free(ptr) } }

    func rawValue(_ id: UInt16) -> UnsafeRawBufferPointer? { Kind.c.get(ptr, id) }
    func setRawValue(_ id: UInt16, _ bytes: UnsafeRawBufferPointer) {
        // libnftnl never reads through a zero-length pointer, but it must be non-nil.
        Kind.c.set(ptr, id, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, UInt32(bytes.count))
    }
    func isSet(_ id: UInt16) -> Bool { Kind.c.isSet(ptr, id) }
}

extension NftnlObject where Kind: NftnlAllocatable {
    /// libnftnl's allocators return NULL only when out of memory.
    convenience init() { self.init(owning: Kind.alloc()!) }
}

extension NftnlObject where Kind: NftnlParsable {
    /// Fills the object from a netlink message; false when libnftnl rejects it.
    func parse(_ nlh: UnsafePointer<nlmsghdr>) -> Bool { Kind.parse(nlh, ptr) >= 0 }
}

// MARK: The object types

enum NftnlKinds {
    enum Table: NftnlParsable {
        static let c = NftnlFunctions(nftnl_table_free, nftnl_table_get_data, nftnl_table_set_data, nftnl_table_is_set)
        static let alloc: NftnlAlloc = nftnl_table_alloc, parse: NftnlParse = nftnl_table_nlmsg_parse
    }
    enum Chain: NftnlParsable {
        static let c = NftnlFunctions(nftnl_chain_free, nftnl_chain_get_data, nftnl_chain_set_data, nftnl_chain_is_set)
        static let alloc: NftnlAlloc = nftnl_chain_alloc, parse: NftnlParse = nftnl_chain_nlmsg_parse
    }
    enum Rule: NftnlParsable {
        static let c = NftnlFunctions(nftnl_rule_free, nftnl_rule_get_data, nftnl_rule_set_data, nftnl_rule_is_set)
        static let alloc: NftnlAlloc = nftnl_rule_alloc, parse: NftnlParse = nftnl_rule_nlmsg_parse
    }
    enum Set: NftnlParsable {
        static let c = NftnlFunctions(nftnl_set_free, nftnl_set_get_data, nftnl_set_set_data, nftnl_set_is_set)
        static let alloc: NftnlAlloc = nftnl_set_alloc, parse: NftnlParse = nftnl_set_nlmsg_parse
    }
    enum Obj: NftnlParsable {
        static let c = NftnlFunctions(nftnl_obj_free, nftnl_obj_get_data, nftnl_obj_set_data, nftnl_obj_is_set)
        static let alloc: NftnlAlloc = nftnl_obj_alloc, parse: NftnlParse = nftnl_obj_nlmsg_parse
    }
    enum Gen: NftnlParsable {
        static let c = NftnlFunctions(nftnl_gen_free, nftnl_gen_get_data, nftnl_gen_set_data, nftnl_gen_is_set)
        static let alloc: NftnlAlloc = nftnl_gen_alloc, parse: NftnlParse = nftnl_gen_nlmsg_parse
    }
    /// Elements are parsed with their set (`NftnlSet.parseElements`).
    enum SetElement: NftnlAllocatable {
        static let c = NftnlFunctions(nftnl_set_elem_free, nftnl_set_elem_get, nftnl_set_elem_set, nftnl_set_elem_is_set)
        static let alloc: NftnlAlloc = nftnl_set_elem_alloc
    }
    /// Expressions are made by name (`nftnl_expr_alloc("ct")`), not by `alloc()`.
    enum Expr: NftnlKind {
        static let c = NftnlFunctions(nftnl_expr_free, { p, id, len in
            nftnl_expr_is_set(p, id) ? nftnl_expr_get(p, id, len) : nil
        }, nftnl_expr_set, nftnl_expr_is_set)
    }
    enum Flowtable: NftnlParsable {
        static let c = NftnlFunctions(
            nftnl_flowtable_free, get: flowtableGet, nftnl_flowtable_set_data, nftnl_flowtable_is_set)
        static let alloc: NftnlAlloc = nftnl_flowtable_alloc, parse: NftnlParse = nftnl_flowtable_nlmsg_parse
    }
}

/// libnftnl 1.2.4 exports no `nftnl_flowtable_get_data`; the length comes
/// from the declared width (checked by libnftnl's own validation when the
/// width tests set each attribute through `nftnl_flowtable_set_data`).
private func flowtableGet(_ p: OpaquePointer, _ id: UInt16) -> UnsafeRawBufferPointer? {
    guard nftnl_flowtable_is_set(p, id), let v = nftnl_flowtable_get(p, id) else { return nil }
    guard let attr = FlowtableAttr.byID[id] else { return nil }
    if let width = attr.width { return UnsafeRawBufferPointer(start: v, count: width) }
    return UnsafeRawBufferPointer(start: v, count: strlen(v.assumingMemoryBound(to: CChar.self)) + 1)
}

typealias NftnlTable = NftnlObject<NftnlKinds.Table>
typealias NftnlChain = NftnlObject<NftnlKinds.Chain>
typealias NftnlRule = NftnlObject<NftnlKinds.Rule>
typealias NftnlExpr = NftnlObject<NftnlKinds.Expr>
typealias NftnlSet = NftnlObject<NftnlKinds.Set>
typealias NftnlSetElement = NftnlObject<NftnlKinds.SetElement>
typealias NftnlObj = NftnlObject<NftnlKinds.Obj>
typealias NftnlFlowtable = NftnlObject<NftnlKinds.Flowtable>
typealias NftnlGen = NftnlObject<NftnlKinds.Gen>

// MARK: What only one type has

extension NftnlObject where Kind == NftnlKinds.Chain {
    /// `NFTNL_CHAIN_DEVICES` (a NULL-terminated string array), copied.
    var devices: [String] {
        guard isSet(ChainAttr.devicesID), let array = nftnl_chain_get_array(ptr, ChainAttr.devicesID) else { return [] }
        return copyStringArray(array)
    }
}

extension NftnlObject where Kind == NftnlKinds.Flowtable {
    var devices: [String] {
        guard isSet(FlowtableAttr.devicesID), let array = nftnl_flowtable_get_array(ptr, FlowtableAttr.devicesID)
        else { return [] }
        return copyStringArray(array)
    }
}

extension NftnlObject where Kind == NftnlKinds.Rule {
    /// The rule's expressions in order (borrowed; each keeps the rule alive).
    var expressions: [NftnlExpr] {
        guard let it = nftnl_expr_iter_create(ptr) else { return [] }
        defer { nftnl_expr_iter_destroy(it) }
        var out: [NftnlExpr] = []
        while let e = nftnl_expr_iter_next(it) { out.append(NftnlExpr(borrowing: e, owner: self)) }
        return out
    }
}

extension NftnlObject where Kind == NftnlKinds.Expr {
    /// A fresh expression of the given kind (owned; for tests and requests).
    convenience init?(name: String) {
        guard let p = nftnl_expr_alloc(name) else { return nil }
        self.init(owning: p)
    }

    var name: String { self[ExprAttr.name] ?? "" }

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

extension NftnlObject where Kind == NftnlKinds.Set {
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

extension NftnlObject where Kind == NftnlKinds.SetElement {
    /// The element's stateful expressions (`NFTNL_SET_ELEM_EXPR` /
    /// `NFTNL_SET_ELEM_EXPRESSIONS`), borrowed.
    var expressions: [NftnlExpr] {
        let collector = ExprCollector(owner: self)
        withExtendedLifetime(collector) {
            _ = nftnl_set_elem_expr_foreach(ptr, collectExpression, Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.exprs
    }
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
