import Foundation
import Hummingbird
import Synchronization

/// A relay stand-in on a loopback port that records `com.atproto.sync.requestCrawl` requests.
///
/// `POST /xrpc/com.atproto.sync.requestCrawl` with a JSON `{"hostname": ...}` body answers 200 `{}` (or what
/// ``mode`` says) and records the host name; anything else is 404.
public final class TestRelay: Sendable {
    public enum Mode: Sendable, Equatable {
        case normal
        /// Every request answers 503.
        case failing
        /// Every request answers 400 `{"error": "InvalidRequest", "message": "hostname refused by test relay"}`.
        case refusing
    }

    /// One received request.
    public struct Request: Sendable, Equatable {
        /// The `hostname` of the body (nil when it had none).
        public let hostname: String?
        public let contentType: String?

        public init(hostname: String?, contentType: String?) {
            self.hostname = hostname
            self.contentType = contentType
        }
    }

    private struct State {
        var mode: Mode = .normal
        var requests: [Request] = []
    }

    public static let refusalMessage = "hostname refused by test relay"

    private let state = Mutex(State())
    private let server = Mutex<LoopbackServer?>(nil)

    /// `http://127.0.0.1:<port>` once started.
    public var url: String { "http://127.0.0.1:\(port)" }
    public var port: Int { server.withLock { $0 }?.port ?? 0 }

    public var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }

    /// Every requestCrawl received, in order (refused and failed ones included).
    public var requests: [Request] { state.withLock { $0.requests } }
    public var requestCount: Int { state.withLock { $0.requests.count } }

    /// Starts the relay on 127.0.0.1 port 0 and returns when it accepts connections.
    public static func start() async throws -> TestRelay {
        let relay = TestRelay()
        let router = Router()
        router.post("/xrpc/com.atproto.sync.requestCrawl") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 16)
            return relay.received(body: Array(body.readableBytesView), contentType: request.headers[.contentType])
        }
        let server = try await LoopbackServer.start(router: router, label: "test-relay")
        relay.server.withLock { $0 = server }
        return relay
    }

    /// Stops the server.
    public func stop() async {
        await server.withLock { $0 }?.stop()
    }

    /// Polls until `condition` holds or `timeout` passes (a liveness bound, not a timing assertion).
    public func waitUntil(timeout: Duration = .seconds(120), _ condition: (TestRelay) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(self)
    }

    private func received(body: [UInt8], contentType: String?) -> Response {
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        let mode = state.withLock { state in
            state.requests.append(Request(hostname: object?["hostname"] as? String, contentType: contentType))
            return state.mode
        }
        let (status, json): (HTTPResponse.Status, [String: String]) =
            switch mode {
            case .normal: (.ok, [:])
            case .failing: (.serviceUnavailable, ["error": "Unavailable", "message": "test relay failure"])
            case .refusing: (.badRequest, ["error": "InvalidRequest", "message": Self.refusalMessage])
            }
        let data = (try? JSONSerialization.data(withJSONObject: json)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: Array(data))))
    }
}
