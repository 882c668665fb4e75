import CNetfilter
import HostAuditCore
import Testing

@testable import HostAuditLinux

/// Every typed libnftnl accessor, written with its declared width and read
/// back. libnftnl validates the width of table/chain/rule/set/element/object/
/// flowtable setters and calls exit() on a mismatch, so a wrong declaration
/// ends this test process; for expressions (which don't validate) a wrong
/// width reads back as nil. No privileges needed.
@Suite("Netfilter accessor widths")
struct NetfilterAccessorTests {
    // `O` must be constrained explicitly: with the constraint left to be
    // inferred from `any NftnlAttribute<O>`, Swift 6.3.1 compiled the
    // existential call without the holder's witness table and crashed at run time.
    private func check<O: NftnlAttributeHolder>(_ catalog: [(String, any NftnlAttribute<O>)], on make: () -> O, _ label: String) {
        for (name, attr) in catalog {
            #expect(attr.roundTrip(make()), "\(label).\(name) (attribute \(attr.id)) did not round-trip")
        }
    }

    @Test func tableChainRuleSetElementGenAccessors() {
        check(TableAttr.all, on: NftnlTable.init, "table")
        check(ChainAttr.all, on: NftnlChain.init, "chain")
        check(RuleAttr.all, on: NftnlRule.init, "rule")
        check(SetAttr.all, on: NftnlSet.init, "set")
        check(SetElemAttr.all, on: NftnlSetElement.init, "element")
        check(FlowtableAttr.all, on: NftnlFlowtable.init, "flowtable")
        check(GenAttr.all, on: NftnlGen.init, "gen")
    }

    @Test func objectAccessors() {
        // NFTNL_OBJ_TYPE only accepts a known NFT_OBJECT_* value (it selects the
        // object's ops), so it is checked with real types below.
        check(ObjAttr.all.filter { $0.0 != "type" }, on: NftnlObj.init, "obj")
        let typed: [(UInt32, [(String, any NftnlAttribute<NftnlObj>)], String)] = [
            (ObjAttr.Counter.type, ObjAttr.Counter.all, "counter"), (ObjAttr.Quota.type, ObjAttr.Quota.all, "quota"),
            (ObjAttr.Limit.type, ObjAttr.Limit.all, "limit"), (ObjAttr.CtHelper.type, ObjAttr.CtHelper.all, "ct_helper"),
        ]
        for (type, catalog, label) in typed {
            check(
                catalog,
                on: {
                    let o = NftnlObj()
                    o.set(ObjAttr.type, type)
                    return o
                }, "obj.\(label)")
            let o = NftnlObj()
            o.set(ObjAttr.type, type)
            #expect(o[ObjAttr.type] == type)
        }
    }

    @Test(arguments: ExprAttr.catalogs.map(\.kind))
    func expressionAccessors(kind: String) throws {
        let catalog = try #require(ExprAttr.catalogs.first { $0.kind == kind }).attributes
        // match/target INFO setters take ownership of the pointer (they free it
        // later), so they can't be fed a Swift buffer; the iptables-nft test
        // reads a real INFO blob instead.
        let testable = catalog.filter { !(["match", "target"].contains(kind) && $0.0 == "info") }
        for (name, attr) in testable {
            let e = try #require(NftnlExpr(name: kind))
            #expect(attr.roundTrip(e), "\(kind).\(name) (attribute \(attr.id)) did not round-trip")
        }
        let e = try #require(NftnlExpr(name: kind))
        #expect(e.name == kind)
    }

    @Test func wrongWidthReadsAsNilNotExit() throws {
        // A u8 attribute read through a u32 declaration: nil, never exit().
        let e = try #require(NftnlExpr(name: "ct"))
        e.set(ExprAttr.Ct.direction, 1)
        #expect(e[U32Attr<NftnlExpr>(ExprAttr.Ct.direction.id)] == nil)
        #expect(e[ExprAttr.Ct.direction] == 1)
        // A u64 chain attribute through a u32 declaration.
        let c = NftnlChain()
        c.set(ChainAttr.handle, 42)
        #expect(c[U32Attr<NftnlChain>(ChainAttr.handle.id)] == nil)
        #expect(c[ChainAttr.handle] == 42)
    }

