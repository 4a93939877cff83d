/*
 * csvcount - the baselines of scripts/bench: how fast can a CSV file be read?
 *
 *   csvcount [--mode MODE] FILE
 *
 * Prints "records fields" of FILE. MODE (default bare):
 *   bare      libcsv alone, as a user of the library would write it: read() in
 *             1 MiB blocks, one csv_parse() call per block, callbacks that only
 *             count (default libcsv options). The baseline of ncc-validate.
 *   hooks     the same with space and terminator callbacks (CR a space, only LF
 *             a terminator): how the reader was first set up; what per-byte
 *             callbacks cost libcsv.
 *   lines     the parser set up as etl/lib/reading/csvread.c does (strict, libcsv's own
 *             spaces and terminators, 4 KiB field blocks), each block handed to
 *             csv_parse() one line at a time (memchr for '\n').
 *   source    the project's byte source alone (ncc_source_read: SHA-256, gzip,
 *             UTF-8 check), no parsing.
 *   reader    the project's reader (ncc_csv_next over ncc_source), no validation.
 * The modes between bare and ncc-validate attribute its time to each layer.
 */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reading/csvread.h"
#include "reading/source.h"

#define BLOCK (1 << 20)

typedef struct counts {
    unsigned long long records, fields;
} counts;

static void on_field(void *data, size_t len, void *ctx)
{
    (void)data;
    (void)len;
    ((counts *)ctx)->fields++;
}

static void on_record(int term, void *ctx)
{
    (void)term;
    ((counts *)ctx)->records++;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\r';
}

static int is_term(unsigned char c)
{
    return c == '\n';
}

static int die(const char *what, const char *path)
{
    fprintf(stderr, "csvcount: %s: %s\n", path, what);
    return 1;
}

static int run_libcsv(const char *path, int mode, counts *n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return die(strerror(errno), path);
    struct csv_parser p;
    if (csv_init(&p, mode ? CSV_STRICT | CSV_STRICT_FINI : 0) != 0)
        return die("csv_init failed", path);
    if (mode == 1) {
        csv_set_space_func(&p, is_space);
        csv_set_term_func(&p, is_term);
    }
    if (mode)
        csv_set_blk_size(&p, 4096);
    char *buf = malloc(BLOCK);
    if (!buf)
        return die("out of memory", path);
    for (;;) {
        ssize_t got = read(fd, buf, BLOCK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return die(strerror(errno), path);
        if (got == 0)
            break;
        if (mode < 2) {
            if (csv_parse(&p, buf, (size_t)got, on_field, on_record, n) != (size_t)got)
                return die(csv_strerror(csv_error(&p)), path);
            continue;
        }
        for (size_t pos = 0; pos < (size_t)got;) {
            const char *s = buf + pos;
            const char *nl = memchr(s, '\n', (size_t)got - pos);
            size_t seg = nl ? (size_t)(nl - s) + 1 : (size_t)got - pos;
            if (csv_parse(&p, s, seg, on_field, on_record, n) != seg)
                return die(csv_strerror(csv_error(&p)), path);
            pos += seg;
        }
    }
    if (csv_fini(&p, on_field, on_record, n) != 0)
        return die("unterminated quoted field at the end", path);
    csv_free(&p);
    free(buf);
    close(fd);
    return 0;
}

static int run_source(const char *path, int mode, counts *n)
{
    int code;
    char msg[512];
    ncc_source *src = ncc_source_open(path, "auto", &code, msg, sizeof msg);
    if (!src)
        return die(msg, path);
    if (mode == 3) {
        char *buf = malloc(BLOCK);
        if (!buf)
            return die("out of memory", path);
        ssize_t got;
        while ((got = ncc_source_read(src, buf, BLOCK)) > 0)
            for (ssize_t i = 0; i < got; i++)
                n->records += buf[i] == '\n';
        free(buf);
        if (got < 0) {
            const char *m;
            ncc_source_error(src, &m);
            return die(m, path);
        }
    } else {
        ncc_csv *csv = ncc_csv_new(src, NULL);
        if (!csv)
            return die("out of memory", path);
        ncc_csv_record rec;
        int got;
        while ((got = ncc_csv_next(csv, &rec)) > 0) {
            n->records++;
            n->fields += (unsigned long long)rec.nfields;
        }
        if (got < 0) {
            const char *m;
            ncc_csv_error(csv, &m, NULL);
            return die(m, path);
        }
        ncc_csv_free(csv);
    }
    ncc_source_free(src);
    return 0;
}

int main(int argc, char **argv)
{
    static const char *const modes[] = {"bare", "hooks", "lines", "source", "reader"};
    int mode = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            for (mode = 0; mode < 5 && strcmp(m, modes[mode]) != 0; mode++)
                ;
            if (mode == 5) {
                fprintf(stderr, "csvcount: unknown mode %s\n", m);
                return 64;
            }
        } else if (strcmp(argv[i], "--help") == 0) {
            puts("Usage: csvcount [--mode bare|hooks|lines|source|reader] FILE");
            return 0;
        } else if (!path) {
            path = argv[i];
        } else {
            fprintf(stderr, "csvcount: one FILE only\n");
            return 64;
        }
    }
    if (!path) {
        fprintf(stderr, "Usage: csvcount [--mode bare|hooks|lines|source|reader] FILE\n");
        return 64;
    }
    counts n = {0, 0};
    int rc = mode <= 2 ? run_libcsv(path, mode, &n) : run_source(path, mode, &n);
    if (rc)
        return rc;
    printf("%llu %llu\n", n.records, n.fields);
    return 0;
}
