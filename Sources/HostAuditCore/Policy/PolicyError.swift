/// A policy, waiver or parameter file that does not load. Every error names
/// the file and the 1-based line and column of the YAML node at fault, so an
/// editor can jump to it (`file:line:column: error: message`).
public struct PolicyError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable, Hashable {
        /// The file could not be read, is not UTF-8, or is too large.
        case unreadable
        /// YAML syntax (scanner, parser, composer), including duplicate mapping keys.
        case syntax
        case unknownKey
        case missingKey
        case wrongType
        case invalidValue
        case duplicateID
        case invalidRegex
        case unknownFactPath
        case unknownList
        case unknownParameter
        case unknownRule
        case invalidDate
    }

    public var file: String
    public var line: Int
    public var column: Int
    public var kind: Kind
    public var message: String

    public init(file: String, line: Int, column: Int, kind: Kind, message: String) {
        self.file = file
        self.line = max(1, line)
        self.column = max(1, column)
        self.kind = kind
        self.message = message
    }

    public init(_ kind: Kind, _ message: String, at location: SourceLocation) {
        self.init(file: location.file, line: location.line, column: location.column, kind: kind, message: message)
    }

    public var location: SourceLocation { SourceLocation(file: file, line: line, column: column) }

    /// `file:line:column: error: message`, the form compilers and editors understand.
    public var description: String { "\(file):\(line):\(column): error: \(message)" }
}

/// Every problem found in one or more files, in file then position order.
public struct PolicyErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [PolicyError]
    public init(_ errors: [PolicyError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// A position in a policy file (1-based line and column, column counted in Unicode scalars).
public struct SourceLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
    public var description: String { "\(file):\(line):\(column)" }
}
