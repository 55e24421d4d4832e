import ArgumentParser
import Foundation

/// `pds account ...`: manage the accounts of a running server through its admin API.
struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "Manage the accounts of a running server (admin API).",
        discussion: """
            Talks to the server at --url (default http://127.0.0.1:<configured port>) with the admin password \
            of the same configuration `pds serve` reads (--config, --data-dir, PDS_ADMIN_PASSWORD). Accounts \
            are named by DID or handle. Exit status: 0 done, 1 the server refused or failed, 64 bad usage, \
            69 server unreachable, 78 configuration problem.
            """,
        subcommands: [Create.self, List.self, Info.self, Takedown.self, Untakedown.self, Delete.self, ResetPassword.self]
    )
}

extension AccountCommand {
    /// The DID of `identifier`: itself when it is a DID, else the handle resolved by the server.
    static func did(_ identifier: String, client: AdminClient) async throws(AdminCommandError) -> String {
        if identifier.hasPrefix("did:") { return identifier }
        guard identifier.contains(".") else {
            throw AdminCommandError.usage("\(identifier) is neither a DID nor a handle")
        }
        do throws(AdminCommandError) {
            let answer = try await client.query(
                "com.atproto.identity.resolveHandle", [("handle", identifier.lowercased())], admin: false)
            guard let did = answer["did"] as? String else {
                throw AdminCommandError(exitCode: AdminCommandError.failure, message: "the server did not resolve \(identifier)")
            }
            return did
        } catch {
            guard error.exitCode == AdminCommandError.failure else { throw error }
            throw AdminCommandError(
                exitCode: AdminCommandError.failure,
                message: "no account with handle \(identifier) (a taken-down account is named by its DID)")
        }
    }

