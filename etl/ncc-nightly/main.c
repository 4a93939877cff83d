/*
 * ncc-nightly - the unattended nightly run: loads every file that arrived in
 * the inbox, reconciles and refreshes the benchmarks once, and tells the
 * result by exit status and one summary line.
 *
 * Every file ends in exactly one state, recorded in audit.file_load:
 * loaded or unchanged (moved to the archive), or quarantined (moved to the
 * quarantine directory with NAME.errors.csv). A file is moved only after its
 * transaction has committed, so a crash at any moment leaves either the old
 * submission or the new one, and the next run finishes the job (a file
 * loaded but not yet moved is then recorded as unchanged and archived).
 *
 * Files still being written are not taken: names ending in .part or .tmp,
 * hidden names, and files modified less than --min-age seconds ago.
 * Order: reference data, then ledger, cost, NHSSC and supplier files (by
 * name within a kind), then files of no known kind (quarantined).
 * A PostgreSQL advisory lock keeps two runs apart (exit 75).
 *
 * Exit status: 0 every file loaded or unchanged; 65 a file was quarantined;
 * 64 usage; 66 a directory is missing; 69 database unavailable (files not
 * yet loaded stay in the inbox); 70 internal error; 74 a file could not be
 * moved, or changed while it was loaded (it stays in the inbox, nothing of it
 * loaded); 75 another run holds the lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/cli.h"
#include "shared/config.h"
#include "warehouse/db.h"
#include "rules/ledger.h"
#include "warehouse/load.h"
#include "shared/log.h"
#include "warehouse/reconcile.h"
#include "output/report.h"
#include "warehouse/warehouse.h"

#define NIGHTLY_LOCK_KEY "5638932010185103434" /* advisory lock of the nightly run */
#define MAX_FILES 100000
#define MAX_JOBS 64

enum { PHASE_LEDGER, PHASE_COST, PHASE_NHSSC, PHASE_SUPPLIER, PHASE_UNKNOWN, NPHASES };

typedef struct item {
    char *path;
    char *name;
    int phase;
} item;

/* What a load ended in; passed from a worker process through a pipe. */
typedef struct outcome {
    int status; /* ncc_load_status */
    long long rows_read, rows_loaded, rows_rejected, file_load_id;
    char kind[16];
    char sha256[65];
    char message[512];
    char moved_to[1024];
} outcome;

typedef struct settings {
    const char *dbname, *inbox, *archive, *quarantine;
    int jobs;
    long min_age;
    bool json;
    ncc_cli_env env;
    ncc_money reconcile_tolerance;
    long long run_id;
    char day[16];
} settings;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ncc-nightly [OPTION]...\n"
            "Load every file that arrived in the inbox into the warehouse, then reconcile and\n"
            "refresh the benchmarks. Prints one summary line; the exit status tells the result.\n"
            "\n"
            "  --dbname CONNINFO      connection string or URI (default: PG* environment, else\n"
            "                         the project's local cluster)\n"
            "  --inbox DIR            where files arrive (default var/inbox)\n"
            "  --archive DIR          loaded and unchanged files go to DIR/YYYY-MM-DD/\n"
            "                         (default var/archive)\n"
            "  --quarantine DIR       rejected files and NAME.errors.csv (default var/quarantine)\n"
            "  --reference DIR        reference CSVs, loaded into ref at the start of the run\n"
            "  --jobs N               load up to N independent files at once (default 1)\n"
            "  --min-age SECONDS      leave files younger than this for the next run (default 60)\n"
            "  --max-reject-rate R    share of rows a file may lose and still load (default 0)\n"
            "  --json                 print a JSON run report instead of the summary line\n"
            "  -v, --verbose          one line per file on stderr\n"
            "      --help             show this help and exit\n"
            "      --version          show the version and exit\n"
            "\n"
            "Files named *.part, *.tmp or .* are never taken: write NAME.part, then rename.\n"
            "Exit status: 0 all loaded or unchanged, 65 a file was quarantined, 64 usage,\n"
            "66 directory missing, 69 database unavailable, 70 internal error, 74 a file could\n"
            "not be moved or changed while it was loaded (left in the inbox), 75 another\n"
            "nightly run holds the lock.\n");
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int cmp_item(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->phase != y->phase)
        return x->phase - y->phase;
    return strcmp(x->name, y->name);
}

