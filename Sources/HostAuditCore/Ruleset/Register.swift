/// An nf_tables register as the kernel reported it.
///
/// The kernel accepts and returns two numberings: NFT_REG_1…4 (1–4, 16 bytes
/// each) and NFT_REG32_00…15 (8–23, 4 bytes each). `slot` normalises both to
/// the index of the first 32-bit word (`r <= 4 ? r * 4 : r - 8 + 4`), so
/// `NFT_REG_1` and `NFT_REG32_00` both give slot 4. Register 0 is the verdict.
public struct Register: Sendable, Hashable, Encodable {
    public var raw: UInt32

    public init(_ raw: UInt32) { self.raw = raw }

    public static let verdict = Register(0)

    public var isVerdict: Bool { raw == 0 }

    /// The 32-bit slot index (0 for the verdict register).
    public var slot: Int {
        let r = Int(raw)
        return r <= 4 ? r * 4 : r - 8 + 4
    }

    private enum CodingKeys: String, CodingKey { case raw, slot }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(raw, forKey: .raw)
        try c.encode(slot, forKey: .slot)
    }
}

/// A verdict (`NF_*` / `NFT_*` codes) as used by `immediate` and verdict maps.
public enum Verdict: Sendable, Hashable {
    case accept, drop, queue, `continue`, `break`, `return`
    case jump(String)
    case goto(String)
    case other(Int32)

    /// From the signed verdict code and, for jump/goto, the target chain.
    public init(code: Int32, chain: String?) {
        switch code {
        case 0: self = .drop
        case 1: self = .accept
        case -1: self = .continue
        case -2: self = .break
        case -3: self = .jump(chain ?? "")
        case -4: self = .goto(chain ?? "")
        case -5: self = .return
        default:
            // NF_QUEUE carries the queue number in the upper 16 bits.
            self = code & 0xffff == 3 ? .queue : .other(code)
        }
    }

    public var name: String {
        switch self {
        case .accept: "accept"
        case .drop: "drop"
        case .queue: "queue"
        case .continue: "continue"
        case .break: "break"
        case .return: "return"
        case .jump: "jump"
        case .goto: "goto"
        case .other(let c): "verdict(\(c))"
        }
    }

    /// The target chain of a jump or goto.
    public var chain: String? {
        switch self {
        case .jump(let c), .goto(let c): c
        default: nil
        }
    }
}

extension Verdict: Encodable {
    private enum CodingKeys: String, CodingKey { case verdict, chain, code }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .verdict)
        if let chain { try c.encode(chain, forKey: .chain) }
        if case .other(let code) = self { try c.encode(code, forKey: .code) }
    }
}
