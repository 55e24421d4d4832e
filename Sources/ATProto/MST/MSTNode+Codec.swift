/// Node blocks: `{e: [{k, p, t, v}], l}` in canonical DAG-CBOR, keys prefix-compressed.
extension MSTNode {
    /// Most entries accepted in one node read from storage (guards against key-mining blow-ups).
    public static let maxEntries = 4096

    // MARK: Encoding

    func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + entries.count * 100)
        out.append(0xa2)  // map(2)
        out.append(contentsOf: [0x61, 0x65])  // "e"
        Self.head(4, UInt64(entries.count), into: &out)
        var previous: [UInt8] = []
        for entry in entries {
            let prefix = MSTKey.commonPrefixLength(previous, entry.key)
            out.append(0xa4)  // map(4)
            out.append(contentsOf: [0x61, 0x6b])  // "k"
            Self.head(2, UInt64(entry.key.count - prefix), into: &out)
            out.append(contentsOf: entry.key[prefix...])
            out.append(contentsOf: [0x61, 0x70])  // "p"
            Self.head(0, UInt64(prefix), into: &out)
            out.append(contentsOf: [0x61, 0x74])  // "t"
            Self.link(entry.right?.cid, into: &out)
            out.append(contentsOf: [0x61, 0x76])  // "v"
            Self.link(entry.value, into: &out)
            previous = entry.key
        }
        out.append(contentsOf: [0x61, 0x6c])  // "l"
        Self.link(left?.cid, into: &out)
        return out
    }

    private static func head(_ major: UInt8, _ value: UInt64, into out: inout [UInt8]) {
        let m = major << 5
        switch value {
        case 0..<24:
            out.append(m | UInt8(value))
        case 24..<0x100:
            out.append(m | 24)
            out.append(UInt8(value))
        case 0x100..<0x1_0000:
            out.append(m | 25)
            out.append(UInt8(value >> 8))
            out.append(UInt8(truncatingIfNeeded: value))
        case 0x1_0000..<0x1_0000_0000:
            out.append(m | 26)
            for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        default:
            out.append(m | 27)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
    }

    private static func link(_ cid: CID?, into out: inout [UInt8]) {
        guard let cid else {
            out.append(0xf6)
            return
        }
        out.append(contentsOf: [0xd8, 0x2a])  // tag(42)
        head(2, UInt64(cid.bytes.count + 1), into: &out)
        out.append(0)
        out.append(contentsOf: cid.bytes)
    }

    // MARK: Decoding

    /// Decodes and checks a node block. `layer` is the expected layer (nil for a root, whose layer is its
    /// first key's height). Checks: shape and field types, key syntax, strictly increasing keys, every key at
    /// the node's layer, no subtrees at layer 0, no empty non-root node, entry count.
    static func decode(_ bytes: [UInt8], cid: CID, layer expected: Int?) throws(MSTError) -> MSTNode {
        let value: DataValue
        do {
            value = try DAGCBOR.decode(bytes)
        } catch {
            throw MSTError(.malformedNode, "node is not DAG-CBOR: \(error)", cid: cid)
        }
        guard case .map(let map) = value else {
            throw MSTError(.malformedNode, "node is a \(value.typeName), not a map", cid: cid)
        }
        guard map.count == 2, let e = map["e"], let l = map["l"] else {
            throw MSTError(.malformedNode, "node must have exactly the fields e and l, has \(map.keys.sorted())", cid: cid)
        }
        guard case .array(let rawEntries) = e else {
            throw MSTError(.malformedNode, "node field e is a \(e.typeName), not an array", cid: cid)
        }
        guard rawEntries.count <= maxEntries else {
            throw MSTError(.invalidStructure, "node has \(rawEntries.count) entries, limit \(maxEntries)", cid: cid)
        }
        let leftCID = try optionalLink(l, field: "l", cid: cid)

        var entries: [MSTEntry] = []
        entries.reserveCapacity(rawEntries.count)
        var previous: [UInt8] = []
        var rawRights: [CID?] = []
        for (index, raw) in rawEntries.enumerated() {
            guard case .map(let fields) = raw, fields.count == 4,
                let k = fields["k"], let p = fields["p"], let t = fields["t"], let v = fields["v"]
            else {
                throw MSTError(.malformedNode, "entry \(index) must be a map with exactly k, p, t, v", cid: cid)
            }
            guard case .bytes(let suffix) = k else {
                throw MSTError(.malformedNode, "entry \(index) field k is a \(k.typeName), not bytes", cid: cid)
            }
            guard case .int(let prefix) = p, prefix >= 0, prefix <= previous.count else {
                throw MSTError(.malformedNode, "entry \(index) prefix length \(p) is not an integer within the previous key", cid: cid)
            }
            if index == 0 && prefix != 0 {
                throw MSTError(.malformedNode, "first entry has prefix length \(prefix), must be 0", cid: cid)
            }
            guard case .link(let valueCID) = v else {
                throw MSTError(.malformedNode, "entry \(index) field v is a \(v.typeName), not a link", cid: cid)
            }
            let rightCID = try optionalLink(t, field: "t", cid: cid)
            let key = Array(previous[0..<Int(prefix)]) + suffix
            do {
                try MSTKey.validate(key)
            } catch {
                throw MSTError(.invalidStructure, "entry \(index): \(error.message)", cid: cid)
            }
            if index > 0 {
                // Compression must be maximal for the encoding to be canonical.
                guard MSTKey.commonPrefixLength(previous, key) == Int(prefix) else {
                    throw MSTError(.malformedNode, "entry \(index) prefix length \(prefix) is not the shared prefix", cid: cid)
                }
                guard MSTKey.compare(previous, key) < 0 else {
                    throw MSTError(.invalidStructure, "keys not sorted: \(MSTKey.describe(key)) after \(MSTKey.describe(previous))", cid: cid)
                }
            }
            entries.append(MSTEntry(key: key, value: valueCID, right: rightCID.map(MSTLink.stored)))
            rawRights.append(rightCID)
            previous = key
        }

        let layer: Int
        if let first = entries.first {
            layer = MSTKey.height(first.key)
            if let expected, expected != layer {
                throw MSTError(.invalidStructure, "node keys have height \(layer) but the node sits at layer \(expected)", cid: cid)
            }
            for entry in entries.dropFirst() {
                let h = MSTKey.height(entry.key)
                guard h == layer else {
                    throw MSTError(.invalidStructure, "key \(MSTKey.describe(entry.key)) has height \(h) in a layer \(layer) node", cid: cid)
                }
            }
        } else if let expected {
            guard leftCID != nil else {
                throw MSTError(.invalidStructure, "empty node below the root", cid: cid)
            }
            layer = expected
        } else {
            guard leftCID == nil else {
                throw MSTError(.invalidStructure, "root node has no keys but a subtree (the top must be trimmed)", cid: cid)
            }
            layer = 0
        }
        if layer == 0 && (leftCID != nil || rawRights.contains(where: { $0 != nil })) {
            throw MSTError(.invalidStructure, "layer 0 node has a subtree", cid: cid)
        }
        return MSTNode(layer: layer, left: leftCID.map(MSTLink.stored), entries: entries, cid: cid, bytes: bytes)
    }

    private static func optionalLink(_ value: DataValue, field: String, cid: CID) throws(MSTError) -> CID? {
        switch value {
        case .null: return nil
        case .link(let link): return link
        default: throw MSTError(.malformedNode, "field \(field) is a \(value.typeName), not a link or null", cid: cid)
        }
    }
}
