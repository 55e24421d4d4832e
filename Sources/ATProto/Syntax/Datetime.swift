import Foundation

/// The Lexicon `datetime` string format (`specs/lexicon#datetime`): the intersection of RFC 3339,
/// ISO 8601 and WHATWG HTML, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`.
///
/// - `isWellFormed`: the shape only (digits in the right places, upper-case `T` and `Z`, any
///   number of fraction digits, a timezone, no `-00:00`, at most 64 characters).
/// - `isValid` / `parse`: well-formed *and* a real instant: month 1-12, a day that exists in that
///   month, hour 0-23, minute and second 0-59 (no leap seconds), offset hours 0-23, and the
///   instant in UTC between year 0000 and 9999.
public enum Datetime {
    static let kind = "datetime"
    /// 0000-01-01T00:00:00Z in microseconds since the UNIX epoch.
    static let minMicroseconds: Int64 = daysFromCivil(year: 0, month: 1, day: 1) * 86_400_000_000
    /// 2001-01-01T00:00:00Z (Foundation's reference date) in milliseconds since the UNIX epoch.
    static let referenceDateMilliseconds: Int64 = 978_307_200_000
    /// 9999-12-31T23:59:59.999999Z in microseconds since the UNIX epoch.
    static let maxMicroseconds: Int64 = daysFromCivil(year: 10_000, month: 1, day: 1) * 86_400_000_000 - 1

    /// Whether `string` is a valid atproto datetime (well-formed and a real instant).
    public static func isValid(_ string: String) -> Bool {
        SyntaxBytes.withBytes(string) { bytes in
            if case .success = microseconds(bytes) { return true }
            return false
        }
    }

    /// Whether `string` has the datetime shape, without checking that the values are in range.
    public static func isWellFormed(_ string: String) -> Bool {
        SyntaxBytes.withBytes(string) { shapeViolation($0) == nil }
    }

    /// Parses a datetime to a `Date` (microsecond precision; more fraction digits are truncated).
    public static func parse(_ string: String) throws(SyntaxError) -> Date {
        let micros = try parseMicroseconds(string)
        return Date(timeIntervalSinceReferenceDate: Double(micros - referenceDateMilliseconds * 1000) / 1_000_000)
    }

    /// Parses a datetime to microseconds since the UNIX epoch (UTC); more fraction digits are truncated.
    public static func parseMicroseconds(_ string: String) throws(SyntaxError) -> Int64 {
        try SyntaxBytes.withBytes(string, microseconds).get()
    }

    /// The current time as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public static func now() -> String { format(Date()) }

    /// Formats `date` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC, milliseconds, truncated; a `Date`
    /// parsed from a millisecond datetime formats back to the same string).
    ///
    /// The result is always a valid datetime: dates before 0000-01-01T00:00:00.000Z or after
    /// 9999-12-31T23:59:59.999Z are clamped to those bounds, and a NaN date gives the lower bound.
    public static func format(_ date: Date) -> String {
        // Work from Date's own storage (seconds since 2001) to avoid a second rounding. A Date
        // made from a whole number of milliseconds is not exact in binary, so values within
        // rounding error below a millisecond boundary snap up to it instead of truncating.
        let ms = date.timeIntervalSinceReferenceDate * 1000
        guard !ms.isNaN else { return format(microseconds: minMicroseconds) }
        let lower = Double(minMicroseconds / 1000 - referenceDateMilliseconds)
        let upper = Double(maxMicroseconds / 1000 - referenceDateMilliseconds)
        guard ms > lower else { return format(microseconds: minMicroseconds) }
        guard ms < upper else { return format(microseconds: maxMicroseconds) }
        let nearest = ms.rounded()
        let whole = abs(ms - nearest) <= max(0.001, 4 * ms.ulp) ? nearest : ms.rounded(.down)
        return format(microseconds: (Int64(whole) + referenceDateMilliseconds) * 1000)
    }

