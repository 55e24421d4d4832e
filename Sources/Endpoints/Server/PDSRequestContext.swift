import Hummingbird
import NIOCore

/// The request context of every route.
///
/// ``ObservedResponder`` fills ``requestID`` and ``maxUploadSize`` before routing.
public struct PDSRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request id: the client's sane `X-Request-Id`, or a generated one. Echoed in the response.
    public var requestID: String
    /// The largest request body a handler collects (``ServerSettings/maxRequestBodyBytes``).
    public var maxUploadSize: Int
    /// The peer address of the connection (nil in in-process tests).
    public let remoteAddress: SocketAddress?
    /// The event loop of the connection.
    public let eventLoop: any EventLoop

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.maxUploadSize = 1_048_576
        self.remoteAddress = source.channel.remoteAddress
        self.eventLoop = source.channel.eventLoop
    }

    /// Sets the metrics `route` label of this request. Use only bounded values (NSID, route template).
    public func setRoute(_ route: String) {
        coreContext.endpointPath.value = route
    }
}
