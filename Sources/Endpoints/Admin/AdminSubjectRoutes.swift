import ATProto
import Foundation
import Hummingbird
import Storage

/// `com.atproto.admin.getSubjectStatus` and `updateSubjectStatus`: takedown (and deactivation) of an account
/// (`repoRef`), takedown of a record (`strongRef`) or a blob (`repoBlobRef`).
///
/// An account takedown revokes its sessions, is refused at login (`AccountTakedown`) and announced with
/// `#account {active: false, status: takendown}`; lifting it announces the account's status again. A record
/// takedown hides the record from getRecord and listRecords. A blob takedown quarantines its file (not served).
enum AdminSubjectRoutes {
    static let repoRefType = "com.atproto.admin.defs#repoRef"
    static let strongRefType = "com.atproto.repo.strongRef"
    static let repoBlobRefType = "com.atproto.admin.defs#repoBlobRef"

    static func add(to xrpc: XRPCRouter, services: PDSServices) {
        xrpc.query("com.atproto.admin.getSubjectStatus") { request, _ in
            try services.requireAdmin(request)
            let parameters = request.xrpcParameters
            let did = try parameters.string("did").map { value throws(XRPCError) in try AdminRoutes.validDID(value) }
            let notFound = XRPCError.invalidRequest("Subject not found", code: .notFound)
            if let blob = parameters.string("blob") {
                guard let did else { throw XRPCError.invalidRequest("Must provide a did to request blob state") }
                let cid = try parseCID(blob)
                guard let status = try await services.repos.blob(did: did, cid: cid) else { throw notFound }
                return StatusOutput(
                    subject: Subject(type: repoBlobRefType, did: did, cid: cid.string),
                    takedown: StatusAttr(status.takedownRef), deactivated: nil)
            }
            if let uri = parameters.string("uri") {
                let (did, collection, rkey) = try await recordPath(uri, services: services)
                guard let record = try await services.repos.record(did: did, collection: collection, rkey: rkey) else {
                    throw notFound
                }
                return StatusOutput(
                    subject: Subject(type: strongRefType, uri: uri, cid: record.cid.string),
                    takedown: StatusAttr(record.takedownRef), deactivated: nil)
            }
            guard let did else { throw XRPCError.invalidRequest("No provided subject") }
            guard let account = try await services.accounts.account(did: did) else { throw notFound }
            return StatusOutput(
                subject: Subject(type: repoRefType, did: did), takedown: StatusAttr(account.takedownRef),
                deactivated: StatusAttr(applied: account.deactivatedAt != nil))
        }

        xrpc.procedure("com.atproto.admin.updateSubjectStatus") { request, context in
            try services.requireAdmin(request)
            var request = request
            let input = try await request.decodeXRPCInput(UpdateInput.self, context: context)
            if input.takedown?.applied == true, input.deactivated?.applied == false {
                throw XRPCError.invalidRequest("Cannot activate and takedown an account at the same time")
            }
            let ref = input.takedown.map { $0.applied ? ($0.ref ?? Datetime.now()) : nil }
            switch try input.subject.kind() {
            case .repo(let did):
                try await updateAccount(did: did, takedownRef: ref, deactivated: input.deactivated?.applied, services: services)
            case .record(let uri):
                if let ref { try await updateRecord(uri: uri, takedownRef: ref, services: services) }
            case .blob(let did, let cid):
                if let ref { try await updateBlob(did: did, cid: cid, takedownRef: ref, services: services) }
            }
            return UpdateOutput(subject: input.subject, takedown: input.takedown)
        }
    }

    // MARK: Changes

    /// `takedownRef`: nil = no takedown change, `.some(nil)` = lift, `.some(ref)` = apply.
    static func updateAccount(did: String, takedownRef: String??, deactivated: Bool?, services: PDSServices) async throws {
        var changed = false
        if let takedownRef {
            guard let change = try await services.accounts.setTakedown(did: did, ref: takedownRef) else {
                throw AdminRoutes.accountNotFound(did)
            }
            services.accountMetrics.record(takedownRef == nil ? .untakendown : .takendown)
            AdminRoutes.log(
                takedownRef == nil ? "untakedown_account" : "takedown_account", did: did, services: services,
                ["status": "\(change.account.status ?? "active")"])
            changed = true
        }
        if let deactivated {
            guard let change = try await services.accounts.setDeactivated(did: did, deactivated) else {
                throw AdminRoutes.accountNotFound(did)
            }
            services.accountMetrics.record(deactivated ? .deactivated : .activated)
            AdminRoutes.log(
                deactivated ? "deactivate_account" : "activate_account", did: did, services: services,
                ["status": "\(change.account.status ?? "active")"])
            changed = true
        }
        if changed {
            await services.refreshAccountGauge()
        } else if try await services.accounts.announceStatus(did: did) == nil {
            throw AdminRoutes.accountNotFound(did)
        }
    }

