import ATProto
import Hummingbird
import Storage

/// `app.bsky.actor.getPreferences` and `putPreferences`, stored in `account_pref` (the reference's checks: each
/// preference needs a `$type` under `app.bsky`; `personalDetailsPref` is read and written by full sessions only,
/// and a limited session's put leaves it in place).
enum PreferencesRoutes {
    static let namespace = "app.bsky"
    static let personalDetails = "app.bsky.actor.defs#personalDetailsPref"

    static func add(to xrpc: XRPCRouter, services: PDSServices) {
        xrpc.query("app.bsky.actor.getPreferences") { request, _ in
            let caller = try await services.requireAccess(request, allowDeactivated: true)
            let stored = try await services.accounts.preferences(did: caller.did, namespace: namespace)
            var values: [DataValue] = []
            for preference in stored where caller.isFullAccess || preference.name != personalDetails {
                do {
                    values.append(try AtprotoJSON.parse(preference.json))
                } catch {
                    throw StorageError(.corrupt, "stored preference \(preference.name) of \(caller.did) is not JSON: \(error)")
                }
            }
            return try RepoJSON.response(.map(["preferences": .array(values)]))
        }

        xrpc.procedure("app.bsky.actor.putPreferences") { request, context in
            let caller = try await services.requireAccess(request, allowDeactivated: true)
            var request = request
            let input = try await JSONObjectInput.read(&request, context: context)
            var values: [AccountStore.Preference] = []
            for (index, item) in try input.requiredArray("preferences").enumerated() {
                guard case .map(let fields) = item else {
                    throw XRPCError.invalidRequest("Input/preferences/\(index) must be an object")
                }
                guard case .string(let type)? = fields["$type"], !type.isEmpty else {
                    throw XRPCError.invalidRequest("Preference is missing a $type")
                }
                guard AccountStore.name(type, isIn: namespace) else {
                    throw XRPCError.invalidRequest("Some preferences are not in the \(namespace) namespace")
                }
                if type == personalDetails, !caller.isFullAccess {
                    throw XRPCError.invalidRequest("Do not have authorization to set preferences.")
                }
                values.append(.init(name: type, json: AtprotoJSON.serializeString(item)))
            }
            try await services.accounts.putPreferences(
                did: caller.did, namespace: namespace, values, keeping: caller.isFullAccess ? [] : [personalDetails])
            return Response(status: .ok)
        }
    }
}