static int phase_of(const ncc_schema *kind)
{
    static const char *const order[] = {"ledger", "cost", "nhssc", "supplier"};
    for (int i = 0; kind && i < 4; i++)
        if (strcmp(kind->kind, order[i]) == 0)
            return i;
    return PHASE_UNKNOWN;
}

/* The files of the inbox that are ready, in load order. */
static int scan_inbox(const settings *st, item **out, int *n)
{
    DIR *d = opendir(st->inbox);
    if (!d)
        return -1;
    item *items = calloc(1024, sizeof *items);
    int cap = 1024, k = 0;
    time_t now = time(NULL);
    struct dirent *e;
    while (items && (e = readdir(d)) && k < MAX_FILES) {
        const char *name = e->d_name;
        if (name[0] == '.' || ends_with(name, ".part") || ends_with(name, ".tmp"))
            continue;
        size_t plen = strlen(st->inbox) + strlen(name) + 2;
        char *path = malloc(plen);
        if (!path)
            break;
        snprintf(path, plen, "%s/%s", st->inbox, name);
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || now - sb.st_mtime < st->min_age) {
            if (S_ISREG(sb.st_mode))
                ncc_info("\"%s\" is younger than %ld s: left for the next run", name, st->min_age);
            free(path);
            continue;
        }
        if (k == cap) {
            item *grown = realloc(items, (size_t)cap * 2 * sizeof *items);
            if (!grown) {
                free(path);
                break;
            }
            items = grown;
            cap *= 2;
        }
        items[k].path = path;
        items[k].name = path + strlen(st->inbox) + 1;
        items[k].phase = phase_of(ncc_validate_peek_kind(path, &st->env.vcfg));
        k++;
    }
    closedir(d);
    if (!items)
        return -1;
    qsort(items, (size_t)k, sizeof *items, cmp_item);
    *out = items;
    *n = k;
    return 0;
}

static int mkdirs(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Copy then remove, for a destination on another file system. */
static int copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY), out = -1, rc = -1;
    if (in < 0)
        return -1;
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (out < 0)
        goto done;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            goto done;
    if (n == 0 && fsync(out) == 0)
        rc = 0;
done:
    if (out >= 0 && close(out) != 0)
        rc = -1;
    close(in);
    if (rc == 0)
        rc = unlink(src);
    return rc;
}

/* Move src into dir under name (".1", ".2", ... added when taken); the final path to moved. */
static int move_into(const char *src, const char *dir, const char *name, char *moved, size_t cap)
{
    if (mkdirs(dir) < 0)
        return -1;
    for (int i = 0; i < 1000; i++) {
        if (i == 0)
            snprintf(moved, cap, "%s/%s", dir, name);
        else
            snprintf(moved, cap, "%s/%s.%d", dir, name, i);
        struct stat sb;
        if (lstat(moved, &sb) == 0)
            continue;
        int rc = rename(src, moved);
        if (rc != 0 && errno == EXDEV)
            rc = copy_file(src, moved);
        if (rc == 0)
            fsync_dir(dir);
        return rc;
    }
    errno = EEXIST;
    return -1;
}

typedef struct errors_file {
    ncc_rejects *rej;
    const char *name;
} errors_file;

static void on_issue(void *ctx, const ncc_issue *is)
{
    errors_file *ef = ctx;
    ncc_rejects_write(ef->rej, ef->name, is);
}

