import ATProto
import Foundation
import GRDB
import MetricsTestKit
import Testing

@testable import Storage

/// Commits built before the writer is taken (on the head the store last committed) are stored only if that head is
/// still the stored one; otherwise they are built again inside the writer, with the same result a writer-only
/// commit would have.
@Suite struct PreparedCommitTests {
    static func prepared(_ metrics: TestMetrics, _ result: String) throws -> Int64 {
        try metrics.expectCounter(RepoStore.PrepareMetrics.label, [("result", result)]).totalValue
    }

    @Test func commitsAfterTheFirstAreBuiltBeforeTheWriter() async throws {
        let metrics = TestMetrics()
        let f = try await StoreFixture.make(metricsFactory: metrics)
        defer { f.close() }
        try await f.account("pia")
        var rkeys: Set<String> = []
        var previous: CommitOutcome?
        for i in 0..<6 {
            let outcome = try await f.repos.applyWrites(did: "did:plc:pia", writes: [RepoStoreTests.create("p\(i)", "post \(i)")])
            if let previous { #expect(outcome.rev > previous.rev) }
            previous = outcome
            rkeys.insert("p\(i)")
        }
        // The first commit has no remembered head yet; the five after it are built before the writer.
        #expect(try Self.prepared(metrics, "unprepared") == 1)
        #expect(try Self.prepared(metrics, "used") == 5)
        #expect(try Self.prepared(metrics, "stale") == 0)
        try await RepoStoreTests.expectPosts(rkeys, storedIn: "did:plc:pia", f)
        let head = try #require(try await f.repos.head(did: "did:plc:pia"))
        #expect(head.commitCID == previous?.commitCID && head.dataCID == previous?.dataCID)
    }

    @Test func aHeadMovedByAnotherWriterIsCaughtAndTheCommitBuiltAgain() async throws {
        let metrics = TestMetrics()
        let f = try await StoreFixture.make(metricsFactory: metrics)
        defer { f.close() }
        try await f.account("quin")
        let did = "did:plc:quin"
        // A second store on the same database moves the head behind the first store's back.
        let other = RepoStore(database: f.database)
        _ = try await f.repos.applyWrites(did: did, writes: [RepoStoreTests.create("a", "one")])
        let moved = try await other.applyWrites(did: did, writes: [RepoStoreTests.create("b", "two")])
        let outcome = try await f.repos.applyWrites(did: did, writes: [RepoStoreTests.create("c", "three")])
        #expect(try Self.prepared(metrics, "stale") == 1)
        #expect(outcome.rev > moved.rev)
        try await RepoStoreTests.expectPosts(["a", "b", "c"], storedIn: did, f)
        // The event of the rebuilt commit follows the other store's commit.
        let events = try await f.database.firehoseEvents(after: moved.seq - 1, limit: 10)
        #expect(events.map(\.seq) == [moved.seq, outcome.seq])
        let (_, body) = try FirehoseFrame.decode(events[1].frame)
        #expect(body["since"] == .string(moved.rev))

        // A stale swapCommit is refused by the writer, not by the prepared build.
        do {
            _ = try await f.repos.applyWrites(did: did, writes: [RepoStoreTests.create("d", "four")], swapCommit: moved.commitCID)
            Issue.record("a stale swapCommit was accepted")
        } catch {
            #expect(error.code == .invalidSwap)
        }
    }

    @Test func anOlderRecordWithTheSameBacklinkSendsTheCommitBackToTheWriter() async throws {
        let metrics = TestMetrics()
        let f = try await StoreFixture.make(metricsFactory: metrics)
        defer { f.close() }
        try await f.account("rue")
        let did = "did:plc:rue"
        func like(_ rkey: String) -> RecordWrite {
            RecordWrite(
                action: .create, collection: "app.bsky.feed.like", rkey: rkey,
                record: EncodedRecord(["$type": "app.bsky.feed.like", "subject": ["uri": "at://did:plc:x/app.bsky.feed.post/1"], "createdAt": .string(rkey)]),
                backlinks: [.init(path: "subject.uri", linkTo: "at://did:plc:x/app.bsky.feed.post/1")], replaceSameBacklinks: true)
        }
        _ = try await f.repos.applyWrites(did: did, writes: [RepoStoreTests.create("p", "post")])
        let first = try await f.repos.applyWrites(did: did, writes: [like("3kaaaaaaaaaa2")])
        #expect(try Self.prepared(metrics, "used") == 1)
        let second = try await f.repos.applyWrites(did: did, writes: [like("3kaaaaaaaaab2")])
        #expect(try Self.prepared(metrics, "stale") == 1)
        #expect(first.applied.map(\.action) == [.create])
        #expect(second.applied.map(\.action) == [.delete, .create])
        let likes = try await f.repos.listRecords(did: did, collection: "app.bsky.feed.like", limit: 10, cursor: nil, reverse: false)
        #expect(likes.map(\.rkey) == ["3kaaaaaaaaab2"])
    }

    @Test func writesThatDoNotApplyGetTheWritersError() async throws {
        let metrics = TestMetrics()
        let f = try await StoreFixture.make(metricsFactory: metrics)
        defer { f.close() }
        try await f.account("sol")
        let did = "did:plc:sol"
        _ = try await f.repos.applyWrites(did: did, writes: [RepoStoreTests.create("a", "one")])
        let head = try await f.repos.head(did: did)
        do {
            _ = try await f.repos.applyWrites(did: did, writes: [RepoStoreTests.create("a", "again")])
            Issue.record("a second create of the same record was accepted")
        } catch {
            #expect(error.code == .invalidWrite)
        }
        do {
            _ = try await f.repos.applyWrites(did: did, writes: [RecordWrite(action: .delete, collection: "app.bsky.feed.post", rkey: "zz")])
            Issue.record("deleting a missing record was accepted")
        } catch {
            #expect(error.code == .recordNotFound)
        }
        #expect(try await f.repos.head(did: did) == head)
        #expect(try Self.prepared(metrics, "unprepared") == 3)
        // After the refused writes the remembered head is still right: the next commit is built before the writer.
        _ = try await f.repos.applyWrites(did: did, writes: [RepoStoreTests.create("b", "two")])
        #expect(try Self.prepared(metrics, "used") == 1)
        try await RepoStoreTests.expectPosts(["a", "b"], storedIn: did, f)
    }
}
