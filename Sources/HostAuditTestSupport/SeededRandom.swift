/// A small deterministic generator (SplitMix64) so randomised tests repeat
/// exactly; the seed is printed in failure messages.
package struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    package let seed: UInt64

    package init(seed: UInt64) {
        self.seed = seed
        self.state = seed
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A random string mixing ASCII, controls, escapes, C1, bidi overrides and emoji.
    package mutating func hostileString(maxLength: Int = 40) -> String {
        let pool: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{00}", "\u{1b}", "\u{07}", "\u{7f}",
            "\u{85}", "\u{9b}", "\u{202e}", "\u{2066}", "\u{200b}", "\u{2028}", "\u{feff}", "\u{fffd}", "é", "ж",
            "😀", "[", "]", "{", "}", ":", "#", ";",
        ]
        var s = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...maxLength, using: &self) {
            s.append(pool.randomElement(using: &self)!)
        }
        return String(s)
    }
}
