import Foundation
import Testing

@testable import ATProto

/// Seeded random tests: generated valid identifiers are accepted, and a single bad byte makes
/// them rejected; datetimes agree with Foundation's Gregorian calendar.
@Suite struct SyntaxPropertyTests {
    static let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    static let digits = Array("0123456789")
    static let labelInner = letters + digits + ["-"]

    func label(_ length: Int, firstLetter: Bool, using rng: inout SeededGenerator) -> String {
        var chars: [Character] = []
        for i in 0..<length {
            let pool: [Character]
            if i == 0 {
                pool = firstLetter ? Self.letters : Self.letters + Self.digits
            } else if i == length - 1 {
                pool = Self.letters + Self.digits
            } else {
                pool = Self.labelInner
            }
            chars.append(pool.randomElement(using: &rng)!)
        }
        return String(chars)
    }

    func randomHandle(using rng: inout SeededGenerator) -> String {
        var labels: [String] = []
        let count = Int.random(in: 2...5, using: &rng)
        for i in 0..<count {
            labels.append(label(Int.random(in: 1...63, using: &rng), firstLetter: i == count - 1, using: &rng))
        }
        var handle = labels.joined(separator: ".")
        while handle.utf8.count > 253 {
            labels.removeFirst()
            handle = labels.joined(separator: ".")
        }
        return labels.count >= 2 ? handle : "a." + labels[0]
    }

    func randomNSID(using rng: inout SeededGenerator) -> String {
        var segments = [label(Int.random(in: 1...20, using: &rng), firstLetter: true, using: &rng)]
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            segments.append(label(Int.random(in: 1...63, using: &rng), firstLetter: false, using: &rng))
        }
        let nameLength = Int.random(in: 1...63, using: &rng)
        let name = String(
            [Self.letters.randomElement(using: &rng)!]
                + (1..<nameLength).map { _ in (Self.letters + Self.digits).randomElement(using: &rng)! })
        segments.append(name)
        return segments.joined(separator: ".")
    }

    /// Replaces one byte with a character no handle, NSID or record key allows.
    func corrupt(_ s: String, using rng: inout SeededGenerator) -> String {
        var bytes = Array(s.utf8)
        let bad: [UInt8] = Array(" /@!*#?%+\u{0}".utf8) + [0xC3]
        bytes[Int.random(in: 0..<bytes.count, using: &rng)] = bad.randomElement(using: &rng)!
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func generatedHandlesAreValid() throws {
        var rng = SeededGenerator(seed: 0x4A4D_1E)
        for _ in 0..<3_000 {
            let handle = randomHandle(using: &rng)
            #expect(Handle.isValid(handle), "\(handle)")
            #expect(try Handle(handle).normalized == handle.lowercased())
            #expect(AtIdentifier.isValid(handle))
            let broken = corrupt(handle, using: &rng)
            #expect(!Handle.isValid(broken), "\(broken.debugDescription)")
        }
    }

    @Test func generatedNSIDsAreValid() throws {
        var rng = SeededGenerator(seed: 0x45_51D)
        for _ in 0..<3_000 {
            let nsid = randomNSID(using: &rng)
            guard nsid.utf8.count <= 317 else { continue }
            #expect(NSID.isValid(nsid), "\(nsid)")
            let parsed = try NSID(nsid)
            #expect(parsed.segments.joined(separator: ".") == nsid)
            #expect(try NSID(authority: parsed.authority, name: parsed.name) == parsed)
            #expect(!NSID.isValid(corrupt(nsid, using: &rng)))
        }
    }

    @Test func generatedRecordKeysAndURIsAreValid() throws {
        var rng = SeededGenerator(seed: 0x5EC_0DE)
        let pool = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:~-")
        for _ in 0..<3_000 {
            var rkey = String((0..<Int.random(in: 1...512, using: &rng)).map { _ in pool.randomElement(using: &rng)! })
            if rkey == "." || rkey == ".." { rkey += "a" }
            #expect(RecordKey.isValid(rkey), "\(rkey)")
            #expect(!RecordKey.isValid(corrupt(rkey, using: &rng)))
            let handle = randomHandle(using: &rng)
            let nsid = randomNSID(using: &rng)
            guard nsid.utf8.count <= 317 else { continue }
            let uri = try ATURI("at://\(handle)/\(nsid)/\(rkey)")
            #expect(uri.authority.handle?.string == handle)
            #expect(uri.collection?.string == nsid)
            #expect(uri.rkey?.string == rkey)
        }
    }

    @Test func datetimesAgreeWithFoundationCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var rng = SeededGenerator(seed: 0xDA7E)
        for _ in 0..<3_000 {
            // Foundation's Gregorian calendar switches to Julian before 1582; stay after it.
            let year = Int.random(in: 1600...9999, using: &rng)
            let month = Int.random(in: 1...12, using: &rng)
            let day = Int.random(in: 1...31, using: &rng)
            let hour = Int.random(in: 0...23, using: &rng)
            let minute = Int.random(in: 0...59, using: &rng)
            let second = Int.random(in: 0...59, using: &rng)
            let millis = Int.random(in: 0...999, using: &rng)
            let string = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, month, day, hour, minute, second, millis)
            let components = DateComponents(year: year, month: month, day: 1)
            let firstOfMonth = try #require(calendar.date(from: components))
            let monthRange = try #require(calendar.range(of: .day, in: .month, for: firstOfMonth))
            let exists = monthRange.contains(day)
            #expect(Datetime.isValid(string) == exists, "\(string)")
            guard exists else { continue }
            let reference = try #require(
                calendar.date(
                    from: DateComponents(
                        year: year, month: month, day: day, hour: hour, minute: minute, second: second)))
            let micros = try Datetime.parseMicroseconds(string)
            #expect(micros == Int64(reference.timeIntervalSince1970) * 1_000_000 + Int64(millis) * 1000, "\(string)")
            #expect(Datetime.format(microseconds: micros) == string)
            #expect(Datetime.format(try Datetime.parse(string)) == string)
        }
    }

    @Test func formattedInstantsParseBack() throws {
        var rng = SeededGenerator(seed: 0xF0_4A7)
        for _ in 0..<5_000 {
            let micros = Int64.random(in: Datetime.minMicroseconds...Datetime.maxMicroseconds, using: &rng)
            let string = Datetime.format(microseconds: micros)
            #expect(Datetime.isValid(string), "\(string)")
            let millisFloor = Datetime.floorDivide(micros, 1000) * 1000
            #expect(try Datetime.parseMicroseconds(string) == millisFloor)
        }
    }
}
