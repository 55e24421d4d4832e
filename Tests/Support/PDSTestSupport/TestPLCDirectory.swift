import ATProto
import Foundation
import Hummingbird
import Synchronization

import Endpoints

/// A small did:plc directory on a loopback port, for tests.
///
/// `POST /<did>` checks the operation as the real directory does (signature by one of the rotation keys: the
/// operation's own for a genesis, the previous operation's for an update; `prev` names the current head; a
/// genesis hashes to the DID) and stores it; `GET /<did>` answers the DID document, `GET /<did>/log/last` the
/// latest operation. ``mode`` makes it answer 500 or refuse every operation.
public final class TestPLCDirectory: Sendable {
    public enum Mode: Sendable {
        case normal
        /// Every request answers 500.
        case failing
        /// Every `POST` answers 400 `{"message": "operation refused by test directory"}`.
        case refusing
    }

    private struct State {
        var operations: [String: [SignedPLCOperation]] = [:]
        var tombstoned: Set<String> = []
        var mode: Mode = .normal
        var requests = 0
        var posts = 0
    }

    public static let refusalMessage = "operation refused by test directory"

    private let state = Mutex(State())
    private let server = Mutex<LoopbackServer?>(nil)

    /// `http://127.0.0.1:<port>` once started.
    public var url: String { "http://127.0.0.1:\(server.withLock { $0 }?.port ?? 0)" }

    public var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }

    /// Requests received (every method).
    public var requestCount: Int { state.withLock { $0.requests } }
    /// `POST`s received.
    public var postCount: Int { state.withLock { $0.posts } }

    /// The stored operations of `did`, oldest first.
    public func operations(did: String) -> [SignedPLCOperation] {
        state.withLock { $0.operations[did] ?? [] }
    }

    /// Whether `did` was retired by a valid `plc_tombstone`.
    public func isTombstoned(_ did: String) -> Bool {
        state.withLock { $0.tombstoned.contains(did) }
    }

    /// DIDs the directory holds.
    public var dids: [String] { state.withLock { Array($0.operations.keys) } }

    /// Starts the directory on 127.0.0.1 port 0 and returns when it accepts connections.
    public static func start() async throws -> TestPLCDirectory {
        let directory = TestPLCDirectory()
        let server = try await LoopbackServer.start(router: directory.router(), label: "test-plc-directory")
        directory.server.withLock { $0 = server }
        return directory
    }

    /// Stops the server.
    public func stop() async {
        await server.withLock { $0 }?.stop()
    }

    private func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/:did") { request, context in
            let did = try context.parameters.require("did")
            let body = try await request.body.collect(upTo: 1 << 20)
            return self.submit(did: did, body: Array(body.readableBytesView))
        }
        router.get("/:did") { _, context in
            let did = try context.parameters.require("did")
            return self.read(did: did) { operations in
                guard let last = operations.last else { return nil }
                let document = DIDDocument(did: did, operation: last.operation)
                return (try? JSONEncoder().encode(document)).map { Array($0) }
            }
        }
        router.get("/:did/log/last") { _, context in
            let did = try context.parameters.require("did")
            return self.read(did: did) { $0.last?.jsonBytes() }
        }
        return router
    }

    private func read(did: String, _ render: ([SignedPLCOperation]) -> [UInt8]?) -> Response {
        let (mode, operations, tombstoned) = state.withLock { state in
            state.requests += 1
            return (state.mode, state.operations[did] ?? [], state.tombstoned.contains(did))
        }
        if mode == .failing { return Self.json(status: .internalServerError, message: "test directory failure") }
        if tombstoned { return Self.json(status: .gone, message: "DID not available: \(did)") }
        guard let body = render(operations) else {
            return Self.json(status: .notFound, message: "DID not registered: \(did)")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func submit(did: String, body: [UInt8]) -> Response {
        state.withLock { state in
            state.requests += 1
            state.posts += 1
            switch state.mode {
            case .failing: return Self.json(status: .internalServerError, message: "test directory failure")
            case .refusing: return Self.json(status: .badRequest, message: Self.refusalMessage)
            case .normal: break
            }
            if state.tombstoned.contains(did) {
                return Self.json(status: .gone, message: "DID not available: \(did)")
            }
            let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
            if object?["type"] as? String == PLCTombstone.type {
                guard let last = state.operations[did]?.last else {
                    return Self.json(status: .notFound, message: "DID not registered: \(did)")
                }
                guard let prev = object?["prev"] as? String, let sig = object?["sig"] as? String, object?.count == 3,
                    prev == last.cid().string
                else { return Self.json(status: .badRequest, message: "malformed tombstone") }
                guard PLCTombstone(prev: prev, sig: sig).verify(rotationKeys: last.operation.rotationKeys) else {
                    return Self.json(status: .badRequest, message: "invalid signature")
                }
                state.tombstoned.insert(did)
                return Response(status: .ok)
            }
            let operation: SignedPLCOperation
            do {
                operation = try SignedPLCOperation(json: body)
            } catch {
                return Self.json(status: .badRequest, message: "invalid operation: \(error)")
            }
            let history = state.operations[did] ?? []
            if let last = history.last {
                if last == operation { return Response(status: .ok) }
                guard operation.operation.prev == last.cid().string else {
                    return Self.json(status: .badRequest, message: "prev does not name the current operation")
                }
                guard operation.verify(rotationKeys: last.operation.rotationKeys) else {
                    return Self.json(status: .badRequest, message: "invalid signature")
                }
            } else {
                guard operation.operation.isGenesis else {
                    return Self.json(status: .notFound, message: "DID not registered: \(did)")
                }
                guard operation.verify(rotationKeys: operation.operation.rotationKeys) else {
                    return Self.json(status: .badRequest, message: "invalid signature")
                }
                guard PLC.did(forGenesis: operation) == did else {
                    return Self.json(status: .badRequest, message: "DID does not match the genesis operation")
                }
            }
            state.operations[did, default: []].append(operation)
            return Response(status: .ok)
        }
    }

    private static func json(status: HTTPResponse.Status, message: String) -> Response {
        let body = (try? JSONSerialization.data(withJSONObject: ["message": message])) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: Array(body))))
    }
}
