/// Byte-level JSON reader producing data-model values.
struct JSONParser {
    let buffer: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var position = 0

    init(buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.buffer = buffer
        self.maxDepth = maxDepth
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < buffer.count {
            switch buffer[position] {
            case 0x20, 0x09, 0x0a, 0x0d: position += 1
            default: return
            }
        }
    }

    @inline(__always)
    private func peek() -> UInt8? { position < buffer.count ? buffer[position] : nil }

    private func error(_ message: String) -> AtprotoJSONError { AtprotoJSONError(message, at: position) }

    private mutating func expectLiteral(_ literal: StaticString, _ value: DataValue) throws(AtprotoJSONError) -> DataValue {
        let count = literal.utf8CodeUnitCount
        guard buffer.count - position >= count else { throw error("invalid literal") }
        let bytes = literal.utf8Start
        for i in 0..<count where buffer[position + i] != bytes[i] { throw error("invalid literal") }
        position += count
        return value
    }

    mutating func parseValue(depth: Int) throws(AtprotoJSONError) -> DataValue {
        guard let c = peek() else { throw error("unexpected end of JSON") }
        switch c {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expectLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try expectLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try expectLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character '\(Character(Unicode.Scalar(c)))'")
        }
    }

    private mutating func parseArray(depth: Int) throws(AtprotoJSONError) -> DataValue {
        guard depth < maxDepth else { throw error("JSON nested deeper than \(maxDepth)") }
        position += 1
        var items = [DataValue]()
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(items)
            default: throw error("expected ',' or ']' in array")
            }
        }
    }

    private mutating func parseObject(depth: Int) throws(AtprotoJSONError) -> DataValue {
        guard depth < maxDepth else { throw error("JSON nested deeper than \(maxDepth)") }
        let objectStart = position
        position += 1
        var map = [String: DataValue]()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return .map(map)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key in object") }
            let keyStart = position
            let key = try parseString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after object key") }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            if map.updateValue(value, forKey: key) != nil {
                throw AtprotoJSONError("duplicate key \(key.debugDescription) in object", at: keyStart)
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return try Self.interpretSpecial(map, at: objectStart)
            default: throw error("expected ',' or '}' in object")
            }
        }
    }

    /// `{"$link": ...}` and `{"$bytes": ...}` objects become links and bytes; malformed ones are errors.
    private static func interpretSpecial(_ map: [String: DataValue], at offset: Int) throws(AtprotoJSONError) -> DataValue {
        if let link = map["$link"] {
            guard map.count == 1 else { throw AtprotoJSONError("$link object must have no other fields", at: offset) }
            guard case .string(let s) = link else { throw AtprotoJSONError("$link must be a string", at: offset) }
            do {
                return .link(try CID(string: s))
            } catch {
                throw AtprotoJSONError("$link is not a valid CID: \(error.description)", at: offset)
            }
        }
        if let bytes = map["$bytes"] {
            guard map.count == 1 else { throw AtprotoJSONError("$bytes object must have no other fields", at: offset) }
            guard case .string(let s) = bytes else { throw AtprotoJSONError("$bytes must be a base64 string", at: offset) }
            guard let decoded = Multibase.base64Decode(s), !s.contains("-"), !s.contains("_") else {
                throw AtprotoJSONError("$bytes is not valid standard base64", at: offset)
            }
            return .bytes(decoded)
        }
        return .map(map)
    }

    private mutating func parseNumber() throws(AtprotoJSONError) -> DataValue {
        let start = position
        var negative = false
        if peek() == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        let intStart = position
        guard let first = peek(), first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else {
            throw error("invalid number")
        }
        while let d = peek(), d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") { position += 1 }
        let intEnd = position
        if first == UInt8(ascii: "0") && intEnd - intStart > 1 { throw AtprotoJSONError("leading zero in number", at: start) }
        var fractionAllZero = true
        var hasFraction = false
        var hasExponent = false
        if peek() == UInt8(ascii: ".") {
            hasFraction = true
            position += 1
            let fracStart = position
            while let d = peek(), d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") {
                if d != UInt8(ascii: "0") { fractionAllZero = false }
                position += 1
            }
            guard position > fracStart else { throw error("digits expected after '.'") }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            hasExponent = true
            position += 1
            if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { position += 1 }
            let expStart = position
            while let d = peek(), d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") { position += 1 }
            guard position > expStart else { throw error("digits expected in exponent") }
        }
        if !hasExponent && (!hasFraction || fractionAllZero) {
            // Integer (possibly written as 123.0): accumulate exactly, checking the 64-bit range.
            var magnitude: UInt64 = 0
            for i in intStart..<intEnd {
                let digit = UInt64(buffer[i] - UInt8(ascii: "0"))
                let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(digit)
                guard !o1, !o2 else { throw AtprotoJSONError("integer out of 64-bit range", at: start) }
                magnitude = m2
            }
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { throw AtprotoJSONError("integer out of 64-bit range", at: start) }
                return .int(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
            }
            guard magnitude <= UInt64(Int64.max) else { throw AtprotoJSONError("integer out of 64-bit range", at: start) }
            return .int(Int64(magnitude))
        }
        // Exponent forms: allowed only when the value is an exact integer within 2^53.
        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<position]), as: UTF8.self)
        if let d = Double(text), d.rounded() == d, abs(d) <= 9_007_199_254_740_992 {
            return .int(Int64(d))
        }
        throw AtprotoJSONError("floating-point numbers are not allowed in the atproto data model", at: start)
    }

    private mutating func hex4() throws(AtprotoJSONError) -> UInt32 {
        guard buffer.count - position >= 4 else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = buffer[position]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    mutating func parseString() throws(AtprotoJSONError) -> String {
        let start = position
        position += 1  // opening quote
        let contentStart = position
        // Fast path: no escapes.
        while position < buffer.count {
            let c = buffer[position]
            if c == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(rebasing: buffer[contentStart..<position])
                position += 1
                guard let s = String(validating: raw, as: UTF8.self) else {
                    throw AtprotoJSONError("string is not valid UTF-8", at: start)
                }
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("unescaped control character in string") }
            position += 1
        }
        var bytes = Array(UnsafeBufferPointer(rebasing: buffer[contentStart..<position]))
        while true {
            guard position < buffer.count else { throw AtprotoJSONError("unterminated string", at: start) }
            let c = buffer[position]
            position += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = String(validating: bytes, as: UTF8.self) else {
                    throw AtprotoJSONError("string is not valid UTF-8", at: start)
                }
                return s
            case UInt8(ascii: "\\"):
                guard position < buffer.count else { throw AtprotoJSONError("unterminated string", at: start) }
                let e = buffer[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0c)
                case UInt8(ascii: "n"): bytes.append(0x0a)
                case UInt8(ascii: "r"): bytes.append(0x0d)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard buffer.count - position >= 2, buffer[position] == UInt8(ascii: "\\"),
                            buffer[position + 1] == UInt8(ascii: "u")
                        else { throw error("lone UTF-16 surrogate in string") }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid UTF-16 surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw error("lone UTF-16 surrogate in string")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw error("invalid unicode escape") }
                    bytes.append(contentsOf: String(Character(u)).utf8)
                default: throw error("invalid escape in string")
                }
            default:
                if c < 0x20 { throw error("unescaped control character in string") }
                bytes.append(c)
            }
        }
    }
}