    static func updateRecord(uri: String, takedownRef: String?, services: PDSServices) async throws {
        let (did, collection, rkey) = try await recordPath(uri, services: services)
        guard try await services.repos.setRecordTakedown(did: did, collection: collection, rkey: rkey, ref: takedownRef) != nil
        else { throw XRPCError.invalidRequest("Record not found: \(uri)", code: .notFound) }
        AdminRoutes.log(takedownRef == nil ? "untakedown_record" : "takedown_record", did: did, services: services, ["uri": "\(uri)"])
    }

    static func updateBlob(did: String, cid: CID, takedownRef: String?, services: PDSServices) async throws {
        let found =
            if let blobs = services.blobs {
                try await blobs.setTakedown(did: did, cid: cid, ref: takedownRef)
            } else {
                try await services.repos.setBlobTakedown(did: did, cid: cid, ref: takedownRef)
            }
        guard found else { throw XRPCError.invalidRequest("Blob not found: \(cid.string)", code: .notFound) }
        AdminRoutes.log(takedownRef == nil ? "untakedown_blob" : "takedown_blob", did: did, services: services, ["cid": "\(cid.string)"])
    }

    // MARK: Parsing

    static func parseCID(_ text: String) throws(XRPCError) -> CID {
        do {
            return try CID(string: text)
        } catch {
            throw XRPCError.invalidRequest("Invalid CID: \(text)")
        }
    }

    /// The DID, collection and record key of a record AT-URI (a handle authority is resolved to the local DID).
    static func recordPath(_ uri: String, services: PDSServices) async throws -> (String, String, String) {
        guard let parsed = try? ATURI(uri), let collection = parsed.collection, let rkey = parsed.rkey else {
            throw XRPCError.invalidRequest("Invalid record URI: \(uri)")
        }
        if let did = parsed.authority.did { return (did.string, collection.string, rkey.string) }
        guard let account = try await services.accounts.account(handle: parsed.authority.string) else {
            throw XRPCError.invalidRequest("Subject not found", code: .notFound)
        }
        return (account.did, collection.string, rkey.string)
    }

    // MARK: Input and output

    /// `{applied, ref?}`.
    struct StatusAttr: Codable, Sendable {
        var applied: Bool
        var ref: String?

        init(applied: Bool, ref: String? = nil) {
            self.applied = applied
            self.ref = ref
        }

        init(_ takedownRef: String?) {
            self.init(applied: takedownRef != nil, ref: takedownRef)
        }
    }

    /// The union `repoRef | strongRef | repoBlobRef`, echoed back as it came.
    struct Subject: Codable, Sendable {
        enum Kind {
            case repo(did: String)
            case record(uri: String)
            case blob(did: String, cid: CID)
        }

        var type: String?
        var did: String?
        var uri: String?
        var cid: String?
        var recordUri: String?

        enum CodingKeys: String, CodingKey {
            case type = "$type"
            case did, uri, cid, recordUri
        }

        init(type: String, did: String? = nil, uri: String? = nil, cid: String? = nil) {
            self.type = type
            self.did = did
            self.uri = uri
            self.cid = cid
        }

        /// Which subject this is: by `$type`, or by its fields when `$type` is missing.
        func kind() throws(XRPCError) -> Kind {
            let resolved =
                type
                ?? (uri != nil ? strongRefType : cid != nil ? repoBlobRefType : repoRefType)
            switch resolved {
            case repoRefType:
                guard let did else { throw XRPCError.invalidRequest("Input/subject must have the property \"did\"") }
                return .repo(did: try AdminRoutes.validDID(did, field: "subject.did"))
            case strongRefType:
                guard let uri, cid != nil else {
                    throw XRPCError.invalidRequest("Input/subject must have the properties \"uri\" and \"cid\"")
                }
                return .record(uri: uri)
            case repoBlobRefType:
                guard let did, let cid else {
                    throw XRPCError.invalidRequest("Input/subject must have the properties \"did\" and \"cid\"")
                }
                return .blob(did: try AdminRoutes.validDID(did, field: "subject.did"), cid: try parseCID(cid))
            default:
                throw XRPCError.invalidRequest("Invalid subject (\(resolved))")
            }
        }
    }

    struct UpdateInput: Decodable, Sendable {
        var subject: Subject
        var takedown: StatusAttr?
        var deactivated: StatusAttr?
    }

    struct UpdateOutput: Encodable, Sendable {
        var subject: Subject
        var takedown: StatusAttr?
    }

    struct StatusOutput: Encodable, Sendable {
        var subject: Subject
        var takedown: StatusAttr?
        var deactivated: StatusAttr?
    }
}
