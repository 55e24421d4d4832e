/// A Lexicon `permission-set` definition: a bundle of OAuth permissions (`specs/permission`).
public struct LexiconPermissionSet: Hashable, Sendable {
    public var title: String?
    /// Localized titles by language tag.
    public var titleLang: [String: String]
    public var detail: String?
    public var detailLang: [String: String]
    public var permissions: [LexiconPermission]

    public init(
        title: String? = nil, titleLang: [String: String] = [:], detail: String? = nil,
        detailLang: [String: String] = [:], permissions: [LexiconPermission]
    ) {
        self.title = title
        self.titleLang = titleLang
        self.detail = detail
        self.detailLang = detailLang
        self.permissions = permissions
    }
}
