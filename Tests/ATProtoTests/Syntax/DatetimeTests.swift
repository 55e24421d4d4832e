import Foundation
import Testing

@testable import ATProto

@Suite struct DatetimeTests {
    @Test func parseValues() throws {
        #expect(try Datetime.parseMicroseconds("1970-01-01T00:00:00Z") == 0)
        #expect(try Datetime.parseMicroseconds("1970-01-01T00:00:00.000001Z") == 1)
        #expect(try Datetime.parseMicroseconds("1969-12-31T23:59:59.999999Z") == -1)
        #expect(try Datetime.parseMicroseconds("1985-04-12T23:20:50.123Z") == 482_196_050_123_000)
        // Offsets are subtracted to get UTC.
        #expect(try Datetime.parseMicroseconds("1985-04-12T23:20:50.123-07:00") == 482_196_050_123_000 + 7 * 3_600_000_000)
        #expect(try Datetime.parseMicroseconds("1985-04-12T23:20:50.123+01:45") == 482_196_050_123_000 - 105 * 60_000_000)
        // Extra fraction digits are truncated, not rounded.
        #expect(try Datetime.parseMicroseconds("1970-01-01T00:00:00.1234569999Z") == 123_456)
        let date = try Datetime.parse("2001-01-01T00:00:00.500Z")
        #expect(date.timeIntervalSinceReferenceDate == 0.5)
    }

    @Test func calendarRules() {
        #expect(Datetime.isValid("2024-02-29T00:00:00Z"))
        #expect(!Datetime.isValid("2023-02-29T00:00:00Z"))
        #expect(Datetime.isValid("2000-02-29T00:00:00Z"))
        #expect(!Datetime.isValid("1900-02-29T00:00:00Z"))
        #expect(!Datetime.isValid("2024-04-31T00:00:00Z"))
        #expect(Datetime.isValid("2024-12-31T23:59:59Z"))
        #expect(!Datetime.isValid("2024-12-31T23:59:60Z"))  // no leap seconds
        #expect(!Datetime.isValid("2024-12-31T24:00:00Z"))
        #expect(!Datetime.isValid("2024-12-31T23:59:59+24:00"))
        #expect(!Datetime.isValid("2024-12-31T23:59:59+05:60"))
        #expect(Datetime.isWellFormed("2024-12-31T23:59:60Z"))
    }

    @Test func yearBounds() {
        #expect(Datetime.isValid("0000-01-01T00:00:00.000Z"))
        #expect(!Datetime.isValid("0000-01-01T00:00:00+00:01"))  // before year 0 in UTC
        #expect(Datetime.isValid("0000-01-01T00:00:00-23:59"))
        #expect(Datetime.isValid("9999-12-31T23:59:59.999999999Z"))
        #expect(!Datetime.isValid("9999-12-31T23:59:59.999-00:01"))  // after year 9999 in UTC
        #expect(Datetime.isValid("9999-12-31T23:59:59.999+23:59"))
    }

    @Test func shapeRules() {
        #expect(!Datetime.isWellFormed("1985-04-12T23:20:50.123-00:00"))
        #expect(Datetime.isWellFormed("1985-04-12T23:20:50.123+00:00"))
        #expect(!Datetime.isWellFormed("1985-04-12T23:20:50.123Zjunk"))
        #expect(!Datetime.isWellFormed("1985-04-12T23:20:50.123+01:00 "))
        #expect(!Datetime.isWellFormed(""))
        let longest = "1985-04-12T23:20:50." + String(repeating: "1", count: 43) + "Z"
        #expect(longest.utf8.count == 64)
        #expect(Datetime.isValid(longest))
        #expect(!Datetime.isWellFormed("1985-04-12T23:20:50." + String(repeating: "1", count: 44) + "Z"))
    }

    @Test func format() throws {
        #expect(Datetime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Datetime.format(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(Datetime.format(try Datetime.parse("1985-04-12T23:20:50.123Z")) == "1985-04-12T23:20:50.123Z")
        #expect(Datetime.format(try Datetime.parse("1985-04-12T23:20:50.123+01:00")) == "1985-04-12T22:20:50.123Z")
        #expect(Datetime.format(microseconds: 999) == "1970-01-01T00:00:00.000Z")  // truncated
        #expect(Datetime.format(Date.distantPast) == "0000-12-30T00:00:00.000Z")  // proleptic Gregorian
        #expect(Datetime.format(Date.distantFuture) == "4001-01-01T00:00:00.000Z")
        #expect(Datetime.format(Date(timeIntervalSince1970: -1e12)) == "0000-01-01T00:00:00.000Z")  // clamped
        #expect(Datetime.format(Date(timeIntervalSince1970: 1e12)) == "9999-12-31T23:59:59.999Z")
        #expect(Datetime.format(Date(timeIntervalSince1970: .infinity)) == "9999-12-31T23:59:59.999Z")
        #expect(Datetime.format(Date(timeIntervalSince1970: .nan)) == "0000-01-01T00:00:00.000Z")
        #expect(Datetime.isValid(Datetime.format(Date())))
        let now = try Datetime.parse(Datetime.now())
        #expect(abs(now.timeIntervalSinceNow) < 60)
    }

    @Test func errorMessages() {
        do {
            _ = try Datetime.parse("1985-02-30T00:00:00Z")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == "datetime")
            #expect(error.message.contains("does not exist"))
        }
        do {
            _ = try Datetime.parse("1985-04-12T23:20:50.123")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("timezone"))
        }
    }
}
