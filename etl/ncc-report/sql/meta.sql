-- meta.sql - the session the report was read in, for its header: database, role, and the time
-- (UTC, to the minute). No parameter; exactly one row.
SELECT current_database() AS database_name,
       current_user::text AS user_name,
       to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') AS generated_at
