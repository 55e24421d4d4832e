/// did:plc audit-log entries from the did-method-plc interop tests (`interop_tests/audit_log/`, copied
/// there from go-didplc's testdata): real operations with the DID and CIDs the PLC directory computed.
enum PLCVectors {
    struct Entry {
        let did: String
        let cid: String
        let operationJSON: String
    }

    /// `valid/log_bskyapp.json`: genesis and one update of did:plc:z72i7hdynmk6r22z27h6tvur (bsky.app).
    static let bskyApp: [Entry] = [
        Entry(
            did: "did:plc:z72i7hdynmk6r22z27h6tvur",
            cid: "bafyreigp6shzy6dlcxuowwoxz7u5nemdrkad2my5zwzpwilcnhih7bw6zm",
            operationJSON: """
                {"sig":"9NuYV7AqwHVTc0YuWzNV3CJafsSZWH7qCxHRUIP2xWlB-YexXC1OaYAnUayiCXLVzRQ8WBXIqF-SvZdNalwcjA",\
                "prev":null,"type":"plc_operation",\
                "services":{"atproto_pds":{"type":"AtprotoPersonalDataServer","endpoint":"https://bsky.social"}},\
                "alsoKnownAs":["at://bluesky-team.bsky.social"],\
                "rotationKeys":["did:key:zQ3shhCGUqDKjStzuDxPkTxN6ujddP4RkEKJJouJGRRkaLGbg",\
                "did:key:zQ3shpKnbdPx3g3CmPf5cRVTPe1HtSwVn5ish3wSnDPQCbLJK"],\
                "verificationMethods":{"atproto":"did:key:zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"}}
                """
        ),
        Entry(
            did: "did:plc:z72i7hdynmk6r22z27h6tvur",
            cid: "bafyreihmuvr3frdvd6vmdhucih277prdcfcezf67lasg5oekxoimnunjoq",
            operationJSON: """
                {"sig":"1mEWzRtFOgeRXH-YCSPTxb990JOXxa__n8Qw6BOKl7Ndm6OFFmwYKiiMqMCpAbxpnGjF5abfIsKc7u3a77Cbnw",\
                "prev":"bafyreigp6shzy6dlcxuowwoxz7u5nemdrkad2my5zwzpwilcnhih7bw6zm","type":"plc_operation",\
                "services":{"atproto_pds":{"type":"AtprotoPersonalDataServer","endpoint":"https://bsky.social"}},\
                "alsoKnownAs":["at://bsky.app"],\
                "rotationKeys":["did:key:zQ3shhCGUqDKjStzuDxPkTxN6ujddP4RkEKJJouJGRRkaLGbg",\
                "did:key:zQ3shpKnbdPx3g3CmPf5cRVTPe1HtSwVn5ish3wSnDPQCbLJK"],\
                "verificationMethods":{"atproto":"did:key:zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"}}
                """
        ),
    ]

