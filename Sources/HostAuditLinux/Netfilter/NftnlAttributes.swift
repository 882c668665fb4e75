import CNetfilter

// Every libnftnl attribute the reader uses, with its width (libnftnl 1.2.4;
// expression widths measured with nftnl_expr_get's reported length).
// `all` lists each catalog for the accessor-width tests.

enum TableAttr {
    typealias O = NftnlTable
    static let name = StrAttr<O>(attrID(NFTNL_TABLE_NAME))
    static let family = U32Attr<O>(attrID(NFTNL_TABLE_FAMILY))
    static let flags = U32Attr<O>(attrID(NFTNL_TABLE_FLAGS))
    static let use = U32Attr<O>(attrID(NFTNL_TABLE_USE))
    static let handle = U64Attr<O>(attrID(NFTNL_TABLE_HANDLE))
    static let userdata = DataAttr<O>(attrID(NFTNL_TABLE_USERDATA))
    static let owner = U32Attr<O>(attrID(NFTNL_TABLE_OWNER))
    static let all: [(String, any NftnlAttribute<O>)] = [
        ("name", name), ("family", family), ("flags", flags), ("use", use), ("handle", handle),
        ("userdata", userdata), ("owner", owner),
    ]
}

enum ChainAttr {
    typealias O = NftnlChain
    static let name = StrAttr<O>(attrID(NFTNL_CHAIN_NAME))
    static let family = U32Attr<O>(attrID(NFTNL_CHAIN_FAMILY))
    static let table = StrAttr<O>(attrID(NFTNL_CHAIN_TABLE))
    static let hooknum = U32Attr<O>(attrID(NFTNL_CHAIN_HOOKNUM))
    static let priority = S32Attr<O>(attrID(NFTNL_CHAIN_PRIO))
    static let policy = U32Attr<O>(attrID(NFTNL_CHAIN_POLICY))
    static let use = U32Attr<O>(attrID(NFTNL_CHAIN_USE))
    static let bytes = U64Attr<O>(attrID(NFTNL_CHAIN_BYTES))
    static let packets = U64Attr<O>(attrID(NFTNL_CHAIN_PACKETS))
    static let handle = U64Attr<O>(attrID(NFTNL_CHAIN_HANDLE))
    static let type = StrAttr<O>(attrID(NFTNL_CHAIN_TYPE))
    static let device = StrAttr<O>(attrID(NFTNL_CHAIN_DEV))
    /// A string array: read with `NftnlChain.devices`.
    static let devicesID = attrID(NFTNL_CHAIN_DEVICES)
    static let flags = U32Attr<O>(attrID(NFTNL_CHAIN_FLAGS))
    static let id = U32Attr<O>(attrID(NFTNL_CHAIN_ID))
    static let userdata = DataAttr<O>(attrID(NFTNL_CHAIN_USERDATA))
    static let all: [(String, any NftnlAttribute<O>)] = [
        ("name", name), ("family", family), ("table", table), ("hooknum", hooknum), ("priority", priority),
        ("policy", policy), ("use", use), ("bytes", bytes), ("packets", packets), ("handle", handle),
        ("type", type), ("device", device), ("flags", flags), ("id", id), ("userdata", userdata),
    ]
}

enum RuleAttr {
    typealias O = NftnlRule
    static let family = U32Attr<O>(attrID(NFTNL_RULE_FAMILY))
    static let table = StrAttr<O>(attrID(NFTNL_RULE_TABLE))
    static let chain = StrAttr<O>(attrID(NFTNL_RULE_CHAIN))
    static let handle = U64Attr<O>(attrID(NFTNL_RULE_HANDLE))
    static let compatProto = U32Attr<O>(attrID(NFTNL_RULE_COMPAT_PROTO))
    static let compatFlags = U32Attr<O>(attrID(NFTNL_RULE_COMPAT_FLAGS))
    static let position = U64Attr<O>(attrID(NFTNL_RULE_POSITION))
    static let userdata = DataAttr<O>(attrID(NFTNL_RULE_USERDATA))
    static let id = U32Attr<O>(attrID(NFTNL_RULE_ID))
    static let positionID = U32Attr<O>(attrID(NFTNL_RULE_POSITION_ID))
    static let all: [(String, any NftnlAttribute<O>)] = [
        ("family", family), ("table", table), ("chain", chain), ("handle", handle), ("compatProto", compatProto),
        ("compatFlags", compatFlags), ("position", position), ("userdata", userdata), ("id", id),
        ("positionID", positionID),
    ]
}

