import ArgumentParser
import Foundation

/// `pds invite ...`: invite codes of a running server through its admin API.
struct InviteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invite",
        abstract: "Manage invite codes of a running server (admin API).",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create invite codes and print them, one per line.",
            discussion: "Exit status: 0 done, 1 the server refused or failed, 64 bad usage, 69 server unreachable, 78 configuration problem."
        )

        @OptionGroup var options: AdminOptions
        @Option(help: ArgumentHelp("How many accounts each code may create.", valueName: "n"))
        var uses = 1
        @Option(help: ArgumentHelp("How many codes to create (for each --for account).", valueName: "n"))
        var count = 1
        @Option(name: .customLong("for"), help: ArgumentHelp("DID the codes are for (repeatable; default: admin).", valueName: "did"))
        var forAccounts: [String] = []

        func validate() throws {
            guard uses >= 1 else { throw ValidationError("--uses must be at least 1") }
            guard (1...1000).contains(count) else { throw ValidationError("--count must be between 1 and 1000") }
        }

        func run() async throws {
            try await options.run { client throws(AdminCommandError) in
                var body: [String: Any] = ["useCount": uses, "codeCount": count]
                if !forAccounts.isEmpty { body["forAccounts"] = forAccounts }
                let answer = try await client.procedure("com.atproto.server.createInviteCodes", body)
                if options.json {
                    options.printJSON(answer)
                    return
                }
                let groups = answer["codes"] as? [[String: Any]] ?? []
                for group in groups {
                    for code in group["codes"] as? [String] ?? [] { print(code) }
                }
            }
        }
    }
}
