// MARK: - Diff

extension MST {
    /// The difference from `old` (nil: no previous tree) to `new`. Both trees are walked in key order
    /// together and a pair of subtrees with the same CID is skipped without being read, so the work is
    /// proportional to the changes times the tree height, not to the tree size.
    public static func diff(from old: MST?, to new: MST) throws(MSTError) -> MSTDiff {
        var result = MSTDiff()
        var a = Cursor(tree: old)
        var b = Cursor(tree: new)
        var removed: [CID: Bool] = [:]
        while true {
            switch (a.top, b.top) {
            case (nil, nil):
                for (cid, _) in removed where result.newNodes[cid] == nil { result.removedNodes.insert(cid) }
                for (cid, _) in removed { result.newNodes[cid] = nil }
                return result
            case (nil, .leaf(let entry)?):
                result.entries.append(MSTDiffEntry(key: String(decoding: entry.key, as: UTF8.self), old: nil, new: entry.value))
                b.pop()
            case (.leaf(let entry)?, nil):
                result.entries.append(MSTDiffEntry(key: String(decoding: entry.key, as: UTF8.self), old: entry.value, new: nil))
                a.pop()
            case (nil, .tree?):
                try b.expand { result.newNodes[$0.cid] = $0.bytes }
            case (.tree?, nil):
                try a.expand { removed[$0.cid] = true }
            case (.leaf(let x)?, .leaf(let y)?):
                let c = MSTKey.compare(x.key, y.key)
                if c == 0 {
                    if x.value != y.value {
                        result.entries.append(MSTDiffEntry(key: String(decoding: x.key, as: UTF8.self), old: x.value, new: y.value))
                    }
                    a.pop()
                    b.pop()
                } else if c < 0 {
                    result.entries.append(MSTDiffEntry(key: String(decoding: x.key, as: UTF8.self), old: x.value, new: nil))
                    a.pop()
                } else {
                    result.entries.append(MSTDiffEntry(key: String(decoding: y.key, as: UTF8.self), old: nil, new: y.value))
                    b.pop()
                }
            case (.tree(let x, let xLayer)?, .tree(let y, let yLayer)?):
                if x.cid == y.cid {
                    a.pop()
                    b.pop()
                } else {
                    let xl = xLayer ?? Int.max
                    let yl = yLayer ?? Int.max
                    if xl >= yl { try a.expand { removed[$0.cid] = true } }
                    if yl >= xl { try b.expand { result.newNodes[$0.cid] = $0.bytes } }
                }
            case (.tree?, .leaf?):
                try a.expand { removed[$0.cid] = true }
            case (.leaf?, .tree?):
                try b.expand { result.newNodes[$0.cid] = $0.bytes }
            }
        }
    }

    /// An in-order walk over one tree as a stack of pending items: subtrees not yet opened and keys.
    private struct Cursor {
        enum Item {
            case leaf(MSTEntry)
            /// A subtree and its layer (nil for a root not read yet).
            case tree(MSTLink, Int?)
        }

        let tree: MST?
        var stack: [Item]

        init(tree: MST?) {
            self.tree = tree
            self.stack = tree.map { [.tree($0.root, nil)] } ?? []
        }

        var top: Item? { stack.last }

        mutating func pop() { stack.removeLast() }

        /// Replaces the subtree on top by its items; reports the node opened.
        mutating func expand(_ opened: ((cid: CID, bytes: [UInt8])) -> Void) throws(MSTError) {
            guard let tree, case .tree(let link, let layer)? = stack.popLast() else { return }
            let node = try tree.load(link, layer: layer)
            opened(node.encoded)
            if layer == nil && node.isEmpty { return }
            let childLayer = node.layer - 1
            for entry in node.entries.reversed() {
                if let right = entry.right { stack.append(.tree(right, childLayer)) }
                stack.append(.leaf(entry))
            }
            if let left = node.left { stack.append(.tree(left, childLayer)) }
        }
    }
}
