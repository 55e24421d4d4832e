extension XRPCError.Code {
    public static let invalidHandle: Self = "InvalidHandle"
    public static let unsupportedDomain: Self = "UnsupportedDomain"
    public static let handleNotAvailable: Self = "HandleNotAvailable"
    public static let handleNotFound: Self = "HandleNotFound"
    public static let invalidEmail: Self = "InvalidEmail"
    public static let invalidPassword: Self = "InvalidPassword"
    public static let invalidInviteCode: Self = "InvalidInviteCode"
    public static let incompatibleDidDoc: Self = "IncompatibleDidDoc"
}
