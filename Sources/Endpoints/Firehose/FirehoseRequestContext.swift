import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of the WebSocket router: it keeps the connection's channel so a stalled subscriber can
/// be disconnected even while a write to it is blocked.
public struct FirehoseRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.channel = source.channel
    }
}