    /// Genesis operations whose signature atproto must reject (`invalid/log_invalid_sig_*.json`).
    /// The DID and CID are still those of the signed bytes.
    static let invalidSignatures: [(name: String, entry: Entry)] = [
        (
            "k256_high_s",
            Entry(
                did: "did:plc:t63fj6hb7mahe7qcvgbqhdnk",
                cid: "bafyreie7wzkpryp3abzh4avjqmby3kuznuz3dwlqqgyfui25pecveba5oe",
                operationJSON: """
                    {"type":"plc_operation",\
                    "rotationKeys":["did:key:zQ3shTBEaSruX6DJNAH3W9Weu95PYwrdQvmrHCSW9bLLZXrnw"],\
                    "verificationMethods":{},"alsoKnownAs":["at://high_s_k256"],"services":{},"prev":null,\
                    "sig":"cDdgXcFwiJFhTzUyEhmvG4uCqy_UEqTXiWN29O3CiMXtfPnNo7Mg_BsK1iv4VBt010RwJg5mnDOK20T6m8ltDw"}
                    """
            )
        ),
        (
            "p256_high_s",
            Entry(
                did: "did:plc:svbmkmqgxdr4i5cnt5y5lq5h",
                cid: "bafyreievilctebvy4pchitm7ohk4hj2tfuzcouax6gnx7obc5mp5unwvea",
                operationJSON: """
                    {"type":"plc_operation",\
                    "rotationKeys":["did:key:zDnaefqvvRQsME5c7LvxdghHeARNWEFbg2PfrAYiHhKVf9rH9"],\
                    "verificationMethods":{},"alsoKnownAs":["at://high_s_p256"],"services":{},"prev":null,\
                    "sig":"v5pzK205KUu88-3lrYRoLmw_3TJL0xK3uCNUJXged7zEEjAQcndRh4rlglwVeMQa_UH-3XArH1Oh5T_3QGLzbg"}
                    """
            )
        ),
        (
            "der",
            Entry(
                did: "did:plc:ru3i4kqbprtzmfydm3vmn57w",
                cid: "bafyreieng2hcual4m6lboa3g5ldpp5xuh4jgvsvoi6zvtwwkmgk5ta2lea",
                operationJSON: """
                    {"sig":"MD4CHRiHVHmnqoitzAIq5NZXEkmBbtbfayatOLATwgsOAh1OFK0fSdkgNJGXpMkXMumSu0smNfVZPzElCm1jkA",\
                    "prev":null,"type":"plc_operation",\
                    "services":{"atproto_pds":{"type":"AtprotoPersonalDataServer",\
                    "endpoint":"https://mrSTdKI0ilD_bR23p5wCOfKGUSsbOSnI.example.com"}},\
                    "alsoKnownAs":["at://merry.xmas.from.retr0.id"],\
                    "rotationKeys":["did:key:zQ3shaTh3deVkniqT1r413817rJ3JDvTG61bzGX13dSwCkvGC"],\
                    "verificationMethods":{"atproto":"did:key:zQ3shaTh3deVkniqT1r413817rJ3JDvTG61bzGX13dSwCkvGC"}}
                    """
            )
        ),
        (
            "b64_padding_chars",
            Entry(
                did: "did:plc:vllxembwgplesifkkab6dopf",
                cid: "bafyreifk25zdanrt2zesbksqapq3tzpxbxukaihb5sthlaljably6hfgoe",
                operationJSON: """
                    {"type":"plc_operation",\
                    "rotationKeys":["did:key:zDnaefqvvRQsME5c7LvxdghHeARNWEFbg2PfrAYiHhKVf9rH9"],\
                    "verificationMethods":{},"alsoKnownAs":["at://weird_sig_padding"],"services":{},"prev":null,\
                    "sig":"QHEeFBpqab-LHQzXL59DpQohJxaZt0tjwRqRGegX6vYfo3g9KlZZskecnZZietchQIBsN8DwBLgfkCGSxS7YKA=="}
                    """
            )
        ),
        (
            "b64_padding_bits",
            Entry(
                did: "did:plc:3hhmazwcb2hbcjn3thxamwrk",
                cid: "bafyreigzz3agnqqoryislo4z5ydfukwzcax3nslasimanzm7qhomnasrie",
                operationJSON: """
                    {"type":"plc_operation",\
                    "rotationKeys":["did:key:zDnaefqvvRQsME5c7LvxdghHeARNWEFbg2PfrAYiHhKVf9rH9"],\
                    "verificationMethods":{},"alsoKnownAs":["at://weird_sig_padding"],"services":{},"prev":null,\
                    "sig":"yRcZOnrdCdTMIWVbM-HX8ByF0Rk1SOkivl3A3YbmzT4saxyk_nERJSJ-CqKlNP4CmMdVL5Cvc1vSM_Fe5HBbmR"}
                    """
            )
        ),
        (
            "b64_newline",
            Entry(
                did: "did:plc:vyuosvns3imj4hqisd77qfop",
                cid: "bafyreifofduvlmw2dcpb4ceq774blt4bcnxatrndv6erta34xcuv2v3kxy",
                operationJSON: """
                    {"type":"plc_operation",\
                    "rotationKeys":["did:key:zDnaefqvvRQsME5c7LvxdghHeARNWEFbg2PfrAYiHhKVf9rH9"],\
                    "verificationMethods":{},"alsoKnownAs":["at://weird_sig_padding"],"services":{},"prev":null,\
                    "sig":"j0i5fYQ3fJfjXzIAcb1RoiA-F9xtzU838cU890NEC9xYmHFO4nbQMrZ6ihRu7kZPGf22q4590-3N5Q9IS-BdiA\\n"}
                    """
            )
        ),
    ]
}
