/*
 * runlog.h - the nightly run as the warehouse records it: the session advisory lock that
 * keeps two runs apart, and its audit.run row (sql/004_audit.sql), begun with the run and
 * ended with its outcome. Runs that never ended (killed, or the database lost) are marked
 * interrupted by the next run, which holds the lock, so none of them is still running.
 *
 * Errors: functions that can fail return 0 or -1 and then write libpq's message (as
 * PQerrorMessage gives it) into err[errlen]. Nothing here prints or exits.
 */
#ifndef NCC_RUNLOG_H
#define NCC_RUNLOG_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

/* Key of the nightly run's session-level advisory lock (as pg_locks shows it). */
#define NCC_RUNLOG_LOCK_KEY "5638932010185103434"

/* Try the lock without waiting: *locked tells whether this session now holds it (until
 * the connection ends). -1 when the query failed (database unavailable). */
int ncc_runlog_try_lock(PGconn *c, bool *locked, char *err, size_t errlen);

/* Insert the run's audit.run row (status running, this host's name) into *run_id, then
 * mark every other run still 'running' as 'interrupted' (a failure of that is not
 * reported: the next run tries again). Call while holding the lock. */
int ncc_runlog_begin(PGconn *c, long long *run_id, char *err, size_t errlen);

/*
 * End run_id: ended_at, status ("ok", "quarantined", "failed"), files seen, rows loaded,
 * exit code. Nothing when run_id is 0 (no row was begun) or the connection is gone (the
 * next run marks it interrupted); -1 when the update failed.
 */
int ncc_runlog_end(PGconn *c, long long run_id, const char *status, int files,
                   long long rows_loaded, int exit_code, char *err, size_t errlen);

#endif
