/// Character-level parser behind ``TOMLDocument``.
struct TOMLParser {
    private let chars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var table: String?

    init(text: String) {
        chars = Array(text.unicodeScalars)
    }

    // MARK: Top level

    mutating func parse(into document: inout TOMLDocument) throws(TOMLError) {
        if chars.first == "\u{FEFF}" { index = 1 }
        while true {
            skipWhitespace()
            guard let c = peek() else { return }
            switch c {
            case "#":
                skipComment()
            case "\n":
                advance()
            case "\r":
                try expectNewline()
            case "[":
                try parseTableHeader(into: &document)
            default:
                try parseKeyValue(into: &document)
            }
        }
    }

    private mutating func parseTableHeader(into document: inout TOMLDocument) throws(TOMLError) {
        let headerLine = line
        advance()  // [
        if peek() == "[" {
            throw error("arrays of tables ([[...]]) are not supported")
        }
        skipWhitespace()
        var parts: [String] = []
        while true {
            parts.append(try parseBareKey())
            skipWhitespace()
            if peek() == "." {
                advance()
                skipWhitespace()
                continue
            }
            break
        }
        guard peek() == "]" else { throw error("expected ']' to close the table header") }
        advance()
        try endOfLine()
        let name = parts.joined(separator: ".")
        try document.declareTable(name, line: headerLine)
        table = name
    }

    private mutating func parseKeyValue(into document: inout TOMLDocument) throws(TOMLError) {
        let keyLine = line
        let key = try parseBareKey()
        skipWhitespace()
        if peek() == "." {
            throw error("dotted keys are not supported; use a [table] header for '\(key)'")
        }
        guard peek() == "=" else { throw error("expected '=' after key '\(key)'") }
        advance()
        skipWhitespace()
        let value = try parseValue(key: key)
        try endOfLine()
        let full = table.map { "\($0).\(key)" } ?? key
        try document.set(full, value, line: keyLine)
    }

    // MARK: Keys and values

    private mutating func parseBareKey() throws(TOMLError) -> String {
        var key = ""
        while let c = peek(), Self.isBareKeyChar(c) {
            key.unicodeScalars.append(c)
            advance()
        }
        if key.isEmpty {
            if let c = peek(), c == "\"" || c == "'" {
                throw error("quoted keys are not supported")
            }
            throw error("expected a key (letters, digits, '_' or '-')")
        }
        return key
    }

    private static func isBareKeyChar(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
    }

    private mutating func parseValue(key: String) throws(TOMLError) -> TOMLValue {
        guard let c = peek() else { throw error("missing value for '\(key)'") }
        switch c {
        case "\"":
            return .string(try parseBasicString())
        case "'":
            return .string(try parseLiteralString())
        case "[":
            return .stringArray(try parseStringArray(key: key))
        case "{":
            throw error("inline tables are not supported (key '\(key)')")
        case "t", "f":
            let word = readWord()
            switch word {
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            default: throw error("invalid value '\(word)' for '\(key)' (strings need quotes)")
            }
        case "+", "-", "0"..."9":
            return .integer(try parseInteger(key: key))
        case "\n", "\r", "#":
            throw error("missing value for '\(key)'")
        default:
            let word = readWord()
            throw error("invalid value '\(word)' for '\(key)' (strings need quotes)")
        }
    }

    private mutating func readWord() -> String {
        var word = ""
        while let c = peek(), c != " ", c != "\t", c != "\n", c != "\r", c != "#", c != ",", c != "]" {
            word.unicodeScalars.append(c)
            advance()
        }
        return word
    }

    private mutating func parseInteger(key: String) throws(TOMLError) -> Int {
        let word = readWord()
        var digits = Substring(word)
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        let valid =
            !digits.isEmpty && digits.first != "_" && digits.last != "_" && !digits.contains("__")
            && digits.allSatisfy { $0 == "_" || ("0"..."9").contains($0) }
            && !(digits.count > 1 && digits.first == "0")
        guard valid, let magnitude = Int(digits.replacing("_", with: "")) else {
            let body = word.dropFirst()
            if body.contains(".") || body.contains("e") || body.contains("E") || body.contains(":") || body.contains("-") {
                throw error("'\(word)' for '\(key)': floats and dates are not supported")
            }
            throw error("invalid integer '\(word)' for '\(key)'")
        }
        return negative ? -magnitude : magnitude
    }