enum SetAttr {
    typealias O = NftnlSet
    static let table = StrAttr<O>(attrID(NFTNL_SET_TABLE))
    static let name = StrAttr<O>(attrID(NFTNL_SET_NAME))
    static let flags = U32Attr<O>(attrID(NFTNL_SET_FLAGS))
    static let keyType = U32Attr<O>(attrID(NFTNL_SET_KEY_TYPE))
    static let keyLength = U32Attr<O>(attrID(NFTNL_SET_KEY_LEN))
    static let dataType = U32Attr<O>(attrID(NFTNL_SET_DATA_TYPE))
    static let dataLength = U32Attr<O>(attrID(NFTNL_SET_DATA_LEN))
    static let family = U32Attr<O>(attrID(NFTNL_SET_FAMILY))
    static let id = U32Attr<O>(attrID(NFTNL_SET_ID))
    static let policy = U32Attr<O>(attrID(NFTNL_SET_POLICY))
    static let descSize = U32Attr<O>(attrID(NFTNL_SET_DESC_SIZE))
    static let timeout = U64Attr<O>(attrID(NFTNL_SET_TIMEOUT))
    static let gcInterval = U32Attr<O>(attrID(NFTNL_SET_GC_INTERVAL))
    static let userdata = DataAttr<O>(attrID(NFTNL_SET_USERDATA))
    static let objectType = U32Attr<O>(attrID(NFTNL_SET_OBJ_TYPE))
    static let handle = U64Attr<O>(attrID(NFTNL_SET_HANDLE))
    static let all: [(String, any NftnlAttribute<O>)] = [
        ("table", table), ("name", name), ("flags", flags), ("keyType", keyType), ("keyLength", keyLength),
        ("dataType", dataType), ("dataLength", dataLength), ("family", family), ("id", id), ("policy", policy),
        ("descSize", descSize), ("timeout", timeout), ("gcInterval", gcInterval), ("userdata", userdata),
        ("objectType", objectType), ("handle", handle),
    ]
}

enum SetElemAttr {
    typealias O = NftnlSetElement
    static let flags = U32Attr<O>(attrID(NFTNL_SET_ELEM_FLAGS))
    static let key = DataAttr<O>(attrID(NFTNL_SET_ELEM_KEY))
    static let verdict = S32Attr<O>(attrID(NFTNL_SET_ELEM_VERDICT))
    static let chain = StrAttr<O>(attrID(NFTNL_SET_ELEM_CHAIN))
    static let data = DataAttr<O>(attrID(NFTNL_SET_ELEM_DATA))
    static let timeout = U64Attr<O>(attrID(NFTNL_SET_ELEM_TIMEOUT))
    static let expiration = U64Attr<O>(attrID(NFTNL_SET_ELEM_EXPIRATION))
    static let userdata = DataAttr<O>(attrID(NFTNL_SET_ELEM_USERDATA))
    static let objref = StrAttr<O>(attrID(NFTNL_SET_ELEM_OBJREF))
    static let keyEnd = DataAttr<O>(attrID(NFTNL_SET_ELEM_KEY_END))
    static let all: [(String, any NftnlAttribute<O>)] = [
        ("flags", flags), ("key", key), ("verdict", verdict), ("chain", chain), ("data", data),
        ("timeout", timeout), ("expiration", expiration), ("userdata", userdata), ("objref", objref),
        ("keyEnd", keyEnd),
    ]
}

enum ObjAttr {
    typealias O = NftnlObj
    static let table = StrAttr<O>(attrID(NFTNL_OBJ_TABLE))
    static let name = StrAttr<O>(attrID(NFTNL_OBJ_NAME))
    static let type = U32Attr<O>(attrID(NFTNL_OBJ_TYPE))
    static let family = U32Attr<O>(attrID(NFTNL_OBJ_FAMILY))
    static let use = U32Attr<O>(attrID(NFTNL_OBJ_USE))
    static let handle = U64Attr<O>(attrID(NFTNL_OBJ_HANDLE))
    static let userdata = DataAttr<O>(attrID(NFTNL_OBJ_USERDATA))
    static let all: [(String, any NftnlAttribute<O>)] = [
        ("table", table), ("name", name), ("type", type), ("family", family), ("use", use), ("handle", handle),
        ("userdata", userdata),
    ]

