/// A parsed TOML file: dotted key (`server.port`) to value and the line it was set on.
///
/// Only the subset `pds` needs is accepted, strictly: `[table]` / `[a.b]` headers, bare keys, basic
/// (`"..."`) and literal (`'...'`) strings, decimal integers, booleans, arrays of strings (may span lines,
/// trailing comma allowed) and `#` comments. Anything else (floats, dates, inline tables, multi-line
/// strings, quoted or dotted keys, duplicate keys or tables) is a ``TOMLError`` naming the line.
struct TOMLDocument: Sendable {
    struct Entry: Sendable, Equatable {
        var value: TOMLValue
        var line: Int
    }

    private(set) var entries: [String: Entry] = [:]
    /// Keys in file order.
    private(set) var keys: [String] = []
    /// Declared `[table]` names and the line of their header.
    private(set) var tables: [String: Int] = [:]

    subscript(key: String) -> Entry? { entries[key] }

    init(parsing text: String) throws(TOMLError) {
        var parser = TOMLParser(text: text)
        try parser.parse(into: &self)
    }

    mutating func declareTable(_ name: String, line: Int) throws(TOMLError) {
        if tables[name] != nil || entries[name] != nil {
            throw TOMLError(line: line, message: "table [\(name)] is defined twice")
        }
        tables[name] = line
    }

    mutating func set(_ key: String, _ value: TOMLValue, line: Int) throws(TOMLError) {
        if entries[key] != nil {
            throw TOMLError(line: line, message: "key '\(key)' is defined twice")
        }
        if tables[key] != nil {
            throw TOMLError(line: line, message: "key '\(key)' is already a table")
        }
        entries[key] = Entry(value: value, line: line)
        keys.append(key)
    }
}

/// A TOML syntax error: one line of text naming the line number.
struct TOMLError: Error, Sendable, Equatable {
    var line: Int
    var message: String
}
