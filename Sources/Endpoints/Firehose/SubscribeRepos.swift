import ATProto
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Storage

/// `com.atproto.sync.subscribeRepos`: the firehose WebSocket.
///
/// - No `cursor`: live events only.
/// - `cursor`: every stored event with `seq > cursor`, sent as stored, then the live tail. The subscriber
///   registers with the sequencer before the last backfill pass and drops live events it already sent, so the
///   switch has no gap and no duplicate.
/// - A cursor behind trimmed events (or whose next event is older than the retention) gets `#info
///   OutdatedCursor` first, then the stream from the oldest event kept; a cursor ahead of the head gets a
///   `FutureCursor` error frame and the connection closes (1008).
/// - An outbox overflow sends `ConsumerTooSlow` and closes; a write that does not finish within
///   ``FirehoseSettings/writeStallTimeout`` closes the connection.
public enum SubscribeRepos {
    public static let nsid = "com.atproto.sync.subscribeRepos"
    public static let path = "/xrpc/" + nsid

    /// The router of WebSocket upgrades, with the firehose route.
    public static func webSocketRouter(sequencer: Sequencer) -> Router<FirehoseRequestContext> {
        let router = Router(context: FirehoseRequestContext.self)
        router.ws(RouterPath(path)) { _, _ in .upgrade([:]) } onUpgrade: { inbound, outbound, context in
            await FirehoseConnection(
                sequencer: sequencer, outbound: outbound, channel: context.requestContext.channel,
                logger: context.logger
            ).serve(cursor: context.request.uri.queryParameters["cursor"].map(String.init), inbound: inbound)
        }
        return router
    }

    /// The WebSocket settings of the upgrade: 5 MB frames, ping keepalive.
    public static func webSocketConfiguration(settings: FirehoseSettings) -> WebSocketServerConfiguration {
        WebSocketServerConfiguration(
            maxFrameSize: FirehoseSettings.maxFrameBytes, autoPing: .enabled(timePeriod: settings.pingInterval))
    }

    static func infoFrame(name: String, message: String) -> [UInt8] {
        FirehoseFrame.message(type: "#info", body: ["name": .string(name), "message": .string(message)])
    }
}
