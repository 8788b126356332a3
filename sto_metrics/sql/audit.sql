-- name: audit_record
-- One line in the audit log: who did what to which file or ambition, now.
INSERT INTO audit_log VALUES (current_localtimestamp(), $who, $action, $subject, $detail);

-- name: audit_recent
-- The newest audit lines first, at most $limit.
SELECT logged_at, who, action, subject, detail FROM audit_log ORDER BY logged_at DESC, rowid DESC LIMIT $limit;
