/// Writes canonical DAG-CBOR into a growing byte array.
struct DAGCBOREncoder {
    var output: [UInt8]

    init(output: [UInt8] = []) {
        self.output = output
        if output.isEmpty { self.output.reserveCapacity(256) }
    }

    @inline(__always)
    mutating func head(_ major: UInt8, _ value: UInt64) {
        let m = major << 5
        switch value {
        case 0..<24:
            output.append(m | UInt8(truncatingIfNeeded: value))
        case 24..<0x100:
            output.append(m | 24)
            output.append(UInt8(truncatingIfNeeded: value))
        case 0x100..<0x1_0000:
            output.append(m | 25)
            output.append(UInt8(truncatingIfNeeded: value >> 8))
            output.append(UInt8(truncatingIfNeeded: value))
        case 0x1_0000..<0x1_0000_0000:
            output.append(m | 26)
            output.append(UInt8(truncatingIfNeeded: value >> 24))
            output.append(UInt8(truncatingIfNeeded: value >> 16))
            output.append(UInt8(truncatingIfNeeded: value >> 8))
            output.append(UInt8(truncatingIfNeeded: value))
        default:
            output.append(m | 27)
            var shift: UInt64 = 56
            while true {
                output.append(UInt8(truncatingIfNeeded: value >> shift))
                if shift == 0 { break }
                shift -= 8
            }
        }
    }

    @inline(__always)
    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            head(3, UInt64(utf8.count))
            output.append(contentsOf: utf8)
        }
    }

    mutating func encode(_ value: DataValue) {
        switch value {
        case .null:
            output.append(0xf6)
        case .bool(let b):
            output.append(b ? 0xf5 : 0xf4)
        case .int(let i):
            if i >= 0 {
                head(0, UInt64(i))
            } else {
                head(1, UInt64(bitPattern: -1 - i))
            }
        case .string(let s):
            string(s)
        case .bytes(let b):
            head(2, UInt64(b.count))
            output.append(contentsOf: b)
        case .link(let cid):
            output.append(0xd8)
            output.append(42)
            head(2, UInt64(cid.bytes.count + 1))
            output.append(0)
            output.append(contentsOf: cid.bytes)
        case .array(let items):
            head(4, UInt64(items.count))
            for item in items { encode(item) }
        case .map(let map):
            head(5, UInt64(map.count))
            if map.count == 1, let (key, item) = map.first {
                string(key)
                encode(item)
                return
            }
            for (key, item) in map.sorted(by: { DAGCBOREncoder.keyPrecedes($0.key, $1.key) }) {
                string(key)
                encode(item)
            }
        }
    }

    /// Canonical map key order: shorter UTF-8 first, then bytewise.
    @inline(__always)
    static func keyPrecedes(_ a: String, _ b: String) -> Bool {
        let ac = a.utf8.count
        let bc = b.utf8.count
        if ac != bc { return ac < bc }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}

extension DataValue {
    /// The canonical DAG-CBOR bytes of this value.
    public var dagCBOR: [UInt8] { DAGCBOR.encode(self) }

    /// The dag-cbor CID of this value.
    public var cid: CID { CID.dagCBOR(hashing: DAGCBOR.encode(self)) }
}
