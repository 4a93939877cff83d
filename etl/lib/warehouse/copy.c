/* copy.c - buffered COPY text-format writer with escaping (see copy.h). */
#include "warehouse/copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_FLUSH (256 * 1024)
/* one value is at most a record (1 MiB by default), doubled by escaping */
#define COPY_VALUE_MAX (4 * 1024 * 1024)
#define COPY_CAP (COPY_FLUSH + 64 * 1024)

static void set_err(ncc_copy *cp, const char *what, const char *msg)
{
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    snprintf(cp->err, sizeof cp->err, "%s: %.*s", what, (int)n, msg);
    cp->failed = true;
}

static int flush(ncc_copy *cp)
{
    if (cp->len && PQputCopyData(cp->conn, cp->buf, (int)cp->len) != 1) {
        set_err(cp, "sending rows", PQerrorMessage(cp->conn));
        return -1;
    }
    cp->len = 0;
    return 0;
}

int ncc_copy_begin(ncc_copy *cp, PGconn *conn, const char *copy_sql)
{
    memset(cp, 0, sizeof *cp);
    cp->conn = conn;
    cp->buf = malloc(COPY_CAP);
    if (!cp->buf) {
        snprintf(cp->err, sizeof cp->err, "out of memory");
        cp->failed = true;
        return -1;
    }
    PGresult *res = PQexec(conn, copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        set_err(cp, "starting COPY", PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
                                                                    : PQerrorMessage(conn));
        PQclear(res);
        free(cp->buf);
        cp->buf = NULL;
        return -1;
    }
    PQclear(res);
    cp->active = true;
    return 0;
}

/* Make room for n more bytes, flushing; values larger than the buffer go in pieces. */
static int room(ncc_copy *cp, size_t n)
{
    if (cp->len + n <= COPY_CAP)
        return 0;
    return flush(cp);
}

static int put_raw(ncc_copy *cp, const char *s, size_t n)
{
    while (n) {
        if (room(cp, 1) < 0)
            return -1;
        size_t k = COPY_CAP - cp->len < n ? COPY_CAP - cp->len : n;
        memcpy(cp->buf + cp->len, s, k);
        cp->len += k;
        s += k;
        n -= k;
    }
    return 0;
}

int ncc_copy_value(ncc_copy *cp, const char *s, size_t len)
{
    if (cp->failed)
        return -1;
    if (cp->row_started && put_raw(cp, "\t", 1) < 0)
        return -1;
    cp->row_started = true;
    if (!s)
        return put_raw(cp, "\\N", 2);
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        char esc = ncc_copy_escape_char(s[i]);
        if (!esc)
            continue;
        char pair[2] = {'\\', esc};
        if (put_raw(cp, s + start, i - start) < 0 || put_raw(cp, pair, 2) < 0)
            return -1;
        start = i + 1;
    }
    return put_raw(cp, s + start, len - start);
}

int ncc_copy_end_row(ncc_copy *cp)
{
    if (cp->failed || put_raw(cp, "\n", 1) < 0)
        return -1;
    cp->row_started = false;
    cp->rows++;
    if (cp->len >= COPY_FLUSH)
        return flush(cp);
    return 0;
}

long long ncc_copy_end(ncc_copy *cp, const char *reason)
{
    if (!cp->active) {
        free(cp->buf);
        cp->buf = NULL;
        return cp->failed ? -1 : 0;
    }
    cp->active = false;
    if (!reason && (cp->failed || flush(cp) < 0))
        reason = "send failed";
    long long stored = -1;
    if (PQputCopyEnd(cp->conn, reason) != 1) {
        set_err(cp, "ending COPY", PQerrorMessage(cp->conn));
    } else {
        PGresult *res;
        while ((res = PQgetResult(cp->conn)) != NULL) {
            if (PQresultStatus(res) == PGRES_COMMAND_OK)
                stored = strtoll(PQcmdTuples(res), NULL, 10);
            else if (!reason) {
                const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
                snprintf(cp->sqlstate, sizeof cp->sqlstate, "%s", st ? st : "");
                set_err(cp, "COPY failed", PQresultErrorMessage(res));
            }
            PQclear(res);
        }
    }
    free(cp->buf);
    cp->buf = NULL;
    if (reason && !cp->failed)
        return 0;
    return cp->failed ? -1 : stored;
}
