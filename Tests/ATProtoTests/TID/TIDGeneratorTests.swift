import Foundation
import Synchronization
import Testing

@testable import ATProto

@Suite struct TIDGeneratorTests {
    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        let now = Mutex<UInt64>(0)
        init(_ start: UInt64) { now.withLock { $0 = start } }
        func set(_ value: UInt64) { now.withLock { $0 = value } }
        var read: @Sendable () -> UInt64 { { self.now.withLock { $0 } } }
    }

    @Test func usesWallClockAndClockID() {
        let generator = TIDGenerator(clockID: 77)
        let before = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        let tid = generator.next()
        let after = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        #expect(tid.clockID == 77)
        #expect(generator.clockID == 77)
        #expect(tid.timestampMicros >= before && tid.timestampMicros <= after + 1)
        #expect(TIDGenerator().clockID <= TID.maxClockID)
        #expect(TIDGenerator(clockID: 1024 + 5).clockID == 5)
        #expect(TIDGenerator.shared.next() < TIDGenerator.shared.next())
    }

    @Test func sameMicrosecondStillIncreases() {
        let clock = ManualClock(1_000)
        let generator = TIDGenerator(clockID: 1, clock: clock.read)
        let tids = (0..<100).map { _ in generator.next() }
        for (index, tid) in tids.enumerated() {
            #expect(tid.timestampMicros == 1_000 + UInt64(index))
        }
    }

    @Test func clockGoingBackwardsNeverGoesBack() {
        let clock = ManualClock(5_000_000)
        let generator = TIDGenerator(clockID: 2, clock: clock.read)
        let first = generator.next()
        clock.set(1_000_000)  // the wall clock jumps back four seconds
        let second = generator.next()
        let third = generator.next()
        #expect(first < second && second < third)
        #expect(second.timestampMicros == 5_000_001)
        clock.set(9_000_000)  // and forward again: the clock is used as soon as it is ahead
        #expect(generator.next().timestampMicros == 9_000_000)
    }

    @Test func nextAfterPrevious() throws {
        let clock = ManualClock(1_000)
        let generator = TIDGenerator(clockID: 3, clock: clock.read)
        // A previous rev from a clock that ran ahead: the result is just above it.
        let previous = TID(timestampMicros: 50_000, clockID: 1000)
        let next = try #require(generator.next(after: previous))
        #expect(next > previous)
        #expect(next.timestampMicros == 50_001)
        #expect(next.clockID == 3)
        // Chained revs keep growing while the wall clock is behind.
        let nextAgain = try #require(generator.next(after: next))
        #expect(nextAgain > next)
        // The generator itself is not dragged into the future by that rev.
        #expect(generator.next().timestampMicros < 50_000)
        // A previous rev in the past gives the ordinary next TID.
        clock.set(100_000)
        #expect(generator.next(after: TID(timestampMicros: 10, clockID: 0))?.timestampMicros == 100_000)
        #expect(generator.next().timestampMicros == 100_001)
        // No TID can follow the largest timestamp (or a top-bit TID from foreign data).
        #expect(generator.next(after: TID(timestampMicros: TID.maxTimestampMicros, clockID: 1023)) == nil)
        #expect(generator.next(after: TID(rawValue: UInt64.max)) == nil)
    }

    @Test func concurrentCallersGetDistinctIncreasingTIDs() async {
        let generator = TIDGenerator()
        let perTask = 2_000
        let taskCount = 16
        let results = await withTaskGroup(of: [TID].self) { group in
            for _ in 0..<taskCount {
                group.addTask {
                    var mine: [TID] = []
                    mine.reserveCapacity(perTask)
                    for _ in 0..<perTask { mine.append(generator.next()) }
                    return mine
                }
            }
            var all: [[TID]] = []
            for await batch in group { all.append(batch) }
            return all
        }
        #expect(results.count == taskCount)
        for batch in results {
            #expect(batch.count == perTask)
            #expect(zip(batch, batch.dropFirst()).allSatisfy { $0 < $1 }, "each caller sees strictly increasing TIDs")
        }
        let all = results.flatMap { $0 }
        #expect(Set(all).count == taskCount * perTask, "no TID repeats across callers")
        #expect(Set(all.map(\.string)).count == taskCount * perTask)
    }
}
