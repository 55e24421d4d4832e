-- 0005_event_log_did: the event log's index on `did` put every commit's entry in the middle of the index (one page
-- per repository per transaction) and served only account deletion. The time index carries the DID instead: it
-- still serves trimming by time, and account deletion finds the account's events by scanning that narrow index on
-- a reader before it deletes them by seq.
DROP INDEX firehose_event_did;
DROP INDEX firehose_event_time;
CREATE INDEX firehose_event_time ON firehose_event(time_us, did);
