import ATProto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A firehose subscriber for the benchmarks: a NIO client channel that upgrades to WebSocket and parses server
/// frames in place, counting messages and checking that `seq` grows by one. With `recordLag` it also keeps, per
/// frame, its seq, its `time` (read without decoding the rest of the frame) and the wall-clock receive time. All work
/// runs on the client's event loop; ``snapshot`` reads the counters from any thread.
final class BenchSubscriber: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Snapshot: Sendable {
        var messages = 0
        var bytes = 0
        var firstSeq: Int64?
        var lastSeq: Int64?
        /// Frames whose seq was not the previous seq + 1.
        var gaps = 0
        var closed = false
        var failure: String?
        /// One per received event (with `recordLag`).
        var deliveries: [Delivery] = []
    }

    /// A received event: its seq, its `time` and when it arrived (Unix microseconds).
    struct Delivery: Sendable {
        let seq: Int64
        let timeMicros: Int64
        let receivedMicros: Int64
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let path: String
    private let port: Int
    private let recordLag: Bool
    // Event-loop state.
    private var buffer: ByteBuffer?
    private var upgraded = false
    private var local = Snapshot()
    /// What other threads read; updated after each read.
    private let shared = NIOLockedValueBox(Snapshot())
    private var upgradePromise: EventLoopPromise<Void>?
    private(set) var channel: (any Channel)?

    private init(port: Int, path: String, recordLag: Bool) {
        self.port = port
        self.path = path
        self.recordLag = recordLag
    }

    /// Connects to `127.0.0.1:port`, upgrades on `path` and returns once the server accepted the upgrade.
    static func connect(port: Int, path: String, recordLag: Bool, group: any EventLoopGroup) async throws -> BenchSubscriber {
        let subscriber = BenchSubscriber(port: port, path: path, recordLag: recordLag)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(subscriber) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let upgraded = try await channel.eventLoop.submit { () -> EventLoopFuture<Void> in
            subscriber.channel = channel
            let promise = channel.eventLoop.makePromise(of: Void.self)
            subscriber.upgradePromise = promise
            subscriber.sendUpgrade(channel: channel)
            return promise.futureResult
        }.get()
        try await upgraded.get()
        return subscriber
    }

    /// The counters, without the lag samples.
    var progress: Snapshot {
        shared.withLockedValue { shared in
            var copy = Snapshot()
            swap(&copy.deliveries, &shared.deliveries)
            defer { swap(&copy.deliveries, &shared.deliveries) }
            var result = shared
            result.deliveries = []
            return result
        }
    }

    /// Everything, with the lag samples.
    var snapshot: Snapshot { shared.withLockedValue { $0 } }

    /// Closes the connection (without a close handshake).
    func close() async {
        guard let channel else { return }
        try? await channel.close()
    }

    private func sendUpgrade(channel: any Channel) {
        let request =
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString())\r\n"
            + "Sec-WebSocket-Version: 13\r\n\r\n"
        channel.writeAndFlush(channel.allocator.buffer(string: request), promise: nil)
    }

    // MARK: ChannelInboundHandler

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil {
            buffer = incoming
        } else {
            buffer!.writeBuffer(&incoming)
        }
        let now = recordLag ? Self.wallMicros() : 0
        do {
            try parse(context: context, receivedMicros: now)
        } catch {
            local.failure = "\(error)"
            upgradePromise?.fail(error)
            upgradePromise = nil
            context.close(promise: nil)
        }
        if let readable = buffer?.readableBytes, readable == 0 {
            buffer = nil
        } else if let reader = buffer?.readerIndex, reader > 1 << 16 {
            buffer!.discardReadBytes()
        }
        publish()
    }

    func channelInactive(context: ChannelHandlerContext) {
        local.closed = true
        upgradePromise?.fail(Failure(description: "connection closed before the upgrade"))
        upgradePromise = nil
        publish()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        local.failure = "\(error)"
        context.close(promise: nil)
    }

    private func publish() {
        let lags = local.deliveries
        local.deliveries.removeAll(keepingCapacity: true)
        shared.withLockedValue { shared in
            var next = local
            swap(&next.deliveries, &shared.deliveries)
            next.deliveries.append(contentsOf: lags)
            shared = next
        }
    }

    // MARK: Parsing

    private func parse(context: ChannelHandlerContext, receivedMicros: Int64) throws {
        guard var buffer = self.buffer else { return }
        self.buffer = nil
        defer { self.buffer = buffer }
        if !upgraded {
            let view = buffer.readableBytesView
            guard let end = view.firstRange(of: [13, 10, 13, 10]) else { return }
            let head = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
            guard head.hasPrefix("HTTP/1.1 101") else {
                throw Failure(description: "upgrade refused: \(head.prefix(200))")
            }
            buffer.moveReaderIndex(to: end.upperBound)
            upgraded = true
            upgradePromise?.succeed()
            upgradePromise = nil
        }
        while buffer.readableBytes >= 2 {
            let start = buffer.readerIndex
            let first = buffer.getInteger(at: start, as: UInt8.self)!
            let second = buffer.getInteger(at: start + 1, as: UInt8.self)!
            var headerLength = 2
            var length = Int(second & 0x7F)
            if length == 126 {
                guard let value = buffer.getInteger(at: start + 2, as: UInt16.self) else { return }
                length = Int(value)
                headerLength = 4
            } else if length == 127 {
                guard let value = buffer.getInteger(at: start + 2, as: UInt64.self) else { return }
                length = Int(value)
                headerLength = 10
            }
            guard second & 0x80 == 0 else { throw Failure(description: "masked server frame") }
            guard buffer.readableBytes >= headerLength + length else { return }
            let payloadStart = start + headerLength
            switch first & 0x0F {
            case 0x2:
                buffer.withUnsafeReadableBytes { raw in
                    received(UnsafeRawBufferPointer(rebasing: raw[headerLength..<(headerLength + length)]), receivedMicros: receivedMicros)
                }
            case 0x9:
                // Pong with the ping's payload; client frames are masked (a zero key leaves the payload as is).
                var pong = context.channel.allocator.buffer(capacity: length + 6)
                pong.writeInteger(UInt8(0x8A))
                pong.writeInteger(UInt8(0x80) | UInt8(length))
                pong.writeInteger(UInt32(0))
                pong.writeBytes(buffer.getSlice(at: payloadStart, length: length)!.readableBytesView)
                context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
            case 0x8:
                local.closed = true
            default:
                break
            }
            buffer.moveReaderIndex(forwardBy: headerLength + length)
        }
    }

    private func received(_ frame: UnsafeRawBufferPointer, receivedMicros: Int64) {
        local.messages += 1
        local.bytes += frame.count
        guard let probe = FrameProbe.read(frame) else { return }
        if let seq = probe.seq {
            if let last = local.lastSeq, seq != last + 1 { local.gaps += 1 }
            if local.firstSeq == nil { local.firstSeq = seq }
            local.lastSeq = seq
        }
        if recordLag, let time = probe.timeMicros, let seq = probe.seq {
            local.deliveries.append(Delivery(seq: seq, timeMicros: time, receivedMicros: receivedMicros))
        }
    }

    static func wallMicros() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}

