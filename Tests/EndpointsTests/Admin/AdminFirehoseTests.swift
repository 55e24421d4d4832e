import ATProto
import Foundation
import Testing

@testable import Endpoints

/// The `#account` events of admin changes as a live `subscribeRepos` subscriber receives them.
@Suite struct AdminFirehoseTests {
    /// An admin POST over a real socket (on its own thread).
    static func adminPost(port: Int, _ nsid: String, _ json: String) async throws -> RawHTTP.Reply {
        let body = Array(json.utf8)
        let auth = Data("admin:\(TestServerWithServices.adminPassword)".utf8).base64EncodedString()
        let head =
            "POST /xrpc/\(nsid) HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic \(auth)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return try await RepoClient.exchangeOnThread(port: port, request: Array(head.utf8) + body)
    }

    /// The next frame's type and body.
    static func nextEvent(_ client: WebSocketTestClient) async throws -> (type: String?, body: DataValue) {
        guard case .binary(let frame) = try await client.next() else {
            throw WebSocketTestClient.Failure(description: "expected a binary frame")
        }
        let (header, body) = try FirehoseFrame.decode(frame)
        return (header["t"]?.stringValue, body)
    }

    @Test func takedownRestoreAndDeletionReachLiveSubscribers() async throws {
        let harness = try await FirehoseHarness()
        defer { harness.close() }
        let did = try await harness.createAccount("alice")
        try await harness.run { port in
            let live = try await WebSocketTestClient.connect(port: port, path: SubscribeRepos.path)
            try await waitFor { harness.sequencer.subscriberCount == 1 }
            let subject = #"{"subject":{"$type":"com.atproto.admin.defs#repoRef","did":"\#(did)"},"#

            #expect(try await Self.adminPost(port: port, "com.atproto.admin.updateSubjectStatus", subject + #""takedown":{"applied":true}}"#).status == 200)
            let down = try await Self.nextEvent(live)
            #expect(down.type == "#account")
            #expect(down.body["did"]?.stringValue == did)
            #expect(down.body["active"]?.boolValue == false)
            #expect(down.body["status"]?.stringValue == "takendown")

            #expect(try await Self.adminPost(port: port, "com.atproto.admin.updateSubjectStatus", subject + #""takedown":{"applied":false}}"#).status == 200)
            let up = try await Self.nextEvent(live)
            #expect(up.type == "#account")
            #expect(up.body["active"]?.boolValue == true)
            #expect(up.body["status"] == nil)

            #expect(try await Self.adminPost(port: port, "com.atproto.admin.deleteAccount", #"{"did":"\#(did)"}"#).status == 200)
            let deleted = try await Self.nextEvent(live)
            #expect(deleted.type == "#account")
            #expect(deleted.body["active"]?.boolValue == false)
            #expect(deleted.body["status"]?.stringValue == "deleted")
            #expect((deleted.body["seq"]?.intValue ?? 0) > (up.body["seq"]?.intValue ?? .max))
            await live.close()

            // A relay replaying from the start sees only the deletion of this account.
            let replay = try await WebSocketTestClient.connect(port: port, path: SubscribeRepos.path + "?cursor=0")
            let first = try await Self.nextEvent(replay)
            #expect(first.body["did"]?.stringValue == did)
            #expect(first.body["status"]?.stringValue == "deleted")
            await replay.close()
        }
    }
}
