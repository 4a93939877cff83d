/*
 * loads.c - the load phases of ncc-nightly (nightly.h): each file of the inbox loaded on
 * its own transaction (warehouse/load.h), with its errors written to its errors file as
 * they are found, then moved where it belongs (app/inbox.h) and counted.
 *
 * With --jobs N the files go to worker processes (app/workers.h), each with its own
 * connection; a worker whose file is judged good says which submissions it replaces and
 * waits for its turn (app/sched.h), so the result is the one --jobs 1 gives. Only the
 * parent moves files and counts them, as each worker's outcome arrives.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/workers.h"
#include "nightly.h"
#include "output/report.h"
#include "shared/log.h"
#include "warehouse/db.h"
#include "warehouse/load.h"

/* What a load ended in; passed from a worker process through a pipe, so fixed-size. */
typedef struct outcome {
    int status; /* ncc_load_status */
    long long rows_read, rows_loaded, rows_rejected, file_load_id;
    char kind[16];
    char sha256[65];
    char message[512];
    char moved_to[1024];
} outcome;

typedef struct errors_file {
    ncc_rejects *rej;
    const char *name;
} errors_file;

static void on_issue(void *ctx, const ncc_issue *is)
{
    errors_file *ef = ctx;
    ncc_rejects_write(ef->rej, ef->name, is);
}

/* Load f on conn; its errors go to errors_path. Fills *o. -1: database failure. */
static int load_one(PGconn *conn, const nightly_settings *st, const ncc_inbox_file *f,
                    const char *errors_path, outcome *o,
                    int (*before_replace)(void *, const ncc_file_result *, bool (*)(void *), void *),
                    void *replace_ctx)
{
    memset(o, 0, sizeof *o);
    char err[512];
    errors_file ef = {ncc_rejects_open(errors_path, err, sizeof err), f->name};
    if (!ef.rej) {
        snprintf(o->message, sizeof o->message, "%s", err);
        o->status = NCC_LOAD_DB_ERROR;
        return -1;
    }
    ncc_load_options lo = {.vcfg = &st->env.vcfg,
                           .max_reject_rate = st->env.max_reject_rate,
                           .ledger_tolerance = st->env.ledger_tolerance,
                           .run_id = st->run_id,
                           .file_name = f->name,
                           .issue = on_issue,
                           .issue_ctx = &ef,
                           .before_replace = before_replace,
                           .replace_ctx = replace_ctx};
    ncc_load_result r;
    int rc = ncc_load_file(conn, f->path, &lo, &r);
    /* load-time file errors were found after the pass: add them to the errors file */
    for (int i = 0; i < r.v.nfile_errors; i++) {
        const ncc_kept_issue *k = &r.v.file_errors[i];
        if (k->code == NCC_F_REJECT_LIMIT || k->code == NCC_F_LEDGER_TOLERANCE) {
            ncc_issue is = {k->code, k->line, k->column[0] ? k->column : NULL, k->message};
            ncc_rejects_write(ef.rej, f->name, &is);
        }
    }
    ncc_rejects_close(ef.rej);
    o->status = (int)r.status;
    o->rows_read = r.v.rows_read;
    o->rows_loaded = r.rows_loaded;
    o->rows_rejected = r.v.rows_read - r.rows_loaded;
    o->file_load_id = r.file_load_id;
    snprintf(o->kind, sizeof o->kind, "%s", r.v.schema ? r.v.schema->kind : "");
    snprintf(o->sha256, sizeof o->sha256, "%s", r.sha256);
    snprintf(o->message, sizeof o->message, "%s", r.message);
    ncc_load_result_free(&r);
    return rc;
}

/* The errors file of f while process pid loads it; false (with o filled) when its path
 * does not fit. */
static bool errors_path_of(const nightly_settings *st, const ncc_inbox_file *f, long pid, char *out,
                           size_t cap, outcome *o)
{
    if (ncc_inbox_errors_tmp_path(st->quarantine, f->name, pid, out, cap) == 0)
        return true;
    memset(o, 0, sizeof *o);
    o->status = NCC_LOAD_DB_ERROR;
    snprintf(o->message, sizeof o->message, "cannot create the errors file of \"%s\": %s", f->name,
             strerror(errno));
    return false;
}