    private mutating func parseBasicString() throws(TOMLError) -> String {
        advance()  // "
        if peek() == "\"", peek(offset: 1) == "\"" {
            throw error("multi-line strings are not supported")
        }
        var result = ""
        while true {
            guard let c = peek() else { throw error("unterminated string") }
            switch c {
            case "\"":
                advance()
                return result
            case "\n", "\r":
                throw error("unterminated string (a newline inside quotes)")
            case "\\":
                advance()
                result.unicodeScalars.append(try parseEscape())
            default:
                if c.value < 0x20 && c != "\t" || c.value == 0x7F {
                    throw error("control character in string")
                }
                result.unicodeScalars.append(c)
                advance()
            }
        }
    }

    private mutating func parseEscape() throws(TOMLError) -> Unicode.Scalar {
        guard let c = peek() else { throw error("unterminated string") }
        advance()
        switch c {
        case "\"": return "\""
        case "\\": return "\\"
        case "n": return "\n"
        case "t": return "\t"
        case "r": return "\r"
        case "b": return "\u{08}"
        case "f": return "\u{0C}"
        case "u", "U":
            let count = c == "u" ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<count {
                guard let h = peek(), h != "+", h != "-", let digit = UInt32(String(h), radix: 16) else {
                    throw error("invalid \\\(c) escape: expected \(count) hex digits")
                }
                value = value * 16 + digit
                advance()
            }
            guard let scalar = Unicode.Scalar(value) else { throw error("invalid unicode escape") }
            return scalar
        default:
            throw error("invalid escape '\\\(c)' in string")
        }
    }

    private mutating func parseLiteralString() throws(TOMLError) -> String {
        advance()  // '
        if peek() == "'", peek(offset: 1) == "'" {
            throw error("multi-line strings are not supported")
        }
        var result = ""
        while true {
            guard let c = peek() else { throw error("unterminated string") }
            if c == "'" {
                advance()
                return result
            }
            if c == "\n" || c == "\r" { throw error("unterminated string (a newline inside quotes)") }
            result.unicodeScalars.append(c)
            advance()
        }
    }

    private mutating func parseStringArray(key: String) throws(TOMLError) -> [String] {
        advance()  // [
        var items: [String] = []
        while true {
            try skipArraySpace()
            guard let c = peek() else { throw error("unterminated array for '\(key)'") }
            if c == "]" {
                advance()
                return items
            }
            switch c {
            case "\"": items.append(try parseBasicString())
            case "'": items.append(try parseLiteralString())
            default: throw error("'\(key)' must be an array of strings")
            }
            try skipArraySpace()
            guard let next = peek() else { throw error("unterminated array for '\(key)'") }
            if next == "," {
                advance()
            } else if next != "]" {
                throw error("expected ',' or ']' in array '\(key)'")
            }
        }
    }

    private mutating func skipArraySpace() throws(TOMLError) {
        while let c = peek() {
            switch c {
            case " ", "\t": advance()
            case "\n": advance()
            case "\r": try expectNewline()
            case "#": skipComment()
            default: return
            }
        }
    }

    // MARK: Low level

    private func peek(offset: Int = 0) -> Unicode.Scalar? {
        index + offset < chars.count ? chars[index + offset] : nil
    }

    private mutating func advance() {
        if chars[index] == "\n" { line += 1 }
        index += 1
    }

    private mutating func skipWhitespace() {
        while let c = peek(), c == " " || c == "\t" { advance() }
    }

    private mutating func skipComment() {
        while let c = peek(), c != "\n" { advance() }
    }

    private mutating func expectNewline() throws(TOMLError) {
        advance()  // \r
        guard peek() == "\n" else { throw error("bare carriage return") }
        advance()
    }

    /// After a value or header: optional spaces and comment, then newline or end of file.
    private mutating func endOfLine() throws(TOMLError) {
        skipWhitespace()
        if peek() == "#" { skipComment() }
        guard let c = peek() else { return }
        if c == "\n" {
            advance()
        } else if c == "\r" {
            try expectNewline()
        } else {
            throw error("unexpected '\(c)' after value (one key = value per line)")
        }
    }

    private func error(_ message: String) -> TOMLError {
        TOMLError(line: line, message: message)
    }
}