    @Test func unsetAttributesAreNil() {
        let t = NftnlTable()
        #expect(t[TableAttr.name] == nil)
        #expect(t[TableAttr.handle] == nil)
        #expect(!t.isSet(TableAttr.flags))
    }

    @Test func unknownExpressionKeepsRawAttributes() throws {
        // `last` is not modelled (numgen, the example before, now has its own type).
        let e = try #require(NftnlExpr(name: "last"))
        e.set(U32Attr<NftnlExpr>(attrID(NFTNL_EXPR_LAST_SET)), 1)
        let expr = Expression(e)
        guard case .opaque(let name, let attributes) = expr else {
            Issue.record("last should be opaque, got \(expr)")
            return
        }
        #expect(name == "last")
        #expect(attributes.contains { $0.id == attrID(NFTNL_EXPR_LAST_SET) && $0.bytes == [1, 0, 0, 0] })
    }
}

@Suite("Ruleset model")
struct NetfilterModelTests {
    @Test func registerSlots() {
        #expect(Register(0).slot == 0)
        #expect(Register(1).slot == 4)
        #expect(Register(4).slot == 16)
        #expect(Register(8).slot == 4)  // NFT_REG32_00 overlaps NFT_REG_1
        #expect(Register(9).slot == 5)
        #expect(Register(23).slot == 19)
    }

    @Test func verdictCodes() {
        #expect(Verdict(code: 1, chain: nil) == .accept)
        #expect(Verdict(code: 0, chain: nil) == .drop)
        #expect(Verdict(code: -1, chain: nil) == .continue)
        #expect(Verdict(code: -2, chain: nil) == .break)
        #expect(Verdict(code: -3, chain: "sub") == .jump("sub"))
        #expect(Verdict(code: -4, chain: "sub") == .goto("sub"))
        #expect(Verdict(code: -5, chain: nil) == .return)
        #expect(Verdict(code: 3 | (7 << 16), chain: nil) == .queue)
        #expect(Verdict(code: 42, chain: nil) == .other(42))
    }

    @Test func ruleComment() {
        // nft's userdata: TLV type 0 (comment), length 6, "hello\0".
        #expect(RuleUserData.comment(in: [0, 6] + Array("hello".utf8) + [0]) == "hello")
        // Another TLV first, then the comment.
        #expect(RuleUserData.comment(in: [1, 1, 9, 0, 3, 0x61, 0x62, 0]) == "ab")
        #expect(RuleUserData.comment(in: [1, 1, 9]) == nil)
        #expect(RuleUserData.comment(in: [0, 40, 1]) == nil)  // truncated
    }

    @Test func legacyNames() {
        #expect(LegacyTables.parse("filter\nnat\n\n") == ["filter", "nat"])
        #expect(LegacyTables.parse("") == [])
    }

    @Test func familiesAndHooks() {
        #expect(Family(nfproto: 2) == .ip)
        #expect(Family(nfproto: 10) == .ip6)
        #expect(Family(nfproto: 1) == .inet)
        #expect(Family(nfproto: 5) == .netdev)
        #expect(Family(nfproto: 99) == .other(99))
        #expect(Hook(number: 0, family: .netdev) == .ingress)
        #expect(Hook(number: 0, family: .inet) == .prerouting)
        #expect(Hook(number: 5, family: .inet) == .ingress)
    }

    @Test func jsonUsesExprKey() throws {
        let e = Expression.reject(.init(type: 2, code: 3))
        let json = try JSONValueEncoder().encode(e)
        #expect(json["expr"]?.stringValue == "reject")
        #expect(json["type"]?.intValue == 2)
    }
}
