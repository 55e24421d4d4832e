-- 0004_commit_pages: fewer b-tree pages written by every commit. The per-repository revision indexes put each
-- commit's entries in the middle of the index (one page per repository per transaction, plus the pages of the
-- entries deleted with obsolete blocks); only `getRepo?since=` and `listBlobs?since=` filtered on them, and those
-- now walk the repository's own rows by primary key, as a full export does.
DROP INDEX repo_block_rev;
DROP INDEX record_rev;
