import Testing

@testable import ATProto

/// Exhaustive single mutations of a valid, realistic post: every error must point at the mutated place,
/// and changes the schema allows must stay valid.
@Suite("Record validation under mutation")
struct LexiconMutationTests {
    /// A location in the record and the value there.
    struct Node {
        var path: [String]
        var value: DataValue
        /// Whether the value is a blob reference (`$type: blob`), whose fields are checked as one unit.
        var isBlob: Bool { value["$type"] == .string("blob") }
    }

    /// One value of each data-model kind.
    static let samples: [DataValue] = [
        .null, .bool(true), .int(7), .string("x"), .bytes([1]), .link(CID.raw(hashing: [1])), .array([]), .map([:]),
    ]

    static func kind(_ value: DataValue) -> String { value.typeName }

    /// Every node below the root, depth first, with its parent.
    static func nodes(_ value: DataValue, path: [String] = [], parent: Node? = nil) -> [(node: Node, parent: Node?)] {
        let node = Node(path: path, value: value)
        var result: [(node: Node, parent: Node?)] = path.isEmpty ? [] : [(node, parent)]
        switch value {
        case .map(let map):
            for key in map.keys.sorted() {
                if let child = map[key] { result += nodes(child, path: path + [key], parent: node) }
            }
        case .array(let items):
            for (index, child) in items.enumerated() {
                result += nodes(child, path: path + [String(index)], parent: node)
            }
        default:
            break
        }
        return result
    }

    static func replacing(_ value: DataValue, at path: ArraySlice<String>, with transform: (DataValue) -> DataValue?)
        -> DataValue?
    {
        guard let first = path.first else { return transform(value) }
        switch value {
        case .map(var map):
            guard let child = map[first] else { return value }
            map[first] = replacing(child, at: path.dropFirst(), with: transform)
            return .map(map)
        case .array(var items):
            guard let index = Int(first), items.indices.contains(index) else { return value }
            guard let replaced = replacing(items[index], at: path.dropFirst(), with: transform) else { return value }
            items[index] = replaced
            return .array(items)
        default:
            return value
        }
    }

    private func outcome(_ record: DataValue) -> Result<LexiconValidationStatus, LexiconValidationError> {
        do {
            let registry = try LexiconRegistry.bundled
            return .success(
                try registry.validateRecord(collection: "app.bsky.feed.post", value: record, rkey: "3k2la3b4c5d6e"))
        } catch let error as LexiconValidationError {
            return .failure(error)
        } catch {
            return .failure(LexiconValidationError(.unresolvedReference, path: "", "\(error)"))
        }
    }

    private static func render(_ path: [String]) -> String { (["Record"] + path).joined(separator: "/") }

    @Test("a value of another kind anywhere is refused at exactly that place")
    func kindChanges() throws {
        let post = DataValue.map(LexiconRecordValidationTests.fullPost)
        #expect(
            try LexiconRegistry.bundled.validateRecord(
                collection: "app.bsky.feed.post", value: post, rkey: "3k2la3b4c5d6e") == .valid)
        var checked = 0
        for (node, parent) in Self.nodes(post) where node.path.last != "$type" {
            // A blob's fields are checked together: the error is at the blob.
            let expected = parent?.isBlob == true ? Self.render(parent?.path ?? []) : Self.render(node.path)
            for sample in Self.samples where Self.kind(sample) != Self.kind(node.value) {
                let mutated = try #require(Self.replacing(post, at: node.path[...], with: { _ in sample }))
                switch outcome(mutated) {
                case .success:
                    Issue.record("\(Self.render(node.path)) = \(sample.typeName) was accepted")
                case .failure(let error):
                    #expect(error.kind == .invalidData)
                    #expect(error.path == expected, "\(Self.render(node.path)) = \(sample.typeName): \(error)")
                }
                checked += 1
            }
        }
        #expect(checked > 300)
    }

    @Test("removing a field is refused at its parent, or accepted when the field is optional")
    func removals() throws {
        let post = DataValue.map(LexiconRecordValidationTests.fullPost)
        var refused = 0
        var accepted = 0
        for (node, parent) in Self.nodes(post)
        where parent.map({ if case .map = $0.value { true } else { false } }) == true {
            guard let parent, let key = node.path.last, !(parent.path.isEmpty && key == "$type") else { continue }
            let mutated = try #require(
                Self.replacing(
                    post, at: parent.path[...],
                    with: { value in
                        guard case .map(var map) = value else { return value }
                        map.removeValue(forKey: key)
                        return .map(map)
                    }))
            switch outcome(mutated) {
            case .success:
                accepted += 1
            case .failure(let error):
                refused += 1
                #expect(error.path == Self.render(parent.path), "removing \(Self.render(node.path)): \(error)")
            }
        }
        // text, createdAt, image, alt, features, index, byteStart... are required; langs, tags, reply... are not.
        #expect(refused > 10 && accepted > 5)
    }

    @Test("an unknown extra field is ignored everywhere except inside a blob")
    func extraFields() throws {
        let post = DataValue.map(LexiconRecordValidationTests.fullPost)
        let maps =
            [Node(path: [], value: post)]
            + Self.nodes(post).map(\.node).filter {
                if case .map = $0.value { true } else { false }
            }
        for node in maps {
            let mutated = try #require(
                Self.replacing(
                    post, at: node.path[...],
                    with: { value in
                        guard case .map(var map) = value else { return value }
                        map["extraField"] = .string("ignored")
                        return .map(map)
                    }))
            switch outcome(mutated) {
            case .success(let status):
                #expect(!node.isBlob, "an extra field in the blob at \(Self.render(node.path)) was accepted")
                #expect(status == .valid)
            case .failure(let error):
                #expect(node.isBlob, "extra field at \(Self.render(node.path)): \(error)")
                #expect(error.path == Self.render(node.path))
            }
        }
    }
}
