// MARK: - Effective values by key (for check-config and docs)

extension PDSConfig {
    /// The effective value of `key` (defaults and derived values included), or nil when unset.
    func value(for key: ConfigKey) -> TOMLValue? {
        switch key {
        case .hostname: .string(hostname)
        case .port: .integer(port)
        case .bindAddress: .string(bindAddress)
        case .serviceDID: .string(effectiveServiceDID)
        case .inviteRequired: .boolean(inviteRequired)
        case .serviceHandleDomains: .stringArray(effectiveServiceHandleDomains)
        case .blobUploadLimit: .integer(blobUploadLimit)
        case .contactEmail: contactEmail.map(TOMLValue.string)
        case .privacyPolicyURL: privacyPolicyURL.map(TOMLValue.string)
        case .termsOfServiceURL: termsOfServiceURL.map(TOMLValue.string)
        case .shutdownGraceSeconds: .integer(shutdownGraceSeconds)
        case .dataDirectory: .string(dataDirectory)
        case .diskFreeFloorBytes: .integer(diskFreeFloorBytes)
        case .jwtSecret: jwtSecret.map(TOMLValue.string)
        case .adminPassword: adminPassword.map(TOMLValue.string)
        case .plcRotationKey: plcRotationKeyHex.map(TOMLValue.string)
        case .didPLCURL: .string(didPLCURL)
        case .emailSendmailPath: emailSendmailPath.map(TOMLValue.string)
        case .emailFromAddress: emailFromAddress.map(TOMLValue.string)
        case .appViewURL: .string(effectiveAppView?.url ?? "none")
        case .appViewDID: effectiveAppView.map { .string($0.did) }
        case .reportServiceURL: .string(effectiveReportService?.url ?? "none")
        case .reportServiceDID: effectiveReportService.map { .string($0.did) }
        case .crawlers: .stringArray(crawlers)
        case .firehoseRetentionHours: .integer(firehoseRetentionHours)
        case .firehoseOutboxEvents: .integer(firehoseOutboxEvents)
        case .blobGCGraceHours: .integer(blobGCGraceHours)
        case .backupDirectory: backupDirectory.map(TOMLValue.string)
        case .backupIntervalHours: .integer(backupIntervalHours)
        case .backupKeep: .integer(backupKeep)
        case .rateLimitsEnabled: .boolean(rateLimitsEnabled)
        case .rateLimitBypassKey: rateLimitBypassKey.map(TOMLValue.string)
        case .rateLimitBypassIPs: .stringArray(rateLimitBypassIPs)
        case .trustForwardedFor: .boolean(trustForwardedFor)
        case .logLevel: .string(logLevel.rawValue)
        case .logFormat: .string(logFormat)
        case .acceptingRepoImports: .boolean(acceptingRepoImports)
        case .maxRepoImportSize: .integer(maxRepoImportSize)
        default: nil
        }
    }
}

extension TOMLValue {
    /// TOML source text for this value.
    var tomlText: String {
        switch self {
        case .string(let s): Self.quote(s)
        case .integer(let n): String(n)
        case .boolean(let b): b ? "true" : "false"
        case .stringArray(let items): "[" + items.map(Self.quote).joined(separator: ", ") + "]"
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
