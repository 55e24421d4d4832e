import ATProto
import Foundation
import Telemetry
import Testing

@testable import Endpoints

@Suite("HTTP PLC client against the test directory")
struct PLCClientTests {
    struct Fixture {
        let directory: TestPLCDirectory
        let metrics = TelemetryMetrics()
        let client: HTTPPLCClient
        let rotation = K256PrivateKey()
        let signing = K256PrivateKey()

        init(attempts: Int = 2) async throws {
            directory = try await TestPLCDirectory.start()
            client = HTTPPLCClient(
                settings: .init(directoryURL: directory.url + "/", timeout: .seconds(5), maxAttempts: attempts,
                                initialBackoff: .milliseconds(5)),
                metricsFactory: metrics.factory)
        }

        func genesis(handle: String = "alice.pds.example.com", signer: K256PrivateKey? = nil) throws -> SignedPLCOperation {
            try PLCOperation(
                atprotoSigningKey: signing.publicKey.didKey, rotationKeys: [rotation.publicKey.didKey], handle: handle,
                pdsEndpoint: "https://pds.example.com"
            ).signed(with: signer ?? rotation)
        }

        func sample(_ name: String, _ labels: [String: String]) -> Double? {
            MetricsText.value(in: metrics.render(), name: name, labels: labels)
        }
    }

    /// Runs `body` with a started fixture and stops its directory afterwards.
    static func withFixture(attempts: Int = 2, _ body: (Fixture) async throws -> Void) async throws {
        let fixture = try await Fixture(attempts: attempts)
        do {
            try await body(fixture)
        } catch {
            await fixture.directory.stop()
            throw error
        }
        await fixture.directory.stop()
    }

    static func code(_ body: () async throws(PLCClientError) -> Void) async -> PLCClientError.Code? {
        do {
            try await body()
            return nil
        } catch {
            return error.code
        }
    }

    @Test("submit a genesis, then read the document and the last operation")
    func roundTrip() async throws {
        try await Self.withFixture { fixture in
            let genesis = try fixture.genesis()
            let did = PLC.did(forGenesis: genesis)
            try await fixture.client.submit(did: did, operation: genesis)
            // The same operation again is accepted (a retried POST is harmless).
            try await fixture.client.submit(did: did, operation: genesis)
            let document = try await fixture.client.document(did: did)
            #expect(document.id == did)
            #expect(document.handle == "alice.pds.example.com")
            #expect(document.atprotoSigningKey == fixture.signing.publicKey.didKey)
            #expect(document.pdsEndpoint == "https://pds.example.com")
            #expect(document == DIDDocument(did: did, operation: genesis.operation))
            #expect(try await fixture.client.lastOperation(did: did) == genesis)
            #expect(fixture.sample("pds_plc_requests_total", ["op": "submit", "result": "ok"]) == 2)
            #expect(fixture.sample("pds_plc_requests_total", ["op": "read", "result": "ok"]) == 2)
            #expect(fixture.sample("pds_plc_request_duration_seconds_count", ["op": "read"]) == 2)
        }
    }

    @Test("an unknown DID is notFound")
    func notFound() async throws {
        try await Self.withFixture { fixture in
            let did = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
            let code1 = await Self.code { () async throws(PLCClientError) in _ = try await fixture.client.document(did: did) }
            #expect(code1 == .notFound)
            let code2 = await Self.code { () async throws(PLCClientError) in _ = try await fixture.client.lastOperation(did: did) }
            #expect(code2 == .notFound)
            #expect(fixture.sample("pds_plc_requests_total", ["op": "read", "result": "not_found"]) == 2)
        }
    }

    @Test("the directory checks signatures, DID derivation and prev")
    func directoryChecks() async throws {
        try await Self.withFixture { fixture in
            let forged = try fixture.genesis(signer: K256PrivateKey())
            let code3 = await Self.code { () async throws(PLCClientError) in
                try await fixture.client.submit(did: PLC.did(forGenesis: forged), operation: forged)
            }
            #expect(code3 == .rejected)
            let genesis = try fixture.genesis()
            let code4 = await Self.code { () async throws(PLCClientError) in
                try await fixture.client.submit(did: "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", operation: genesis)
            }
            #expect(code4 == .rejected)
            let did = PLC.did(forGenesis: genesis)
            try await fixture.client.submit(did: did, operation: genesis)

            var update = genesis.operation
            update.alsoKnownAs = ["at://bob.pds.example.com"]
            update.prev = genesis.cid().string
            let byStranger = try update.signed(with: K256PrivateKey())
            let code5 = await Self.code { () async throws(PLCClientError) in
                try await fixture.client.submit(did: did, operation: byStranger)
            }
            #expect(code5 == .rejected)
            var wrongPrev = update
            wrongPrev.prev = byStranger.cid().string
            let badPrev = try wrongPrev.signed(with: fixture.rotation)
            let code6 = await Self.code { () async throws(PLCClientError) in
                try await fixture.client.submit(did: did, operation: badPrev)
            }
            #expect(code6 == .rejected)
            let good = try update.signed(with: fixture.rotation)
            try await fixture.client.submit(did: did, operation: good)
            #expect(try await fixture.client.document(did: did).handle == "bob.pds.example.com")
            #expect(fixture.directory.operations(did: did) == [genesis, good])
        }
    }

    @Test("a tombstone by a rotation key retires the DID; one by another key is refused")
    func tombstone() async throws {
        try await Self.withFixture { fixture in
            let genesis = try fixture.genesis()
            let did = PLC.did(forGenesis: genesis)
            try await fixture.client.submit(did: did, operation: genesis)
            let stranger = try PLCTombstone.signed(prev: genesis.cid().string, with: K256PrivateKey())
            #expect(!stranger.verify(rotationKeys: genesis.operation.rotationKeys))
            let code7 = await Self.code { () async throws(PLCClientError) in
                try await fixture.client.submit(did: did, tombstone: stranger)
            }
            #expect(code7 == .rejected)
            let tombstone = try PLCTombstone.signed(prev: genesis.cid().string, with: fixture.rotation)
            #expect(tombstone.verify(rotationKeys: genesis.operation.rotationKeys))
            try await fixture.client.submit(did: did, tombstone: tombstone)
            #expect(fixture.directory.isTombstoned(did))
            let code8 = await Self.code { () async throws(PLCClientError) in _ = try await fixture.client.document(did: did) }
            #expect(code8 == .notFound)
        }
    }

    @Test("5xx answers are retried up to the attempt limit")
    func retries() async throws {
        try await Self.withFixture(attempts: 4) { fixture in
            fixture.directory.mode = .failing
            let genesis = try fixture.genesis()
            let code9 = await Self.code { () async throws(PLCClientError) in
                try await fixture.client.submit(did: PLC.did(forGenesis: genesis), operation: genesis)
            }
            #expect(code9 == .unavailable)
            #expect(fixture.directory.postCount == 4)
            #expect(fixture.sample("pds_plc_requests_total", ["op": "submit", "result": "error"]) == 4)
        }
    }

    @Test("error bodies: JSON message, error, plain text, empty")
    func messages() {
        #expect(HTTPPLCClient.message(in: Array(#"{"message":"bad op"}"#.utf8)) == "bad op")
        #expect(HTTPPLCClient.message(in: Array(#"{"error":"Nope"}"#.utf8)) == "Nope")
        #expect(HTTPPLCClient.message(in: Array(" plain text \n".utf8)) == "plain text")
        #expect(HTTPPLCClient.message(in: []) == nil)
        #expect(HTTPPLCClient.Settings(directoryURL: "https://plc.example//").directoryURL == "https://plc.example")
    }
}
