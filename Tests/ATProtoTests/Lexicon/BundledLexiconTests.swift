import Foundation
import Testing

@testable import ATProto

@Suite("Bundled lexicons")
struct BundledLexiconTests {
    /// The record types the reference PDS validates (`packages/pds/src/repo/prepare.ts`).
    static let referenceCollections = [
        "app.bsky.actor.profile", "app.bsky.actor.status", "app.bsky.feed.generator", "app.bsky.feed.like",
        "app.bsky.feed.post", "app.bsky.feed.postgate", "app.bsky.feed.repost", "app.bsky.feed.threadgate",
        "app.bsky.graph.block", "app.bsky.graph.follow", "app.bsky.graph.list", "app.bsky.graph.listblock",
        "app.bsky.graph.listitem", "app.bsky.graph.starterpack", "app.bsky.graph.verification",
        "app.bsky.labeler.service", "app.bsky.notification.declaration", "chat.bsky.actor.declaration",
        "com.atproto.lexicon.schema", "com.germnetwork.declaration",
    ]

    /// `<repo>/lexicons`, next to `Tests/` (symbolic links resolved, for dev packages that link this folder).
    static var lexiconsDirectory: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent()  // Lexicon
            .deletingLastPathComponent()  // ATProtoTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // repo
            .appendingPathComponent("lexicons", isDirectory: true)
    }

    @Test("every bundled document parses and its id matches its path")
    func documentsParse() throws {
        #expect(BundledLexicons.documents.count == 36)
        for (path, json) in BundledLexicons.documents {
            let document = try LexiconDocument(json: json)
            #expect(document.id.string.replacingOccurrences(of: ".", with: "/") + ".json" == path)
        }
    }

    @Test("the bundled registry has exactly the reference's record types")
    func recordCollections() throws {
        let registry = try LexiconRegistry.bundled
        #expect(registry.documents.count == BundledLexicons.documents.count)
        #expect(registry.recordCollections == Self.referenceCollections.sorted())
    }

    @Test("every reference in every bundled document resolves")
    func referencesResolve() throws {
        let registry = try LexiconRegistry.bundled
        let unresolved = registry.unresolvedReferences.map { "\($0.from) -> \($0.to)" }
        #expect(unresolved.isEmpty, "\(unresolved)")
        // The check has teeth: a registry missing a referenced document reports it.
        let withoutStrongRef = try LexiconRegistry(
            registry.documents.values.filter { $0.id.string != "com.atproto.repo.strongRef" })
        #expect(withoutStrongRef.unresolvedReferences.contains { $0.to == "com.atproto.repo.strongRef#main" })
    }

    @Test("many tasks reading the bundled registry at once all see the same complete registry")
    func concurrentUse() async {
        let counts = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<16 {
                group.addTask { (try? LexiconRegistry.bundled)?.documents.count ?? -1 }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(counts == Array(repeating: BundledLexicons.documents.count, count: 16))
    }

    @Test("record key types of the bundled records")
    func recordKeyTypes() throws {
        let registry = try LexiconRegistry.bundled
        #expect(registry.record("app.bsky.feed.post")?.key == .tid)
        #expect(registry.record("app.bsky.actor.profile")?.key == .literal("self"))
        #expect(registry.record("com.atproto.lexicon.schema")?.key == .nsid)
        #expect(registry.record("app.bsky.feed.defs") == nil)
    }

    @Test("the embedded copy is byte-for-byte the lexicons/ folder (run scripts/embed-lexicons.sh)")
    func embeddedMatchesFiles() throws {
        let directory = Self.lexiconsDirectory
        let enumerator = try #require(FileManager.default.enumerator(atPath: directory.path))
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            if path.hasSuffix(".json") { files.append(path) }
        }
        #expect(files.sorted() == BundledLexicons.documents.map(\.path))
        for (path, json) in BundledLexicons.documents {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(path))
            #expect([UInt8](bytes) == Array(json.utf8), "\(path) differs from its embedded copy")
        }
    }
}