    /// Type-specific attributes; each catalog needs `NFTNL_OBJ_TYPE` set first.
    enum Counter {
        static let type: UInt32 = 1
        static let packets = U64Attr<O>(attrID(NFTNL_OBJ_CTR_PKTS))
        static let bytes = U64Attr<O>(attrID(NFTNL_OBJ_CTR_BYTES))
        static let all: [(String, any NftnlAttribute<O>)] = [("packets", packets), ("bytes", bytes)]
    }
    enum Quota {
        static let type: UInt32 = 2
        static let bytes = U64Attr<O>(attrID(NFTNL_OBJ_QUOTA_BYTES))
        static let consumed = U64Attr<O>(attrID(NFTNL_OBJ_QUOTA_CONSUMED))
        static let flags = U32Attr<O>(attrID(NFTNL_OBJ_QUOTA_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [("bytes", bytes), ("consumed", consumed), ("flags", flags)]
    }
    enum CtHelper {
        static let type: UInt32 = 3
        static let name = StrAttr<O>(attrID(NFTNL_OBJ_CT_HELPER_NAME))
        static let l3proto = U16Attr<O>(attrID(NFTNL_OBJ_CT_HELPER_L3PROTO))
        static let l4proto = U8Attr<O>(attrID(NFTNL_OBJ_CT_HELPER_L4PROTO))
        static let all: [(String, any NftnlAttribute<O>)] = [("name", name), ("l3proto", l3proto), ("l4proto", l4proto)]
    }
    enum CtExpect {
        static let type: UInt32 = 9
        static let l3proto = U16Attr<O>(attrID(NFTNL_OBJ_CT_EXPECT_L3PROTO))
        static let l4proto = U8Attr<O>(attrID(NFTNL_OBJ_CT_EXPECT_L4PROTO))
        static let dport = U16Attr<O>(attrID(NFTNL_OBJ_CT_EXPECT_DPORT))
        static let timeout = U32Attr<O>(attrID(NFTNL_OBJ_CT_EXPECT_TIMEOUT))
        static let size = U8Attr<O>(attrID(NFTNL_OBJ_CT_EXPECT_SIZE))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("l3proto", l3proto), ("l4proto", l4proto), ("dport", dport), ("timeout", timeout), ("size", size),
        ]
    }
    enum Synproxy {
        static let type: UInt32 = 10
        static let mss = U16Attr<O>(attrID(NFTNL_OBJ_SYNPROXY_MSS))
        static let wscale = U8Attr<O>(attrID(NFTNL_OBJ_SYNPROXY_WSCALE))
        static let flags = U32Attr<O>(attrID(NFTNL_OBJ_SYNPROXY_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [("mss", mss), ("wscale", wscale), ("flags", flags)]
    }
    enum Limit {
        static let type: UInt32 = 4
        static let rate = U64Attr<O>(attrID(NFTNL_OBJ_LIMIT_RATE))
        static let unit = U64Attr<O>(attrID(NFTNL_OBJ_LIMIT_UNIT))
        static let burst = U32Attr<O>(attrID(NFTNL_OBJ_LIMIT_BURST))
        static let limitType = U32Attr<O>(attrID(NFTNL_OBJ_LIMIT_TYPE))
        static let flags = U32Attr<O>(attrID(NFTNL_OBJ_LIMIT_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("rate", rate), ("unit", unit), ("burst", burst), ("type", limitType), ("flags", flags),
        ]
    }
}

enum FlowtableAttr {
    typealias O = NftnlFlowtable
    static let name = StrAttr<O>(attrID(NFTNL_FLOWTABLE_NAME))
    static let family = U32Attr<O>(attrID(NFTNL_FLOWTABLE_FAMILY))
    static let table = StrAttr<O>(attrID(NFTNL_FLOWTABLE_TABLE))
    static let hooknum = U32Attr<O>(attrID(NFTNL_FLOWTABLE_HOOKNUM))
    static let priority = S32Attr<O>(attrID(NFTNL_FLOWTABLE_PRIO))
    // NFTNL_FLOWTABLE_USE: libnftnl 1.2.4 parses it but its getter returns
    // NULL (no case in nftnl_flowtable_get_data), so it is not declared here.
    /// A string array: read with `NftnlFlowtable.devices`.
    static let devicesID = attrID(NFTNL_FLOWTABLE_DEVICES)
    static let size = U32Attr<O>(attrID(NFTNL_FLOWTABLE_SIZE))
    static let flags = U32Attr<O>(attrID(NFTNL_FLOWTABLE_FLAGS))
    static let handle = U64Attr<O>(attrID(NFTNL_FLOWTABLE_HANDLE))
    static let all: [(String, any NftnlAttribute<O>)] = [
        ("name", name), ("family", family), ("table", table), ("hooknum", hooknum), ("priority", priority),
        ("size", size), ("flags", flags), ("handle", handle),
    ]
    static let byID: [UInt16: any NftnlAttribute<O>] = Dictionary(
        all.map { ($0.1.id, $0.1) }, uniquingKeysWith: { a, _ in a })
}

enum GenAttr {
    typealias O = NftnlGen
    static let id = U32Attr<O>(attrID(NFTNL_GEN_ID))
    static let all: [(String, any NftnlAttribute<O>)] = [("id", id)]
}

/// Expression attributes, one catalog per expression kind (`kind` is the
/// name passed to `nftnl_expr_alloc`).
enum ExprAttr {
    typealias O = NftnlExpr
    static let name = StrAttr<O>(attrID(NFTNL_EXPR_NAME))

    /// Attribute catalogs by expression name, for the width tests.
    static let catalogs: [(kind: String, attributes: [(String, any NftnlAttribute<O>)])] = [
        ("meta", Meta.all), ("payload", Payload.all), ("cmp", Cmp.all), ("bitwise", Bitwise.all),
        ("range", Range.all), ("lookup", Lookup.all), ("immediate", Immediate.all), ("counter", Counter.all),
        ("ct", Ct.all), ("reject", Reject.all), ("log", Log.all), ("limit", Limit.all), ("quota", Quota.all),
        ("nat", Nat.all), ("masq", Masq.all), ("redir", Redir.all), ("queue", Queue.all), ("dynset", Dynset.all),
        ("objref", Objref.all), ("fib", Fib.all), ("socket", Socket.all), ("exthdr", Exthdr.all),
        ("match", Match.all), ("target", Target.all), ("byteorder", Byteorder.all), ("connlimit", Connlimit.all),
        ("numgen", Numgen.all), ("hash", Hash.all), ("osf", Osf.all), ("rt", Rt.all), ("xfrm", Xfrm.all),
        ("synproxy", Synproxy.all), ("dup", Dup.all), ("fwd", Fwd.all), ("tproxy", Tproxy.all),
        ("flow_offload", FlowOffload.all),
    ]

    enum Meta {
        static let key = U32Attr<O>(attrID(NFTNL_EXPR_META_KEY))
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_META_DREG))
        static let sreg = U32Attr<O>(attrID(NFTNL_EXPR_META_SREG))
        static let all: [(String, any NftnlAttribute<O>)] = [("key", key), ("dreg", dreg), ("sreg", sreg)]
    }
    enum Payload {
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_PAYLOAD_DREG))
        static let base = U32Attr<O>(attrID(NFTNL_EXPR_PAYLOAD_BASE))
        static let offset = U32Attr<O>(attrID(NFTNL_EXPR_PAYLOAD_OFFSET))
        static let length = U32Attr<O>(attrID(NFTNL_EXPR_PAYLOAD_LEN))
        static let sreg = U32Attr<O>(attrID(NFTNL_EXPR_PAYLOAD_SREG))
        static let csumType = U32Attr<O>(attrID(NFTNL_EXPR_PAYLOAD_CSUM_TYPE))
        static let csumOffset = U32Attr<O>(attrID(NFTNL_EXPR_PAYLOAD_CSUM_OFFSET))
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_PAYLOAD_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("dreg", dreg), ("base", base), ("offset", offset), ("length", length), ("sreg", sreg),
            ("csumType", csumType), ("csumOffset", csumOffset), ("flags", flags),
        ]
    }
    enum Cmp {
        static let sreg = U32Attr<O>(attrID(NFTNL_EXPR_CMP_SREG))
        static let op = U32Attr<O>(attrID(NFTNL_EXPR_CMP_OP))
        static let data = DataAttr<O>(attrID(NFTNL_EXPR_CMP_DATA))
        static let all: [(String, any NftnlAttribute<O>)] = [("sreg", sreg), ("op", op), ("data", data)]
    }
    enum Bitwise {
        static let sreg = U32Attr<O>(attrID(NFTNL_EXPR_BITWISE_SREG))
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_BITWISE_DREG))
        static let length = U32Attr<O>(attrID(NFTNL_EXPR_BITWISE_LEN))
        static let mask = DataAttr<O>(attrID(NFTNL_EXPR_BITWISE_MASK))
        static let xor = DataAttr<O>(attrID(NFTNL_EXPR_BITWISE_XOR))
        static let op = U32Attr<O>(attrID(NFTNL_EXPR_BITWISE_OP))
        static let data = DataAttr<O>(attrID(NFTNL_EXPR_BITWISE_DATA))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("sreg", sreg), ("dreg", dreg), ("length", length), ("mask", mask), ("xor", xor), ("op", op),
            ("data", data),
        ]
    }
    enum Range {
        static let sreg = U32Attr<O>(attrID(NFTNL_EXPR_RANGE_SREG))
        static let op = U32Attr<O>(attrID(NFTNL_EXPR_RANGE_OP))
        static let from = DataAttr<O>(attrID(NFTNL_EXPR_RANGE_FROM_DATA))
        static let to = DataAttr<O>(attrID(NFTNL_EXPR_RANGE_TO_DATA))
        static let all: [(String, any NftnlAttribute<O>)] = [("sreg", sreg), ("op", op), ("from", from), ("to", to)]
    }
    enum Lookup {
        static let sreg = U32Attr<O>(attrID(NFTNL_EXPR_LOOKUP_SREG))
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_LOOKUP_DREG))
        static let set = StrAttr<O>(attrID(NFTNL_EXPR_LOOKUP_SET))
        static let setID = U32Attr<O>(attrID(NFTNL_EXPR_LOOKUP_SET_ID))
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_LOOKUP_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("sreg", sreg), ("dreg", dreg), ("set", set), ("setID", setID), ("flags", flags),
        ]
    }
    enum Immediate {
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_IMM_DREG))
        static let data = DataAttr<O>(attrID(NFTNL_EXPR_IMM_DATA))
        static let verdict = S32Attr<O>(attrID(NFTNL_EXPR_IMM_VERDICT))
        static let chain = StrAttr<O>(attrID(NFTNL_EXPR_IMM_CHAIN))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("dreg", dreg), ("data", data), ("verdict", verdict), ("chain", chain),
        ]
    }
    enum Counter {
        static let packets = U64Attr<O>(attrID(NFTNL_EXPR_CTR_PACKETS))
        static let bytes = U64Attr<O>(attrID(NFTNL_EXPR_CTR_BYTES))
        static let all: [(String, any NftnlAttribute<O>)] = [("packets", packets), ("bytes", bytes)]
    }
    enum Ct {
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_CT_DREG))
        static let key = U32Attr<O>(attrID(NFTNL_EXPR_CT_KEY))
        static let direction = U8Attr<O>(attrID(NFTNL_EXPR_CT_DIR))
        static let sreg = U32Attr<O>(attrID(NFTNL_EXPR_CT_SREG))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("dreg", dreg), ("key", key), ("direction", direction), ("sreg", sreg),
        ]
    }
    enum Reject {
        static let type = U32Attr<O>(attrID(NFTNL_EXPR_REJECT_TYPE))
        static let code = U8Attr<O>(attrID(NFTNL_EXPR_REJECT_CODE))
        static let all: [(String, any NftnlAttribute<O>)] = [("type", type), ("code", code)]
    }
    enum Log {
        static let prefix = StrAttr<O>(attrID(NFTNL_EXPR_LOG_PREFIX))
        static let group = U16Attr<O>(attrID(NFTNL_EXPR_LOG_GROUP))
        static let snaplen = U32Attr<O>(attrID(NFTNL_EXPR_LOG_SNAPLEN))
        static let queueThreshold = U16Attr<O>(attrID(NFTNL_EXPR_LOG_QTHRESHOLD))
        static let level = U32Attr<O>(attrID(NFTNL_EXPR_LOG_LEVEL))
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_LOG_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("prefix", prefix), ("group", group), ("snaplen", snaplen), ("queueThreshold", queueThreshold),
            ("level", level), ("flags", flags),
        ]
    }
    enum Limit {
        static let rate = U64Attr<O>(attrID(NFTNL_EXPR_LIMIT_RATE))
        static let unit = U64Attr<O>(attrID(NFTNL_EXPR_LIMIT_UNIT))
        static let burst = U32Attr<O>(attrID(NFTNL_EXPR_LIMIT_BURST))
        static let type = U32Attr<O>(attrID(NFTNL_EXPR_LIMIT_TYPE))
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_LIMIT_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("rate", rate), ("unit", unit), ("burst", burst), ("type", type), ("flags", flags),
        ]
    }
    enum Quota {
        static let bytes = U64Attr<O>(attrID(NFTNL_EXPR_QUOTA_BYTES))
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_QUOTA_FLAGS))
        static let consumed = U64Attr<O>(attrID(NFTNL_EXPR_QUOTA_CONSUMED))
        static let all: [(String, any NftnlAttribute<O>)] = [("bytes", bytes), ("flags", flags), ("consumed", consumed)]
    }
    enum Nat {
        static let type = U32Attr<O>(attrID(NFTNL_EXPR_NAT_TYPE))
        static let family = U32Attr<O>(attrID(NFTNL_EXPR_NAT_FAMILY))
        static let regAddrMin = U32Attr<O>(attrID(NFTNL_EXPR_NAT_REG_ADDR_MIN))
        static let regAddrMax = U32Attr<O>(attrID(NFTNL_EXPR_NAT_REG_ADDR_MAX))
        static let regProtoMin = U32Attr<O>(attrID(NFTNL_EXPR_NAT_REG_PROTO_MIN))
        static let regProtoMax = U32Attr<O>(attrID(NFTNL_EXPR_NAT_REG_PROTO_MAX))
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_NAT_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("type", type), ("family", family), ("regAddrMin", regAddrMin), ("regAddrMax", regAddrMax),
            ("regProtoMin", regProtoMin), ("regProtoMax", regProtoMax), ("flags", flags),
        ]
    }
    enum Masq {
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_MASQ_FLAGS))
        static let regProtoMin = U32Attr<O>(attrID(NFTNL_EXPR_MASQ_REG_PROTO_MIN))
        static let regProtoMax = U32Attr<O>(attrID(NFTNL_EXPR_MASQ_REG_PROTO_MAX))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("flags", flags), ("regProtoMin", regProtoMin), ("regProtoMax", regProtoMax),
        ]
    }
    enum Redir {
        static let regProtoMin = U32Attr<O>(attrID(NFTNL_EXPR_REDIR_REG_PROTO_MIN))
        static let regProtoMax = U32Attr<O>(attrID(NFTNL_EXPR_REDIR_REG_PROTO_MAX))
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_REDIR_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("regProtoMin", regProtoMin), ("regProtoMax", regProtoMax), ("flags", flags),
        ]
    }
    enum Queue {
        static let number = U16Attr<O>(attrID(NFTNL_EXPR_QUEUE_NUM))
        static let total = U16Attr<O>(attrID(NFTNL_EXPR_QUEUE_TOTAL))
        static let flags = U16Attr<O>(attrID(NFTNL_EXPR_QUEUE_FLAGS))
        static let sregQueueNumber = U32Attr<O>(attrID(NFTNL_EXPR_QUEUE_SREG_QNUM))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("number", number), ("total", total), ("flags", flags), ("sregQueueNumber", sregQueueNumber),
        ]
    }
    enum Dynset {
        static let sregKey = U32Attr<O>(attrID(NFTNL_EXPR_DYNSET_SREG_KEY))
        static let sregData = U32Attr<O>(attrID(NFTNL_EXPR_DYNSET_SREG_DATA))
        static let op = U32Attr<O>(attrID(NFTNL_EXPR_DYNSET_OP))
        static let timeout = U64Attr<O>(attrID(NFTNL_EXPR_DYNSET_TIMEOUT))
        static let set = StrAttr<O>(attrID(NFTNL_EXPR_DYNSET_SET_NAME))
        static let setID = U32Attr<O>(attrID(NFTNL_EXPR_DYNSET_SET_ID))
        /// The (first) attached expression: a borrowed `struct nftnl_expr *`.
        static let expressionID = attrID(NFTNL_EXPR_DYNSET_EXPR)
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_DYNSET_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("sregKey", sregKey), ("sregData", sregData), ("op", op), ("timeout", timeout), ("set", set),
            ("setID", setID), ("flags", flags),
        ]
    }
    enum Objref {
        static let immType = U32Attr<O>(attrID(NFTNL_EXPR_OBJREF_IMM_TYPE))
        static let immName = StrAttr<O>(attrID(NFTNL_EXPR_OBJREF_IMM_NAME))
        static let setSreg = U32Attr<O>(attrID(NFTNL_EXPR_OBJREF_SET_SREG))
        static let setName = StrAttr<O>(attrID(NFTNL_EXPR_OBJREF_SET_NAME))
        static let setID = U32Attr<O>(attrID(NFTNL_EXPR_OBJREF_SET_ID))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("immType", immType), ("immName", immName), ("setSreg", setSreg), ("setName", setName), ("setID", setID),
        ]
    }
    enum Fib {
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_FIB_DREG))
        static let result = U32Attr<O>(attrID(NFTNL_EXPR_FIB_RESULT))
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_FIB_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [("dreg", dreg), ("result", result), ("flags", flags)]
    }
    enum Socket {
        static let key = U32Attr<O>(attrID(NFTNL_EXPR_SOCKET_KEY))
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_SOCKET_DREG))
        static let level = U32Attr<O>(attrID(NFTNL_EXPR_SOCKET_LEVEL))
        static let all: [(String, any NftnlAttribute<O>)] = [("key", key), ("dreg", dreg), ("level", level)]
    }
    enum Exthdr {
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_EXTHDR_DREG))
        static let type = U8Attr<O>(attrID(NFTNL_EXPR_EXTHDR_TYPE))
        static let offset = U32Attr<O>(attrID(NFTNL_EXPR_EXTHDR_OFFSET))
        static let length = U32Attr<O>(attrID(NFTNL_EXPR_EXTHDR_LEN))
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_EXTHDR_FLAGS))
        static let op = U32Attr<O>(attrID(NFTNL_EXPR_EXTHDR_OP))
        static let sreg = U32Attr<O>(attrID(NFTNL_EXPR_EXTHDR_SREG))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("dreg", dreg), ("type", type), ("offset", offset), ("length", length), ("flags", flags), ("op", op),
            ("sreg", sreg),
        ]
    }
    enum Match {
        static let name = StrAttr<O>(attrID(NFTNL_EXPR_MT_NAME))
        static let revision = U32Attr<O>(attrID(NFTNL_EXPR_MT_REV))
        static let info = DataAttr<O>(attrID(NFTNL_EXPR_MT_INFO))
        static let all: [(String, any NftnlAttribute<O>)] = [("name", name), ("revision", revision), ("info", info)]
    }
    enum Target {
        static let name = StrAttr<O>(attrID(NFTNL_EXPR_TG_NAME))
        static let revision = U32Attr<O>(attrID(NFTNL_EXPR_TG_REV))
        static let info = DataAttr<O>(attrID(NFTNL_EXPR_TG_INFO))
        static let all: [(String, any NftnlAttribute<O>)] = [("name", name), ("revision", revision), ("info", info)]
    }
    enum Byteorder {
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_BYTEORDER_DREG))
        static let sreg = U32Attr<O>(attrID(NFTNL_EXPR_BYTEORDER_SREG))
        static let op = U32Attr<O>(attrID(NFTNL_EXPR_BYTEORDER_OP))
        static let length = U32Attr<O>(attrID(NFTNL_EXPR_BYTEORDER_LEN))
        static let size = U32Attr<O>(attrID(NFTNL_EXPR_BYTEORDER_SIZE))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("dreg", dreg), ("sreg", sreg), ("op", op), ("length", length), ("size", size),
        ]
    }
    enum Connlimit {
        static let count = U32Attr<O>(attrID(NFTNL_EXPR_CONNLIMIT_COUNT))
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_CONNLIMIT_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [("count", count), ("flags", flags)]
    }
    enum Numgen {
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_NG_DREG))
        static let modulus = U32Attr<O>(attrID(NFTNL_EXPR_NG_MODULUS))
        static let type = U32Attr<O>(attrID(NFTNL_EXPR_NG_TYPE))
        static let offset = U32Attr<O>(attrID(NFTNL_EXPR_NG_OFFSET))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("dreg", dreg), ("modulus", modulus), ("type", type), ("offset", offset),
        ]
    }
    enum Hash {
        static let sreg = U32Attr<O>(attrID(NFTNL_EXPR_HASH_SREG))
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_HASH_DREG))
        static let length = U32Attr<O>(attrID(NFTNL_EXPR_HASH_LEN))
        static let modulus = U32Attr<O>(attrID(NFTNL_EXPR_HASH_MODULUS))
        static let seed = U32Attr<O>(attrID(NFTNL_EXPR_HASH_SEED))
        static let offset = U32Attr<O>(attrID(NFTNL_EXPR_HASH_OFFSET))
        static let type = U32Attr<O>(attrID(NFTNL_EXPR_HASH_TYPE))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("sreg", sreg), ("dreg", dreg), ("length", length), ("modulus", modulus), ("seed", seed),
            ("offset", offset), ("type", type),
        ]
    }
    enum Osf {
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_OSF_DREG))
        static let ttl = U8Attr<O>(attrID(NFTNL_EXPR_OSF_TTL))
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_OSF_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [("dreg", dreg), ("ttl", ttl), ("flags", flags)]
    }
    enum Rt {
        static let key = U32Attr<O>(attrID(NFTNL_EXPR_RT_KEY))
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_RT_DREG))
        static let all: [(String, any NftnlAttribute<O>)] = [("key", key), ("dreg", dreg)]
    }
    enum Xfrm {
        static let dreg = U32Attr<O>(attrID(NFTNL_EXPR_XFRM_DREG))
        static let key = U32Attr<O>(attrID(NFTNL_EXPR_XFRM_KEY))
        static let direction = U8Attr<O>(attrID(NFTNL_EXPR_XFRM_DIR))
        static let spnum = U32Attr<O>(attrID(NFTNL_EXPR_XFRM_SPNUM))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("dreg", dreg), ("key", key), ("direction", direction), ("spnum", spnum),
        ]
    }
    enum Synproxy {
        static let mss = U16Attr<O>(attrID(NFTNL_EXPR_SYNPROXY_MSS))
        static let wscale = U8Attr<O>(attrID(NFTNL_EXPR_SYNPROXY_WSCALE))
        static let flags = U32Attr<O>(attrID(NFTNL_EXPR_SYNPROXY_FLAGS))
        static let all: [(String, any NftnlAttribute<O>)] = [("mss", mss), ("wscale", wscale), ("flags", flags)]
    }
    enum Dup {
        static let sregAddress = U32Attr<O>(attrID(NFTNL_EXPR_DUP_SREG_ADDR))
        static let sregDevice = U32Attr<O>(attrID(NFTNL_EXPR_DUP_SREG_DEV))
        static let all: [(String, any NftnlAttribute<O>)] = [("sregAddress", sregAddress), ("sregDevice", sregDevice)]
    }
    enum Fwd {
        static let sregDevice = U32Attr<O>(attrID(NFTNL_EXPR_FWD_SREG_DEV))
        static let sregAddress = U32Attr<O>(attrID(NFTNL_EXPR_FWD_SREG_ADDR))
        static let nfproto = U32Attr<O>(attrID(NFTNL_EXPR_FWD_NFPROTO))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("sregDevice", sregDevice), ("sregAddress", sregAddress), ("nfproto", nfproto),
        ]
    }
    enum Tproxy {
        static let family = U32Attr<O>(attrID(NFTNL_EXPR_TPROXY_FAMILY))
        static let sregAddress = U32Attr<O>(attrID(NFTNL_EXPR_TPROXY_REG_ADDR))
        static let sregPort = U32Attr<O>(attrID(NFTNL_EXPR_TPROXY_REG_PORT))
        static let all: [(String, any NftnlAttribute<O>)] = [
            ("family", family), ("sregAddress", sregAddress), ("sregPort", sregPort),
        ]
    }
    enum FlowOffload {
        static let table = StrAttr<O>(attrID(NFTNL_EXPR_FLOW_TABLE_NAME))
        static let all: [(String, any NftnlAttribute<O>)] = [("table", table)]
    }
}