/* One file's entry of the --json report. */
static json_object *file_json(const ncc_inbox_file *f, const outcome *o)
{
    json_object *j = json_object_new_object();
    const char *status = ncc_load_status_name((ncc_load_status)o->status);
    json_object_object_add(j, "name", json_object_new_string(f->name));
    json_object_object_add(j, "kind", o->kind[0] ? json_object_new_string(o->kind) : NULL);
    json_object_object_add(j, "status", json_object_new_string(status));
    json_object_object_add(j, "rows_read", json_object_new_int64(o->rows_read));
    json_object_object_add(j, "rows_loaded", json_object_new_int64(o->rows_loaded));
    json_object_object_add(j, "rows_rejected", json_object_new_int64(o->rows_rejected));
    json_object_object_add(j, "sha256", json_object_new_string(o->sha256));
    json_object_object_add(j, "file_load_id", json_object_new_int64(o->file_load_id));
    json_object_object_add(j, "moved_to", json_object_new_string(o->moved_to));
    json_object_object_add(j, "message", o->message[0] ? json_object_new_string(o->message) : NULL);
    return j;
}

/* After the load of f ended in o: move the file (and its errors file), count it. */
static void record(const nightly_settings *st, nightly_tally *t, const ncc_inbox_file *f,
                   outcome *o, const char *errors_path)
{
    if (o->status == NCC_LOAD_DB_ERROR) {
        t->db_failed = true;
        t->left++;
        snprintf(t->db_message, sizeof t->db_message, "%s", o->message);
        unlink(errors_path);
        return;
    }
    if (o->status == NCC_LOAD_LEFT) {
        t->changed = true;
        unlink(errors_path);
        ncc_warning("\"%s\" %s", f->name, o->message);
        return;
    }
    const char *status = ncc_load_status_name((ncc_load_status)o->status);
    int moved =
        o->status == NCC_LOAD_QUARANTINED
            ? ncc_inbox_quarantine(f, st->quarantine, errors_path, o->moved_to, sizeof o->moved_to)
            : ncc_inbox_archive(f, st->archive, st->day, errors_path, o->moved_to,
                                sizeof o->moved_to);
    if (moved < 0) {
        ncc_error("\"%s\" was %s but could not be moved: %s", f->name, status, strerror(errno));
        t->move_failed = true;
    }
    t->rows_loaded += o->rows_loaded;
    t->rows_rejected += o->rows_rejected;
    if (o->status == NCC_LOAD_LOADED)
        t->loaded++;
    else if (o->status == NCC_LOAD_UNCHANGED)
        t->unchanged++;
    else
        t->quarantined++;
    if (o->status == NCC_LOAD_QUARANTINED)
        ncc_info("\"%s\" quarantined: %s", f->name, o->message);
    else
        ncc_info("\"%s\" %s: %lld rows", f->name, status, o->rows_loaded);
    if (t->files)
        json_object_array_add(t->files, file_json(f, o));
}

static void progress(int done, int total, const char *name)
{
    if (ncc_log_is_tty())
        fprintf(stderr, "\r\033[K[%d/%d] %s", done, total, name);
}

/* Serial loads on the run's own connection. */
static void run_serial(const nightly_settings *st, PGconn *conn, const ncc_inbox *in,
                       nightly_tally *t)
{
    for (int i = 0; i < in->n && !t->db_failed; i++) {
        const ncc_inbox_file *f = &in->files[i];
        char errors_path[4096];
        outcome o;
        progress(i + 1, in->n, f->name);
        if (errors_path_of(st, f, (long)getpid(), errors_path, sizeof errors_path, &o))
            load_one(conn, st, f, errors_path, &o, NULL, NULL);
        record(st, t, f, &o, errors_path);
    }
}

/* ---- parallel loads ------------------------------------------------------------------- */

