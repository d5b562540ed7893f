-- Placeholder on the audit branch only: migration 3 belongs to the notifications branch, which replaces this
-- file when the branches are merged. Migrations are numbered without gaps, so the audit migration (4) needs a 3.
SELECT 1;
