import Foundation
import Testing

@testable import ATProto

@Suite struct TIDTests {
    @Test func knownValues() throws {
        #expect(TID(timestampMicros: 0, clockID: 0).string == "2222222222222")
        #expect(try TID("2222222222222").rawValue == 0)
        let max = TID(timestampMicros: TID.maxTimestampMicros, clockID: TID.maxClockID)
        #expect(max.string == "bzzzzzzzzzzzz")
        #expect(max.rawValue == UInt64(Int64.max))
        let tid = try TID("3jzfcijpj2z2a")
        #expect(TID(timestampMicros: tid.timestampMicros, clockID: tid.clockID) == tid)
        #expect(tid.string == "3jzfcijpj2z2a")
        #expect(TID(timestampMicros: 1, clockID: 0).string == "2222222222322")
        #expect(TID(timestampMicros: 0, clockID: 1).string == "2222222222223")
    }

    @Test func partsAreMasked() {
        #expect(TID(timestampMicros: 5, clockID: 1024 + 7).clockID == 7)
        #expect(TID(timestampMicros: 5, clockID: 1024 + 7).timestampMicros == 5)
        #expect(TID(timestampMicros: TID.maxTimestampMicros + 2, clockID: 0).timestampMicros == 1)
    }

    @Test func rawValue() throws {
        #expect(TID(rawValue: 0) == TID(timestampMicros: 0, clockID: 0))
        // The syntax admits the top bit (first character up to "j"): such TIDs parse and round-trip.
        let top = try TID("jzzzzzzzzzzzz")
        #expect(top.rawValue == UInt64.max)
        #expect(top.string == "jzzzzzzzzzzzz")
        #expect(TID(rawValue: 1 << 63).string == "c222222222222")
        #expect(top.timestampMicros > TID.maxTimestampMicros)
    }

    @Test func dateOfTimestamp() throws {
        let tid = TID(timestampMicros: 1_700_000_000_123_456, clockID: 3)
        #expect(abs(tid.date.timeIntervalSince1970 - 1_700_000_000.123456) < 1e-6)
    }

    @Test func rejections() {
        for bad in ["", "222222222222", "22222222222222", "k222222222222", "zzzzzzzzzzzzz", "3jzfcijpj2z21",
            "3JZFCIJPJ2Z2A", "3jzf-cij-pj2z", "3jzfcijpj2z2 ", "3jzfcijpj2z2é"]
        {
            #expect(!TID.isValid(bad), "\(bad.debugDescription)")
            #expect(throws: SyntaxError.self) { try TID(bad) }
        }
        do {
            _ = try TID("kjzfcijpj2z2a")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == "tid")
            #expect(error.message.contains("234567abcdefghij"))
        }
    }

    @Test func codable() throws {
        let tid = TID(timestampMicros: 1_700_000_000_000_000, clockID: 42)
        let data = try JSONEncoder().encode(tid)
        #expect(String(decoding: data, as: UTF8.self) == "\"\(tid.string)\"")
        #expect(try JSONDecoder().decode(TID.self, from: data) == tid)
    }

    /// Seeded random round trips: string form parses back to the same parts, and string order
    /// equals numeric order.
    @Test func propertyRoundTripAndOrder() throws {
        var rng = SeededGenerator(seed: 0x7_1D5E_ED)
        var previous: TID? = nil
        for _ in 0..<5_000 {
            let timestamp = UInt64.random(in: 0...TID.maxTimestampMicros, using: &rng)
            let clock = UInt16.random(in: 0...TID.maxClockID, using: &rng)
            let tid = TID(timestampMicros: timestamp, clockID: clock)
            let string = tid.string
            #expect(string.utf8.count == 13)
            let parsed = try TID(string)
            #expect(parsed == tid)
            #expect(parsed.timestampMicros == timestamp)
            #expect(parsed.clockID == clock)
            if let previous {
                #expect((previous < tid) == (previous.string < string))
                #expect((previous == tid) == (previous.string == string))
            }
            previous = tid
        }
    }
}
