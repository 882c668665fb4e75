import Foundation

/// A regular expression compiled once when the policy is compiled.
/// `matches` searches (like grep): anchor with ^ and $ to match whole values.
public final class CompiledRegex: @unchecked Sendable {
    // NSRegularExpression is immutable and documented thread-safe for matching.
    private let regex: NSRegularExpression
    public let pattern: String

    public init(_ pattern: String) throws {
        self.pattern = pattern
        regex = try NSRegularExpression(pattern: pattern, options: [])
    }

    public func matches(_ s: String) -> Bool {
        regex.firstMatch(in: s, options: [], range: NSRange(s.startIndex..., in: s)) != nil
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
