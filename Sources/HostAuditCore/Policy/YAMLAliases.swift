import CYaml

/// Anchors and aliases are refused before a file is composed.
///
/// An alias repeats a node without copying its text: nine levels of nine
/// aliases make a 740-byte file stand for a billion nodes, and an alias used
/// as a mapping key makes the composer hash the expanded tree (it hung). No
/// policy, waiver or parameter file needs them, so the first anchor or alias
/// is an error at its line and column. libyaml's event parser is linear in
/// the input; nothing is expanded.
enum YAMLAliases {
    /// (line, column, message) of the first anchor or alias, 1-based; nil when there is none
    /// (or when the text does not parse: the composer then reports the syntax error).
    static func firstProblem(_ bytes: [UInt8]) -> (line: Int, column: Int, message: String)? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeBufferPointer { buf -> (Int, Int, String)? in
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1, column = Int(event.start_mark.column) + 1
                switch event.type {
                case YAML_STREAM_END_EVENT: return nil
                case YAML_ALIAS_EVENT:
                    let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
                    return (line, column, "YAML alias '*\(name)' is not allowed (aliases can expand without bound); write the value out")
                case YAML_SCALAR_EVENT:
                    if let a = event.data.scalar.anchor { return (line, column, anchorMessage(a)) }
                case YAML_SEQUENCE_START_EVENT:
                    if let a = event.data.sequence_start.anchor { return (line, column, anchorMessage(a)) }
                case YAML_MAPPING_START_EVENT:
                    if let a = event.data.mapping_start.anchor { return (line, column, anchorMessage(a)) }
                default: break
                }
            }
        }
    }

    static func anchorMessage(_ a: UnsafeMutablePointer<yaml_char_t>) -> String {
        "YAML anchor '&\(String(cString: a))' is not allowed (anchors and aliases can expand without bound); write the value out"
    }
}
