import Hummingbird
import NIOCore
import Synchronization

/// Forwards body writes and counts the bytes (for `pds_http_response_size_bytes`).
struct CountingResponseBodyWriter: ResponseBodyWriter {
    final class Counter: Sendable {
        private let bytes = Atomic<Int>(0)
        var value: Int { bytes.load(ordering: .relaxed) }
        func add(_ count: Int) { bytes.add(count, ordering: .relaxed) }
    }

    var parent: any ResponseBodyWriter
    let counter = Counter()

    mutating func write(_ buffer: ByteBuffer) async throws {
        counter.add(buffer.readableBytes)
        try await parent.write(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await parent.finish(trailingHeaders)
    }
}
