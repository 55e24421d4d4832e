-- 0001_init: base schema.
-- Migrations are numbered NNNN_name.sql, applied in order, each in its own transaction by the
-- server (do not write BEGIN/COMMIT here). Never edit a migration once it has been released:
-- add a new one. After adding or changing a file run scripts/embed-migrations.sh.

-- Small server-wide key/value settings and state (e.g. the firehose head, health probe).
CREATE TABLE server_meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