    /// A random password of 24 characters for accounts created or reset without one.
    static func generatePassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<24).map { _ in alphabet.randomElement(using: &generator)! })
    }

    static func status(_ account: [String: Any]) -> String {
        account["status"] as? String ?? "active"
    }

    // MARK: create

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account (with a fresh single-use invite code when the server needs one and --invite is not given).")

        @OptionGroup var options: AdminOptions
        @Option(help: ArgumentHelp("Handle, under one of the server's handle domains.", valueName: "handle"))
        var handle: String
        @Option(help: ArgumentHelp("Email address.", valueName: "email"))
        var email: String
        @Option(help: ArgumentHelp("Password (default: a generated one, printed once).", valueName: "password"))
        var password: String?
        @Option(help: ArgumentHelp("Invite code to use.", valueName: "code"))
        var invite: String?

        func run() async throws {
            try await options.run { client throws(AdminCommandError) in
                var input: [String: Any] = ["handle": handle, "email": email]
                if let invite {
                    input["inviteCode"] = invite
                } else if try await client.query("com.atproto.server.describeServer", admin: false)["inviteCodeRequired"] as? Bool != false {
                    let created = try await client.procedure("com.atproto.server.createInviteCode", ["useCount": 1])
                    guard let value = created["code"] as? String else {
                        throw AdminCommandError(exitCode: AdminCommandError.failure, message: "the server made no invite code")
                    }
                    input["inviteCode"] = value
                }
                let chosen = password ?? AccountCommand.generatePassword()
                input["password"] = chosen
                let answer = try await client.procedure("com.atproto.server.createAccount", input, admin: false)
                let did = answer["did"] as? String ?? ""
                let result: [(String, String?)] = [
                    ("did", did), ("handle", answer["handle"] as? String ?? handle), ("email", email),
                    ("password", password == nil ? chosen : nil),
                ]
                options.printPairs(result)
            }
        }
    }

    // MARK: list

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every account with its status.")

        @OptionGroup var options: AdminOptions

        func run() async throws {
            try await options.run { client throws(AdminCommandError) in
                var accounts: [[String: Any]] = []
                var cursor: String?
                repeat {
                    var parameters = [("limit", "1000")]
                    if let cursor { parameters.append(("cursor", cursor)) }
                    let page = try await client.query("com.swiftpds.admin.listAccounts", parameters)
                    accounts += page["accounts"] as? [[String: Any]] ?? []
                    cursor = page["cursor"] as? String
                } while cursor != nil
                if options.json {
                    options.printJSON(accounts)
                    return
                }
                let rows = accounts.map { account in
                    [
                        account["did"] as? String ?? "", account["handle"] as? String ?? "",
                        account["email"] as? String ?? "-", AccountCommand.status(account),
                        account["indexedAt"] as? String ?? "",
                    ]
                }
                print(TextTable.render(header: ["DID", "HANDLE", "EMAIL", "STATUS", "CREATED"], rows: rows), terminator: "")
            }
        }
    }

    // MARK: info

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one account: identity, status, invites.")

        @OptionGroup var options: AdminOptions
        @Argument(help: ArgumentHelp("DID or handle.", valueName: "account"))
        var account: String

        func run() async throws {
            try await options.run { client throws(AdminCommandError) in
                let did = try await AccountCommand.did(account, client: client)
                let info = try await client.query("com.atproto.admin.getAccountInfo", [("did", did)])
                let subject = try await client.query("com.atproto.admin.getSubjectStatus", [("did", did)])
                if options.json {
                    options.printJSON(["account": info, "subjectStatus": subject])
                    return
                }
                let takedown = subject["takedown"] as? [String: Any]
                let invites = info["invites"] as? [[String: Any]] ?? []
                let invitedBy = (info["invitedBy"] as? [String: Any])?["code"] as? String
                print(
                    TextTable.keyValues([
                        ("did", did), ("handle", info["handle"] as? String), ("email", info["email"] as? String),
                        ("email confirmed", info["emailConfirmedAt"] as? String ?? "no"),
                        ("created", info["indexedAt"] as? String), ("status", AccountCommand.status(info)),
                        ("takedown ref", (takedown?["applied"] as? Bool == true) ? takedown?["ref"] as? String : nil),
                        ("deactivated", info["deactivatedAt"] as? String),
                        ("invited by", invitedBy),
                        ("invite codes", "\(invites.count)"),
                        ("invites disabled", (info["invitesDisabled"] as? Bool == true) ? "yes" : "no"),
                    ]), terminator: "")
            }
        }
    }

    // MARK: takedown, untakedown

    /// Sets or lifts an account's takedown and prints the resulting status.
    static func setTakedown(_ identifier: String, applied: Bool, ref: String?, options: AdminOptions) async throws {
        try await options.run { client throws(AdminCommandError) in
            let did = try await AccountCommand.did(identifier, client: client)
            var takedown: [String: Any] = ["applied": applied]
            if let ref { takedown["ref"] = ref }
            let answer = try await client.procedure(
                "com.atproto.admin.updateSubjectStatus",
                ["subject": ["$type": "com.atproto.admin.defs#repoRef", "did": did], "takedown": takedown])
            if options.json {
                options.printJSON(answer)
            } else {
                print(applied ? "taken down: \(did)" : "takedown lifted: \(did)")
            }
        }
    }

    struct Takedown: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take an account down: sessions revoked, login refused, repository no longer served.")

        @OptionGroup var options: AdminOptions
        @Argument(help: ArgumentHelp("DID or handle.", valueName: "account"))
        var account: String
        @Option(help: ArgumentHelp("Reference recorded with the takedown (default: the current time).", valueName: "ref"))
        var ref: String?

        func run() async throws {
            try await AccountCommand.setTakedown(account, applied: true, ref: ref, options: options)
        }
    }

    struct Untakedown: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift an account's takedown.")

        @OptionGroup var options: AdminOptions
        @Argument(help: ArgumentHelp("DID (a taken-down account's handle does not resolve).", valueName: "account"))
        var account: String

        func run() async throws {
            try await AccountCommand.setTakedown(account, applied: false, ref: nil, options: options)
        }
    }

    // MARK: delete

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an account with its repository, blobs and sessions (cannot be undone).")

        @OptionGroup var options: AdminOptions
        @Argument(help: ArgumentHelp("DID or handle.", valueName: "account"))
        var account: String
        @Flag(help: "Confirm the deletion (required).")
        var yes = false

        func run() async throws {
            try await options.run { client throws(AdminCommandError) in
                guard yes else { throw AdminCommandError.usage("deleting \(account) cannot be undone: add --yes to confirm") }
                let did = try await AccountCommand.did(account, client: client)
                _ = try await client.procedure("com.atproto.admin.deleteAccount", ["did": did])
                if options.json {
                    options.printJSON(["did": did, "deleted": true])
                } else {
                    print("deleted: \(did)")
                }
            }
        }
    }

    // MARK: reset-password

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Set a new password (generated unless --password is given); the account's sessions end.")

        @OptionGroup var options: AdminOptions
        @Argument(help: ArgumentHelp("DID or handle.", valueName: "account"))
        var account: String
        @Option(help: ArgumentHelp("The new password (default: a generated one, printed once).", valueName: "password"))
        var password: String?

        func run() async throws {
            try await options.run { client throws(AdminCommandError) in
                let did = try await AccountCommand.did(account, client: client)
                let chosen = password ?? AccountCommand.generatePassword()
                _ = try await client.procedure("com.atproto.admin.updateAccountPassword", ["did": did, "password": chosen])
                let result: [(String, String?)] = [("did", did), ("password", password == nil ? chosen : nil)]
                options.printPairs(result)
            }
        }
    }
}