    /// Formats microseconds since the UNIX epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (truncated to
    /// milliseconds, clamped to years 0000-9999 like `format(_:)`).
    public static func format(microseconds: Int64) -> String {
        let micros = min(max(microseconds, minMicroseconds), maxMicroseconds)
        let millis = floorDivide(micros, 1000)
        let days = floorDivide(millis, 86_400_000)
        var msOfDay = Int(millis - days * 86_400_000)
        let (year, month, day) = civilFromDays(days)
        let ms = msOfDay % 1000
        msOfDay /= 1000
        let second = msOfDay % 60
        msOfDay /= 60
        let minute = msOfDay % 60
        let hour = msOfDay / 60
        return String(unsafeUninitializedCapacity: 24) { out in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var v = value
                for k in stride(from: offset + width - 1, through: offset, by: -1) {
                    out[k] = UInt8(0x30 + v % 10)
                    v /= 10
                }
            }
            put(Int(year), 4, at: 0)
            out[4] = SyntaxBytes.hyphen
            put(Int(month), 2, at: 5)
            out[7] = SyntaxBytes.hyphen
            put(Int(day), 2, at: 8)
            out[10] = 0x54  // T
            put(hour, 2, at: 11)
            out[13] = SyntaxBytes.colon
            put(minute, 2, at: 14)
            out[16] = SyntaxBytes.colon
            put(second, 2, at: 17)
            out[19] = SyntaxBytes.period
            put(ms, 3, at: 20)
            out[23] = 0x5A  // Z
            return 24
        }
    }

    // MARK: - Parsing

    /// Checks the shape; returns nil when well-formed or what is wrong.
    static func shapeViolation(_ b: UnsafeBufferPointer<UInt8>) -> String? {
        let n = b.count
        if n > 64 { return "datetime is too long (\(n) characters, 64 max)" }
        if n < 20 { return "datetime is too short: expected YYYY-MM-DDTHH:MM:SS with a timezone" }
        func digits(_ range: Range<Int>) -> Bool {
            for i in range where !SyntaxBytes.isDigit(b[i]) { return false }
            return true
        }
        guard digits(0..<4), b[4] == SyntaxBytes.hyphen, digits(5..<7), b[7] == SyntaxBytes.hyphen, digits(8..<10)
        else { return "datetime date must be YYYY-MM-DD" }
        guard b[10] == 0x54 else { return "datetime must separate date and time with an upper-case \"T\"" }
        guard digits(11..<13), b[13] == SyntaxBytes.colon, digits(14..<16), b[16] == SyntaxBytes.colon,
            digits(17..<19)
        else { return "datetime time must be HH:MM:SS" }
        var i = 19
        if b[i] == SyntaxBytes.period {
            i += 1
            let start = i
            while i < n && SyntaxBytes.isDigit(b[i]) { i += 1 }
            if i == start { return "datetime fraction needs at least one digit after \".\"" }
        }
        if i == n { return "datetime needs a timezone (\"Z\" or +HH:MM / -HH:MM)" }
        if b[i] == 0x5A {  // Z
            return i + 1 == n ? nil : "datetime has characters after the timezone"
        }
        guard b[i] == SyntaxBytes.plus || b[i] == SyntaxBytes.hyphen else {
            return "datetime timezone must be \"Z\" or +HH:MM / -HH:MM"
        }
        guard n - i == 6, digits(i + 1..<i + 3), b[i + 3] == SyntaxBytes.colon, digits(i + 4..<i + 6) else {
            return "datetime timezone offset must be +HH:MM or -HH:MM"
        }
        if b[i] == SyntaxBytes.hyphen && b[i + 1] == 0x30 && b[i + 2] == 0x30 && b[i + 4] == 0x30 && b[i + 5] == 0x30 {
            return "datetime can not use \"-00:00\" for UTC (use \"Z\" or \"+00:00\")"
        }
        return nil
    }

    static func microseconds(_ b: UnsafeBufferPointer<UInt8>) -> Result<Int64, SyntaxError> {
        func fail(_ message: String) -> Result<Int64, SyntaxError> {
            .failure(SyntaxError(kind: kind, message: message))
        }
        if let problem = shapeViolation(b) { return fail(problem) }
        func number(_ start: Int, _ count: Int) -> Int64 {
            var v: Int64 = 0
            for i in start..<start + count { v = v * 10 + Int64(b[i] &- 0x30) }
            return v
        }
        let year = number(0, 4)
        let month = number(5, 2)
        let day = number(8, 2)
        let hour = number(11, 2)
        let minute = number(14, 2)
        let second = number(17, 2)
        guard (1...12).contains(month) else { return fail("datetime month must be 01-12") }
        guard day >= 1 && day <= daysInMonth(year: year, month: month) else {
            return fail("datetime day \(day) does not exist in month \(month) of year \(year)")
        }
        guard hour <= 23 else { return fail("datetime hour must be 00-23") }
        guard minute <= 59 else { return fail("datetime minute must be 00-59") }
        guard second <= 59 else { return fail("datetime second must be 00-59 (no leap seconds)") }
        var i = 19
        var fraction: Int64 = 0
        if b[i] == SyntaxBytes.period {
            i += 1
            var scale: Int64 = 100_000
            while i < b.count && SyntaxBytes.isDigit(b[i]) {
                fraction += Int64(b[i] &- 0x30) * scale
                scale /= 10
                i += 1
            }
        }
        var offsetSeconds: Int64 = 0
        if b[i] != 0x5A {
            let offsetHour = number(i + 1, 2)
            let offsetMinute = number(i + 4, 2)
            guard offsetHour <= 23 else { return fail("datetime timezone offset hours must be 00-23") }
            guard offsetMinute <= 59 else { return fail("datetime timezone offset minutes must be 00-59") }
            offsetSeconds = (offsetHour * 3600 + offsetMinute * 60) * (b[i] == SyntaxBytes.hyphen ? -1 : 1)
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let localSeconds = days * 86_400 + hour * 3600 + minute * 60 + second
        let micros = (localSeconds - offsetSeconds) * 1_000_000 + fraction
        guard micros >= minMicroseconds else { return fail("datetime is before year 0000 in UTC") }
        guard micros <= maxMicroseconds else { return fail("datetime is after year 9999 in UTC") }
        return .success(micros)
    }

    // MARK: - Calendar arithmetic (proleptic Gregorian)

    static func isLeapYear(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a civil date.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let monthFromMarch = (month + 9) % 12
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
