-- 0002_accounts_repos: accounts, sessions, invite codes, repositories, records, blobs and the firehose log.
-- One database for everything but blob bytes: a commit, its record index and its firehose event are written in
-- one transaction. Times are ISO 8601 UTC strings (`2026-11-25T10:00:00.000Z`) unless named *_us (microseconds).

CREATE TABLE account (
    did TEXT PRIMARY KEY NOT NULL,
    handle TEXT UNIQUE,                      -- normalised (lower case); NULL only for a handle-less imported DID
    email TEXT UNIQUE,                       -- lower case
    password_scrypt TEXT,                    -- "scrypt$N$r$p$salt-hex$hash-hex"; NULL: no password login
    email_confirmed_at TEXT,
    invites_disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    takedown_ref TEXT,
    deactivated_at TEXT,
    delete_after TEXT,
    signing_key BLOB NOT NULL                -- k256 private key of the repo (32 bytes)
) STRICT;

CREATE TABLE app_password (
    did TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
    name TEXT NOT NULL,
    password_scrypt TEXT NOT NULL,
    created_at TEXT NOT NULL,
    privileged INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (did, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE refresh_token (
    id TEXT PRIMARY KEY NOT NULL,            -- the refresh JWT's jti
    did TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    app_password_name TEXT,
    next_id TEXT                             -- set when rotated; reuse allowed within the grace period
) STRICT;
CREATE INDEX refresh_token_did ON refresh_token(did);

CREATE TABLE invite_code (
    code TEXT PRIMARY KEY NOT NULL,
    available_uses INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    for_account TEXT NOT NULL,               -- DID, or "admin"
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX invite_code_for_account ON invite_code(for_account);

CREATE TABLE invite_code_use (
    code TEXT NOT NULL REFERENCES invite_code(code) ON DELETE CASCADE,
    used_by TEXT NOT NULL,
    used_at TEXT NOT NULL,
    PRIMARY KEY (code, used_by)
) STRICT, WITHOUT ROWID;

CREATE TABLE account_pref (
    did TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
    name TEXT NOT NULL,                      -- the preference's $type
    position INTEGER NOT NULL,
    value_json TEXT NOT NULL,
    PRIMARY KEY (did, position)
) STRICT, WITHOUT ROWID;

-- The head of each repository.
CREATE TABLE repo_root (
    did TEXT PRIMARY KEY NOT NULL REFERENCES account(did) ON DELETE CASCADE,
    commit_cid BLOB NOT NULL,
    data_cid BLOB NOT NULL,                  -- MST root of the head commit
    rev TEXT NOT NULL,
    indexed_at TEXT NOT NULL
) STRICT;

-- MST node and commit blocks reachable from the head (record blocks live in `record`).
CREATE TABLE repo_block (
    did TEXT NOT NULL,
    cid BLOB NOT NULL,
    rev TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (did, cid)
) STRICT, WITHOUT ROWID;
CREATE INDEX repo_block_rev ON repo_block(did, rev);

-- The current records: served by getRecord/listRecords without touching the MST.
CREATE TABLE record (
    did TEXT NOT NULL,
    collection TEXT NOT NULL,
    rkey TEXT NOT NULL,
    cid BLOB NOT NULL,
    content BLOB NOT NULL,                   -- DAG-CBOR bytes of the record
    rev TEXT NOT NULL,
    indexed_at TEXT NOT NULL,
    takedown_ref TEXT,
    PRIMARY KEY (did, collection, rkey)
) STRICT, WITHOUT ROWID;
CREATE INDEX record_cid ON record(did, cid);
CREATE INDEX record_rev ON record(did, rev);

-- Links used to de-duplicate follows, blocks, likes and reposts.
CREATE TABLE backlink (
    did TEXT NOT NULL,
    collection TEXT NOT NULL,
    rkey TEXT NOT NULL,
    path TEXT NOT NULL,                      -- "subject" or "subject.uri"
    link_to TEXT NOT NULL,
    PRIMARY KEY (did, collection, rkey, path)
) STRICT, WITHOUT ROWID;
CREATE INDEX backlink_link ON backlink(did, path, link_to);

CREATE TABLE blob (
    did TEXT NOT NULL,
    cid BLOB NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    temp_key TEXT,                           -- set while the upload is not referenced by any record yet
    created_at TEXT NOT NULL,
    takedown_ref TEXT,
    PRIMARY KEY (did, cid)
) STRICT, WITHOUT ROWID;
CREATE INDEX blob_temp ON blob(created_at) WHERE temp_key IS NOT NULL;

CREATE TABLE record_blob (
    did TEXT NOT NULL,
    blob_cid BLOB NOT NULL,
    collection TEXT NOT NULL,
    rkey TEXT NOT NULL,
    PRIMARY KEY (did, blob_cid, collection, rkey)
) STRICT, WITHOUT ROWID;
CREATE INDEX record_blob_record ON record_blob(did, collection, rkey);

-- The firehose: each event stored as the exact frame bytes sent to subscribers. `seq` only grows: the head is
-- also kept in server_meta ('firehose_head') so trimming the log can never make a seq come back.
CREATE TABLE firehose_event (
    seq INTEGER PRIMARY KEY NOT NULL,
    did TEXT NOT NULL,
    kind TEXT NOT NULL,                      -- commit, sync, identity, account
    time_us INTEGER NOT NULL,
    frame BLOB NOT NULL
) STRICT;
CREATE INDEX firehose_event_did ON firehose_event(did);
CREATE INDEX firehose_event_time ON firehose_event(time_us);
