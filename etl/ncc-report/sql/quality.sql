-- quality.sql - section 4: every file handled, newest first (audit.file_load), with the
-- submissions it loaded (core.submission), its three most frequent error codes
-- (audit.file_error), and whether it is a loaded cost file whose submission a later file
-- replaced. $1 is not used (every year is listed), $2 the row cap (query.c).
-- The submissions are grouped per file first (a small result) and joined after: on Citus
-- core.submission is distributed and audit is local to the coordinator, and a distributed
-- table cannot be joined with a local one row by row (a LATERAL subquery would be).
WITH s AS MATERIALIZED (
        SELECT x.file_load_id,
               string_agg(x.fin_year::text || ' ' || x.org_code::text || ' ' || x.feed::text,
                          ', ' ORDER BY x.fin_year, x.org_code, x.feed) AS subs
          FROM core.submission x
         GROUP BY x.file_load_id)
SELECT f.file_load_id::text AS file_load_id,
       f.file_name AS file_name,
       coalesce(f.kind, '') AS kind,
       coalesce(s.subs, '') AS submissions,
       to_char(f.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS started_at,
       f.status AS status,
       f.rows_read::text AS rows_read,
       f.rows_loaded::text AS rows_loaded,
       f.rows_rejected::text AS rows_rejected,
       CASE WHEN f.rows_read > 0 THEN round(100.0 * f.rows_rejected / f.rows_read, 1)::text
            ELSE '' END AS rejected_pct,
       f.error_count::text AS error_count,
       coalesce(e.top, '') AS top_codes,
       coalesce(f.message, '') AS message,
       (f.kind = 'cost' AND f.status = 'loaded' AND s.subs IS NULL)::text AS superseded
  FROM audit.file_load f
  LEFT JOIN s ON s.file_load_id = f.file_load_id
  LEFT JOIN LATERAL (
        SELECT string_agg(c.code || ' (' || c.n || ')', ', '
                          ORDER BY c.n DESC, c.code COLLATE "C") AS top
          FROM (SELECT fe.code, count(*) AS n
                  FROM audit.file_error fe
                 WHERE fe.file_load_id = f.file_load_id
                 GROUP BY fe.code
                 ORDER BY count(*) DESC, fe.code COLLATE "C"
                 LIMIT 3) c) e ON true
 ORDER BY f.file_load_id DESC
 LIMIT $2
