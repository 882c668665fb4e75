import Foundation

/// A regular expression compiled once when the policy is compiled.
/// `matches` searches (like grep): anchor with ^ and $ to match whole values.
public final class CompiledRegex: @unchecked Sendable {
    // NSRegularExpression is immutable and documented thread-safe for matching.
    private let regex: NSRegularExpression
    public let pattern: String

    /// The literal text an anchored pattern (`^literal…`) must start with: a
    /// cheap test that rules most values out before ICU runs.
    private let requiredPrefix: String

    public init(_ pattern: String) throws {
        self.pattern = pattern
        regex = try NSRegularExpression(pattern: pattern, options: [])
        var prefix = ""
        if pattern.hasPrefix("^"), !pattern.contains("|") {
            let meta: Set<Character> = ["\\", ".", "[", "]", "(", ")", "{", "}", "*", "+", "?", "|", "^", "$"]
            for c in pattern.dropFirst() {
                if meta.contains(c) { break }
                prefix.append(c)
            }
            // A quantifier applies to the last literal character: it is not required.
            if let next = pattern.dropFirst(1 + prefix.count).first, "*?{".contains(next), !prefix.isEmpty {
                prefix.removeLast()
            }
        }
        requiredPrefix = prefix
    }

    public func matches(_ s: String) -> Bool {
        if !requiredPrefix.isEmpty && !s.hasPrefix(requiredPrefix) { return false }
        return regex.firstMatch(in: s, options: [], range: NSRange(s.startIndex..., in: s)) != nil
    }

    /// Why `pattern` does not compile, or nil.
    static func problem(_ pattern: String) -> String? {
        do {
            _ = try NSRegularExpression(pattern: pattern, options: [])
            return nil
        } catch {
            let ns = error as NSError
            if let reason = ns.userInfo["NSInvalidValue"] { return "\(reason)" }
            return ns.localizedFailureReason ?? "not a valid ICU regular expression"
        }
    }
}