/// Reads `seq` and `time` from a firehose frame without decoding it: walks the header and the top level of the
/// body map, skipping every other value.
enum FrameProbe {
    static func read(_ frame: UnsafeRawBufferPointer) -> (seq: Int64?, timeMicros: Int64?)? {
        var reader = Reader(bytes: frame)
        guard reader.skip(), let (major, count) = reader.head(), major == 5 else { return nil }
        var seq: Int64?
        var time: Int64?
        for _ in 0..<count {
            guard let (keyMajor, keyLength) = reader.head(), keyMajor == 3, let key = reader.take(Int(keyLength)) else { return nil }
            if key.elementsEqual("seq".utf8) {
                guard let (valueMajor, value) = reader.head(), valueMajor == 0 else { return nil }
                seq = Int64(value)
            } else if key.elementsEqual("time".utf8) {
                guard let (valueMajor, length) = reader.head(), valueMajor == 3, let text = reader.take(Int(length)) else { return nil }
                time = try? Datetime.parseMicroseconds(String(decoding: text, as: UTF8.self))
            } else if !reader.skip() {
                return nil
            }
        }
        return (seq, time)
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        /// The major type and argument of the next item.
        mutating func head() -> (UInt8, UInt64)? {
            guard offset < bytes.count else { return nil }
            let initial = bytes[offset]
            offset += 1
            let info = initial & 0x1F
            let size: Int
            switch info {
            case 0..<24: return (initial >> 5, UInt64(info))
            case 24: size = 1
            case 25: size = 2
            case 26: size = 4
            case 27: size = 8
            default: return nil
            }
            guard offset + size <= bytes.count else { return nil }
            var value: UInt64 = 0
            for index in 0..<size { value = value << 8 | UInt64(bytes[offset + index]) }
            offset += size
            return (initial >> 5, value)
        }

        mutating func take(_ count: Int) -> UnsafeRawBufferPointer? {
            guard count >= 0, offset + count <= bytes.count else { return nil }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        }

        /// Skips one complete item.
        mutating func skip() -> Bool {
            guard let (major, argument) = head() else { return false }
            switch major {
            case 0, 1, 7: return true
            case 2, 3: return take(Int(argument)) != nil
            case 4, 5:
                for _ in 0..<(major == 4 ? argument : argument * 2) where !skip() { return false }
                return true
            case 6: return skip()
            default: return false
            }
        }
    }
}