/* Load one file on conn; the errors go to errors_path. Fills *o. -1: database failure. */
static int load_one(PGconn *conn, const settings *st, const item *it, const char *errors_path,
                    outcome *o, int (*before_replace)(void *, const ncc_file_result *),
                    void *replace_ctx)
{
    memset(o, 0, sizeof *o);
    char err[512];
    errors_file ef = {ncc_rejects_open(errors_path, err, sizeof err), it->name};
    if (!ef.rej) {
        snprintf(o->message, sizeof o->message, "%s", err);
        o->status = NCC_LOAD_DB_ERROR;
        return -1;
    }
    ncc_load_options lo = {&st->env.vcfg, st->env.max_reject_rate, st->env.ledger_tolerance,
                           st->run_id, it->name, on_issue, &ef, before_replace, replace_ctx};
    ncc_load_result r;
    int rc = ncc_load_file(conn, it->path, &lo, &r);
    /* load-time file errors were found after the pass: add them to the errors file */
    for (int i = 0; i < r.v.nfile_errors; i++) {
        const ncc_kept_issue *k = &r.v.file_errors[i];
        if (k->code == NCC_F_REJECT_LIMIT || k->code == NCC_F_LEDGER_TOLERANCE) {
            ncc_issue is = {k->code, k->line, k->column[0] ? k->column : NULL, k->message};
            ncc_rejects_write(ef.rej, it->name, &is);
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

static void errors_path_of(const settings *st, const item *it, char *out, size_t cap)
{
    snprintf(out, cap, "%s/.%s.errors.csv.%ld.tmp", st->quarantine, it->name, (long)getpid());
}

/* After a committed load: move the file (and its errors) to where it belongs. */
static int settle(const settings *st, const item *it, const char *errors_path, outcome *o)
{
    int rc = 0;
    if (o->status == NCC_LOAD_QUARANTINED) {
        char moved_errors[1200], ename[600];
        if (move_into(it->path, st->quarantine, it->name, o->moved_to, sizeof o->moved_to) < 0)
            return -1;
        /* the errors file takes the name the data file got */
        const char *base = strrchr(o->moved_to, '/');
        snprintf(ename, sizeof ename, "%s.errors.csv", base ? base + 1 : it->name);
        snprintf(moved_errors, sizeof moved_errors, "%s/%s", st->quarantine, ename);
        rc = rename(errors_path, moved_errors);
        fsync_dir(st->quarantine);
    } else {
        char dir[2048];
        snprintf(dir, sizeof dir, "%s/%s", st->archive, st->day);
        unlink(errors_path);
        rc = move_into(it->path, dir, it->name, o->moved_to, sizeof o->moved_to);
    }
    return rc;
}

typedef struct tally {
    int loaded, unchanged, quarantined, left;
    long long rows_loaded, rows_rejected;
    bool move_failed, db_failed;
    bool changed; /* a file changed while it was loaded: left in the inbox */
    char db_message[512];
    json_object *files;
} tally;

static void record(settings *st, tally *t, const item *it, outcome *o, const char *errors_path)
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
        ncc_warning("\"%s\" %s", it->name, o->message);
        return;
    }
    if (settle(st, it, errors_path, o) < 0) {
        ncc_error("\"%s\" was %s but could not be moved: %s", it->name,
                  ncc_load_status_name((ncc_load_status)o->status), strerror(errno));
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
        ncc_info("\"%s\" quarantined: %s", it->name, o->message);
    else
        ncc_info("\"%s\" %s: %lld rows", it->name, ncc_load_status_name((ncc_load_status)o->status),
                 o->rows_loaded);
    if (t->files) {
        json_object *f = json_object_new_object();
        json_object_object_add(f, "name", json_object_new_string(it->name));
        json_object_object_add(f, "kind", o->kind[0] ? json_object_new_string(o->kind) : NULL);
        json_object_object_add(f, "status", json_object_new_string(
                                                ncc_load_status_name((ncc_load_status)o->status)));
        json_object_object_add(f, "rows_read", json_object_new_int64(o->rows_read));
        json_object_object_add(f, "rows_loaded", json_object_new_int64(o->rows_loaded));
        json_object_object_add(f, "rows_rejected", json_object_new_int64(o->rows_rejected));
        json_object_object_add(f, "sha256", json_object_new_string(o->sha256));
        json_object_object_add(f, "file_load_id", json_object_new_int64(o->file_load_id));
        json_object_object_add(f, "moved_to", json_object_new_string(o->moved_to));
        json_object_object_add(f, "message", o->message[0] ? json_object_new_string(o->message) : NULL);
        json_object_array_add(t->files, f);
    }
}

static void progress(int done, int total, const char *name)
{
    if (ncc_log_is_tty())
        fprintf(stderr, "\r\033[K[%d/%d] %s", done, total, name);
}

/* Serial loads on the run's own connection. */
static void run_serial(settings *st, PGconn *conn, item *items, int n, tally *t)
{
    for (int i = 0; i < n && !t->db_failed; i++) {
        char errors_path[2048];
        outcome o;
        progress(i + 1, n, items[i].name);
        errors_path_of(st, &items[i], errors_path, sizeof errors_path);
        load_one(conn, st, &items[i], errors_path, &o, NULL, NULL);
        record(st, t, &items[i], &o, errors_path);
    }
}

typedef struct worker {
    pid_t pid;
    int fd;      /* from the worker: 'R' + its submissions (ready to replace), or 'O' + outcome */
    int go;      /* to the worker: one byte when it may replace and commit */
    int index;
    bool ready;
    int nkeys;      /* submissions the file replaces; -1: the whole table (row-keyed kinds) */
    uint64_t *keys; /* their keys (ncc_load_submission_key), sorted */
} worker;

typedef struct turn {
    int fd_out, fd_go;
} turn;

/* All of len bytes through a pipe: write (out) or read; -1 when the other end is gone. */
static int pipe_full(int fd, void *buf, size_t len, bool out)
{
    char *p = buf;
    while (len) {
        ssize_t n = out ? write(fd, p, len) : read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
    return pipe_full(fd, (void *)buf, len, true);
}

static int read_full(int fd, void *buf, size_t len)
{
    return pipe_full(fd, buf, len, false);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* In a worker, before its rows replace the warehouse's: tell the parent which submissions
 * the file replaces, then wait for the turn. */
static int wait_turn(void *ctx, const ncc_file_result *v)
{
    turn *tn = ctx;
    char c = 'R';
    int32_t n = v->schema && ncc_load_replaces_submissions(v->schema) ? v->ntotals : -1;
    if (write_full(tn->fd_out, &c, 1) < 0 || write_full(tn->fd_out, &n, sizeof n) < 0)
        return -1;
    for (int32_t i = 0; i < n; i++) {
        uint64_t k = ncc_load_submission_key(&v->totals[i]);
        if (write_full(tn->fd_out, &k, sizeof k) < 0)
            return -1;
    }
    return read(tn->fd_go, &c, 1) == 1 ? 0 : -1;
}

/* Whether two sorted key lists share a key. */
static bool share_key(const worker *a, const worker *b)
{
    int i = 0, j = 0;
    while (i < a->nkeys && j < b->nkeys) {
        if (a->keys[i] == b->keys[j])
            return true;
        if (a->keys[i] < b->keys[j])
            i++;
        else
            j++;
    }
    return false;
}

/* A ready worker may replace when every earlier-named file still running is ready too and
 * shares no submission with it (loads of row-keyed kinds wait for all earlier files). The
 * earliest unfinished file always may: the turns cannot deadlock. */
static bool may_replace(const worker *w, int running, int k)
{
    for (int m = 0; m < running; m++) {
        if (w[m].index >= w[k].index)
            continue;
        if (!w[m].ready || w[m].nkeys < 0 || w[k].nkeys < 0 || share_key(&w[m], &w[k]))
            return false;
    }
    return true;
}

/* The 'R' message's submissions; false when the worker's pipe broke. */
static bool read_ready(worker *wk)
{
    int32_t n;
    if (read_full(wk->fd, &n, sizeof n) < 0 || n > 10000000)
        return false;
    wk->nkeys = n < 0 ? -1 : n;
    if (n > 0) {
        wk->keys = malloc((size_t)n * sizeof *wk->keys);
        if (!wk->keys) {
            wk->nkeys = -1; /* no room to compare: wait for every earlier file */
            for (int32_t i = 0; i < n; i++) {
                uint64_t k;
                if (read_full(wk->fd, &k, sizeof k) < 0)
                    return false;
            }
            return true;
        }
        if (read_full(wk->fd, wk->keys, (size_t)n * sizeof *wk->keys) < 0)
            return false;
        qsort(wk->keys, (size_t)n, sizeof *wk->keys, cmp_u64);
    }
    return true;
}

/* A worker process: its own connection, one file, the outcome on fd. */
static void worker_main(settings *st, const item *it, int fd, int go)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(1);
    outcome o;
    memset(&o, 0, sizeof o);
    char err[512], errors_path[2048];
    errors_path_of(st, it, errors_path, sizeof errors_path);
    turn tn = {fd, go};
    PGconn *conn = ncc_db_connect(st->dbname, err, sizeof err);
    if (!conn) {
        o.status = NCC_LOAD_DB_ERROR;
        snprintf(o.message, sizeof o.message, "%s", err);
    } else {
        load_one(conn, st, it, errors_path, &o, wait_turn, &tn);
        PQfinish(conn);
    }
    char tag = 'O';
    ssize_t w = write(fd, &tag, 1);
    if (w == 1)
        w = write(fd, &o, sizeof o);
    _exit(w == (ssize_t)sizeof o ? 0 : 1);
}

/*
 * Parallel loads: up to jobs worker processes, one phase (kind) after another. Files are
 * validated in parallel; once judged good, a worker says which submissions its file
 * replaces and waits for its turn: files that share no submission with any earlier-named
 * running file replace and commit side by side, a file sharing one waits until the
 * earlier file has committed, so the file whose name sorts last wins exactly as with
 * --jobs 1. The earliest unfinished file is always running and always may go, so the
 * turns cannot deadlock.
 */
static void run_parallel(settings *st, item *items, int n, tally *t)
{
    worker w[MAX_JOBS];
    int done = 0;
    for (int phase = 0; phase < NPHASES && !t->db_failed; phase++) {
        int next = 0, running = 0;
        while (next < n && items[next].phase != phase)
            next++;
        for (;;) {
            while (running < st->jobs && next < n && items[next].phase == phase && !t->db_failed) {
                int fds[2], gos[2];
                if (pipe(fds) != 0)
                    break;
                if (pipe(gos) != 0) {
                    close(fds[0]);
                    close(fds[1]);
                    break;
                }
                fflush(NULL);
                pid_t pid = fork();
                if (pid == 0) {
                    close(fds[0]);
                    close(gos[1]);
                    worker_main(st, &items[next], fds[1], gos[0]);
                }
                close(fds[1]);
                close(gos[0]);
                if (pid < 0) {
                    close(fds[0]);
                    close(gos[1]);
                    break;
                }
                w[running++] = (worker){pid, fds[0], gos[1], next, false, -1, NULL};
                next++;
            }
            if (!running)
                break;
            /* give the turn to every ready file that no earlier running file conflicts with */
            for (int k = 0; k < running; k++)
                if (w[k].ready && w[k].go >= 0 && may_replace(w, running, k)) {
                    char c = 'G';
                    if (write(w[k].go, &c, 1) != 1)
                        ncc_debug("worker %ld gone before its turn", (long)w[k].pid);
                    close(w[k].go);
                    w[k].go = -1;
                }
            struct pollfd pfd[MAX_JOBS];
            for (int k = 0; k < running; k++)
                pfd[k] = (struct pollfd){w[k].fd, POLLIN, 0};
            if (poll(pfd, (nfds_t)running, -1) < 0 && errno != EINTR)
                break;
            for (int k = 0; k < running; k++) {
                if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                char tag = 0;
                ssize_t got = read(w[k].fd, &tag, 1);
                if (got == 1 && tag == 'R' && read_ready(&w[k])) {
                    w[k].ready = true;
                    continue;
                }
                outcome o;
                const item *it = &items[w[k].index];
                if (got != 1 || tag != 'O' || read(w[k].fd, &o, sizeof o) != (ssize_t)sizeof o) {
                    memset(&o, 0, sizeof o);
                    o.status = NCC_LOAD_DB_ERROR;
                    snprintf(o.message, sizeof o.message, "worker for \"%s\" ended without a result",
                             it->name);
                }
                int status;
                waitpid(w[k].pid, &status, 0);
                close(w[k].fd);
                if (w[k].go >= 0)
                    close(w[k].go);
                free(w[k].keys);
                char errors_path[2048];
                /* the worker's errors file carries the worker's pid */
                snprintf(errors_path, sizeof errors_path, "%s/.%s.errors.csv.%ld.tmp",
                         st->quarantine, it->name, (long)w[k].pid);
                progress(++done, n, it->name);
                record(st, t, it, &o, errors_path);
                w[k] = w[--running];
                pfd[k] = pfd[running];
                k--;
            }
        }
    }
}

/* Errors files of runs that were killed (we hold the lock: no other run writes them). */
static void remove_stale_errors(const char *quarantine)
{
    DIR *d = opendir(quarantine);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' && ends_with(e->d_name, ".tmp") && strstr(e->d_name, ".errors.csv.")) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", quarantine, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
}

static int begin_run(PGconn *conn, settings *st, char *err, size_t errlen)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *params[1] = {host};
    PGresult *res = PQexecParams(conn, "INSERT INTO audit.run (host) VALUES ($1) RETURNING run_id",
                                 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQerrorMessage(conn));
        PQclear(res);
        return -1;
    }
    st->run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    /* runs that were killed or lost the database never ended: we hold the lock, so none runs */
    char id[24];
    snprintf(id, sizeof id, "%lld", st->run_id);
    const char *p2[1] = {id};
    PQclear(PQexecParams(conn,
                         "UPDATE audit.run SET status = 'interrupted', ended_at = "
                         "greatest(clock_timestamp(), started_at) WHERE status = 'running' AND "
                         "run_id <> $1",
                         1, NULL, p2, NULL, NULL, 0));
    return 0;
}

static void end_run(PGconn *conn, const settings *st, const tally *t, int files, int exit_code)
{
    if (!st->run_id || PQstatus(conn) != CONNECTION_OK)
        return;
    char id[24], nf[24], rows[24], code[24];
    snprintf(id, sizeof id, "%lld", st->run_id);
    snprintf(nf, sizeof nf, "%d", files);
    snprintf(rows, sizeof rows, "%lld", t->rows_loaded);
    snprintf(code, sizeof code, "%d", exit_code);
    const char *status = exit_code == 0 ? "ok" : exit_code == NCC_EXIT_DATAERR ? "quarantined" : "failed";
    const char *params[5] = {id, status, nf, rows, code};
    PQclear(PQexecParams(conn,
                         "UPDATE audit.run SET ended_at = greatest(clock_timestamp(), started_at), "
                         "status = $2, files = $3, rows_loaded = $4, exit_code = $5 WHERE run_id = $1",
                         5, NULL, params, NULL, NULL, 0));
}

int main(int argc, char **argv)
{
    ncc_log_init(argv[0]);
    static const struct option opts[] = {
        {"dbname", required_argument, NULL, 'd'},
        {"inbox", required_argument, NULL, 'i'},
        {"archive", required_argument, NULL, 'a'},
        {"quarantine", required_argument, NULL, 'q'},
        {"reference", required_argument, NULL, 'R'},
        {"jobs", required_argument, NULL, 'j'},
        {"min-age", required_argument, NULL, 'g'},
        {"max-reject-rate", required_argument, NULL, 'x'},
        {"json", no_argument, NULL, 'J'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    settings st;
    memset(&st, 0, sizeof st);
    ncc_cli_flags flags = {0};
    const char *inbox = NULL, *archive = NULL, *quarantine = NULL, *jobs = NULL, *min_age = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
        switch (c) {
        case 'd': st.dbname = optarg; break;
        case 'i': inbox = optarg; break;
        case 'a': archive = optarg; break;
        case 'q': quarantine = optarg; break;
        case 'R': flags.reference = optarg; break;
        case 'j': jobs = optarg; break;
        case 'g': min_age = optarg; break;
        case 'x': flags.max_reject_rate = optarg; break;
        case 'J': st.json = true; break;
        case 'v': ncc_log_set_level(ncc_log_get_level() + 1); break;
        case 'h': usage(stdout); return NCC_EXIT_OK;
        case 'V': printf("ncc-nightly %s\n", NCC_VERSION); return NCC_EXIT_OK;
        default: usage(stderr); return NCC_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        ncc_error("unexpected argument \"%s\": the files come from --inbox", argv[optind]);
        return NCC_EXIT_USAGE;
    }
    st.inbox = ncc_config_get("inbox", inbox, NCC_DEFAULT_VAR_DIR "/inbox");
    st.archive = ncc_config_get("archive", archive, NCC_DEFAULT_VAR_DIR "/archive");
    st.quarantine = ncc_config_get("quarantine", quarantine, NCC_DEFAULT_VAR_DIR "/quarantine");
    const char *jobs_text = ncc_config_get("jobs", jobs, "1");
    char *end;
    long jn = strtol(jobs_text, &end, 10);
    if (*end || jn < 1 || jn > MAX_JOBS) {
        ncc_error("--jobs must be a whole number from 1 to %d", MAX_JOBS);
        return NCC_EXIT_USAGE;
    }
    st.jobs = (int)jn;
    const char *age_text = ncc_config_get("min_age", min_age, "60");
    st.min_age = strtol(age_text, &end, 10);
    if (*end || st.min_age < 0) {
        ncc_error("--min-age must be a number of seconds");
        return NCC_EXIT_USAGE;
    }
    char err[1024];
    if (st.dbname && ncc_db_check_conninfo(st.dbname, err, sizeof err) < 0) {
        ncc_error("invalid --dbname: %s", err);
        return NCC_EXIT_USAGE;
    }
    const char *rt = ncc_config_get("reconcile_tolerance", NULL, "0.10");
    if (ncc_ledger_tolerance_parse(rt, &st.reconcile_tolerance) < 0) {
        ncc_error("reconcile tolerance \"%s\" must be a fraction such as 0.10", rt);
        return NCC_EXIT_USAGE;
    }
    struct stat sb;
    if (stat(st.inbox, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        ncc_error("inbox \"%s\" is not a directory", st.inbox);
        return NCC_EXIT_NOINPUT;
    }
    if (mkdirs(st.archive) < 0 || mkdirs(st.quarantine) < 0) {
        ncc_error("cannot create \"%s\" or \"%s\": %s", st.archive, st.quarantine, strerror(errno));
        return NCC_EXIT_IOERR;
    }
    int setup = ncc_cli_env_open(&st.env, &flags);
    if (setup != NCC_EXIT_OK)
        return setup;
    time_t now = time(NULL);
    struct tm tmv;
    localtime_r(&now, &tmv);
    strftime(st.day, sizeof st.day, "%Y-%m-%d", &tmv);
    double t0 = now_seconds();

    int exit_code = NCC_EXIT_OK;
    tally t;
    memset(&t, 0, sizeof t);
    t.files = st.json ? json_object_new_array() : NULL;
    item *items = NULL;
    int n = 0;
    PGconn *conn = ncc_db_connect(st.dbname, err, sizeof err);
    if (!conn) {
        ncc_error("database unavailable: %s", err);
        exit_code = NCC_EXIT_UNAVAILABLE;
        goto summary;
    }
    PGresult *res = PQexec(conn, "SELECT pg_try_advisory_lock(" NIGHTLY_LOCK_KEY ")");
    bool locked = PQresultStatus(res) == PGRES_TUPLES_OK && PQgetvalue(res, 0, 0)[0] == 't';
    bool lock_query_ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    PQclear(res);
    if (!lock_query_ok) {
        ncc_error("database unavailable: %s", PQerrorMessage(conn));
        exit_code = NCC_EXIT_UNAVAILABLE;
        goto summary;
    }
    if (!locked) {
        ncc_error("another nightly run holds the lock: try again later");
        PQfinish(conn);
        ncc_cli_env_close(&st.env);
        json_object_put(t.files);
        return NCC_EXIT_TEMPFAIL;
    }
    remove_stale_errors(st.quarantine);
    int db_failed;
    if (ncc_warehouse_prepare(conn, st.env.reference_dir, true, &db_failed, err, sizeof err) < 0) {
        ncc_error("%s", err);
        exit_code = db_failed ? NCC_EXIT_UNAVAILABLE : NCC_EXIT_SOFTWARE;
        goto summary;
    }
    if (begin_run(conn, &st, err, sizeof err) < 0) {
        ncc_error("database unavailable: %s", err);
        exit_code = NCC_EXIT_UNAVAILABLE;
        goto summary;
    }
    if (scan_inbox(&st, &items, &n) < 0) {
        ncc_error("cannot read the inbox \"%s\": %s", st.inbox, strerror(errno));
        exit_code = NCC_EXIT_IOERR;
        goto summary;
    }
    if (st.jobs > 1)
        run_parallel(&st, items, n, &t);
    else
        run_serial(&st, conn, items, n, &t);
    if (ncc_log_is_tty() && n)
        fputc('\n', stderr);
    t.left = n - t.loaded - t.unchanged - t.quarantined;
    if (t.db_failed || PQstatus(conn) != CONNECTION_OK) {
        ncc_error("database unavailable: %s", t.db_message[0] ? t.db_message : PQerrorMessage(conn));
        exit_code = NCC_EXIT_UNAVAILABLE;
        goto summary;
    }
    ncc_recon_row *rows = NULL;
    int nrows = 0;
    if (ncc_reconcile_compute(conn, st.reconcile_tolerance, &rows, &nrows, err, sizeof err) < 0 ||
        ncc_reconcile_store(conn, rows, nrows, st.reconcile_tolerance, err, sizeof err) < 0) {
        ncc_error("reconciliation failed: %s", err);
        exit_code = PQstatus(conn) != CONNECTION_OK ? NCC_EXIT_UNAVAILABLE : NCC_EXIT_SOFTWARE;
    }
    free(rows);
    if (exit_code == NCC_EXIT_OK && (t.move_failed || t.changed))
        exit_code = NCC_EXIT_IOERR;
    if (exit_code == NCC_EXIT_OK && t.quarantined)
        exit_code = NCC_EXIT_DATAERR;
summary:
    end_run(conn, &st, &t, n, exit_code);
    double secs = now_seconds() - t0;
    if (st.json) {
        json_object *root = json_object_new_object();
        json_object_object_add(root, "ok", json_object_new_boolean(exit_code == NCC_EXIT_OK));
        json_object_object_add(root, "exit_status", json_object_new_int(exit_code));
        json_object_object_add(root, "run_id", json_object_new_int64(st.run_id));
        json_object_object_add(root, "files_seen", json_object_new_int(n));
        json_object_object_add(root, "loaded", json_object_new_int(t.loaded));
        json_object_object_add(root, "unchanged", json_object_new_int(t.unchanged));
        json_object_object_add(root, "quarantined", json_object_new_int(t.quarantined));
        json_object_object_add(root, "left_in_inbox", json_object_new_int(t.left));
        json_object_object_add(root, "rows_loaded", json_object_new_int64(t.rows_loaded));
        json_object_object_add(root, "rows_rejected", json_object_new_int64(t.rows_rejected));
        json_object_object_add(root, "seconds", json_object_new_double(secs));
        json_object_object_add(root, "files", t.files);
        puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(root);
    } else {
        printf("ncc-nightly: %s: %d file%s (%d loaded, %d unchanged, %d quarantined, %d left), "
               "%lld rows loaded, %lld rejected, %.1f s\n",
               exit_code == NCC_EXIT_OK ? "ok" : exit_code == NCC_EXIT_DATAERR ? "quarantined" : "failed",
               n, n == 1 ? "" : "s", t.loaded, t.unchanged, t.quarantined, t.left, t.rows_loaded,
               t.rows_rejected, secs);
    }
    if (fflush(stdout) != 0 && exit_code == NCC_EXIT_OK)
        exit_code = NCC_EXIT_IOERR;
    for (int i = 0; i < n; i++)
        free(items[i].path);
    free(items);
    PQfinish(conn);
    ncc_cli_env_close(&st.env);
    return exit_code;
}
