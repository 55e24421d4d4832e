-- 0006_email_token: one-time codes sent by email (PDS-REFERENCE §5.5): confirming or changing the address,
-- resetting the password, deleting the account, signing a PLC operation. At most one per purpose and account; a new
-- request replaces the old code. Codes are looked up by purpose and code for password resets (no DID given).
CREATE TABLE email_token (
    purpose TEXT NOT NULL,
    did TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
    token TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    PRIMARY KEY (purpose, did)
) WITHOUT ROWID;
CREATE UNIQUE INDEX email_token_code ON email_token(purpose, token);