typedef struct parallel {
    const nightly_settings *st;
    const ncc_inbox *in;
    nightly_tally *t;
    int done;
} parallel;

/* In a worker, once its file is judged good: say which submissions it replaces (all of
 * the table for kinds replaced line by line), then wait for the turn. A load holding its
 * rows (blocking set) waits in slices of 100 ms and yields when another session waits for
 * it: an earlier file's load may need those rows' keys, and would wait for this one as
 * this one waits for its turn. */
static int wait_turn(void *ctx, const ncc_file_result *v, bool (*blocking)(void *), void *bctx)
{
    ncc_workers_turn *turn = ctx;
    int n = v->schema && ncc_load_replaces_submissions(v->schema) ? v->ntotals : -1;
    uint64_t *keys = n > 0 ? malloc((size_t)n * sizeof *keys) : NULL;
    if (n > 0 && !keys)
        n = -1; /* no room for the keys: wait for every earlier file */
    for (int i = 0; i < n; i++)
        keys[i] = ncc_load_submission_key(&v->totals[i]);
    int rc = ncc_workers_request_turn(turn, keys, n);
    free(keys);
    if (rc < 0)
        return -1;
    for (;;) {
        int got = ncc_workers_await_turn(turn, blocking ? 100 : -1);
        if (got != 1)
            return got; /* the turn came (0), or the parent is gone (-1) */
        if (blocking(bctx))
            return NCC_LOAD_YIELD;
    }
}

/* A worker: its own connection, one file. */
static void worker_run(void *ctx, int task, ncc_workers_turn *turn, void *result)
{
    parallel *p = ctx;
    const ncc_inbox_file *f = &p->in->files[task];
    outcome *o = result;
    char err[512], errors_path[4096];
    if (!errors_path_of(p->st, f, (long)getpid(), errors_path, sizeof errors_path, o))
        return;
    PGconn *conn = ncc_db_connect(p->st->dbname, err, sizeof err);
    if (!conn) {
        o->status = NCC_LOAD_DB_ERROR;
        snprintf(o->message, sizeof o->message, "%s", err);
        return;
    }
    load_one(conn, p->st, f, errors_path, o, wait_turn, turn);
    PQfinish(conn);
}

/* In the parent, as a worker ends: move its file and count it. True: start no more. */
static bool worker_done(void *ctx, int task, long pid, const void *result)
{
    parallel *p = ctx;
    const ncc_inbox_file *f = &p->in->files[task];
    outcome o;
    char errors_path[4096];
    if (result) {
        memcpy(&o, result, sizeof o);
    } else {
        memset(&o, 0, sizeof o);
        o.status = NCC_LOAD_DB_ERROR;
        snprintf(o.message, sizeof o.message, "worker for \"%s\" ended without a result", f->name);
    }
    /* the worker's errors file carries the worker's pid */
    if (ncc_inbox_errors_tmp_path(p->st->quarantine, f->name, pid, errors_path,
                                  sizeof errors_path) < 0)
        errors_path[0] = '\0';
    progress(++p->done, p->in->n, f->name);
    record(p->st, p->t, f, &o, errors_path);
    return p->t->db_failed;
}

/* Parallel loads; -1 (nothing done) when there is no memory for them. */
static int run_parallel(const nightly_settings *st, const ncc_inbox *in, nightly_tally *t)
{
    int *groups = malloc((size_t)(in->n ? in->n : 1) * sizeof *groups);
    if (!groups)
        return -1;
    for (int i = 0; i < in->n; i++)
        groups[i] = (int)in->files[i].phase;
    parallel p = {st, in, t, 0};
    ncc_workers_config cfg = {st->jobs, sizeof(outcome), worker_run, worker_done, &p};
    if (ncc_workers_run(&cfg, groups, in->n) < 0)
        ncc_debug("not every file could be given to a worker");
    free(groups);
    return 0;
}

void nightly_load_files(const nightly_settings *st, PGconn *conn, const ncc_inbox *in,
                        nightly_tally *t)
{
    if (st->jobs == 1 || run_parallel(st, in, t) < 0)
        run_serial(st, conn, in, t);
}
