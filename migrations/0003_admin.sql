-- 0003_admin: partial indexes that make counting accounts by status (`pds_accounts{status}`, refreshed after every
-- account change) a walk over the few taken-down and deactivated accounts instead of a scan of the account table.
CREATE INDEX account_takendown ON account(did) WHERE takedown_ref IS NOT NULL;
CREATE INDEX account_deactivated ON account(did) WHERE deactivated_at IS NOT NULL AND takedown_ref IS NULL;
