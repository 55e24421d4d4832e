import Dispatch
import NIOCore
import NIOPosix
import Testing

@testable import Endpoints

/// A handler that prefers its connection's loop (ObservedResponder with `handlersOnConnectionLoop`) is resumed on
/// that loop, also when another thread resumes it.
@Suite struct EventLoopTaskExecutorTests {
    @Test func resumptionsFromOtherThreadsLandOnThePreferredLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        for loop in loops {
            let executor = EventLoopTaskExecutor.of(loop)
            #expect(EventLoopTaskExecutor.of(loop) === executor)
            let onLoop = await withTaskExecutorPreference(executor) { () async -> [Bool] in
                var seen = [loop.inEventLoop]
                for _ in 0..<20 {
                    // Resumed from a dispatch thread, as a database read resumes its handler.
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        DispatchQueue.global().async { continuation.resume() }
                    }
                    seen.append(loop.inEventLoop)
                }
                return seen
            }
            #expect(onLoop.allSatisfy { $0 }, "\(onLoop)")
        }
        try await group.shutdownGracefully()
    }
}
