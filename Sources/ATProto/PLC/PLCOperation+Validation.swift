extension PLCOperation {
    /// Checks the rules the PLC directory applies to new operations: 1 to 5 distinct rotation keys, every
    /// key a parseable k256 or p256 `did:key`, names without `#`, non-empty service fields, `prev` a
    /// dag-cbor CID string. (Historic operations in audit logs may break some of these; parsing does not
    /// apply them.)
    public func validate() throws(PLCError) {
        guard (1...PLC.maxRotationKeys).contains(rotationKeys.count) else {
            throw PLCError(.invalidOperation, "rotationKeys must hold 1 to \(PLC.maxRotationKeys) keys, got \(rotationKeys.count)")
        }
        guard Set(rotationKeys).count == rotationKeys.count else {
            throw PLCError(.invalidOperation, "rotationKeys contains a duplicate key")
        }
        for (index, key) in rotationKeys.enumerated() {
            do {
                _ = try PublicKey(didKey: key)
            } catch {
                throw PLCError(.invalidOperation, "rotationKeys[\(index)] is not a valid did:key: \(error)")
            }
        }
        for (name, key) in verificationMethods {
            try Self.checkName(name, in: "verificationMethods")
            do {
                _ = try PublicKey(didKey: key)
            } catch {
                throw PLCError(.invalidOperation, "verificationMethods[\"\(name)\"] is not a valid did:key: \(error)")
            }
        }
        for (index, alias) in alsoKnownAs.enumerated() where alias.isEmpty {
            throw PLCError(.invalidOperation, "alsoKnownAs[\(index)] is empty")
        }
        for (name, service) in services {
            try Self.checkName(name, in: "services")
            guard !service.type.isEmpty, !service.endpoint.isEmpty else {
                throw PLCError(.invalidOperation, "services[\"\(name)\"] needs a non-empty type and endpoint")
            }
        }
        if let prev {
            let cid: CID
            do {
                cid = try CID(string: prev)
            } catch {
                throw PLCError(.invalidOperation, "prev is not a CID string: \(error)")
            }
            guard cid.codec == CID.dagCBORCodec, cid.isBlessed else {
                throw PLCError(.invalidOperation, "prev must be a dag-cbor sha-256 CID, got \(prev)")
            }
        }
    }

    private static func checkName(_ name: String, in field: String) throws(PLCError) {
        guard !name.isEmpty, !name.hasPrefix("#") else {
            throw PLCError(.invalidOperation, "\(field) names must be non-empty and not start with '#', got \"\(name)\"")
        }
    }
}
