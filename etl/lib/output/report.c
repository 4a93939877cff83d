/*
 * report.c - text, JSON (json-c) and rejects CSV (libcsv's writer) output
 * of validation results.
 */
#include "output/report.h"

#include <csv.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 80

/* Print text wrapped at WIDTH with a hanging indent; words longer than a line are cut. */
static void wrap(FILE *out, int indent, int hang, const char *text)
{
    int col = fprintf(out, "%*s", indent, "");
    const char *p = text;
    bool first = true;
    while (*p) {
        const char *sp = strpbrk(p, " \n");
        int wlen = sp ? (int)(sp - p) : (int)strlen(p);
        if (!first && col + 1 + wlen > WIDTH - 1) {
            fprintf(out, "\n%*s", hang, "");
            col = hang;
        } else if (!first) {
            fputc(' ', out);
            col++;
        }
        while (col + wlen > WIDTH - 1) {
            /* a word wider than the line: cut it, never between UTF-8 bytes */
            int room = WIDTH - 1 - col;
            while (room > 0 && ((unsigned char)p[room] & 0xc0) == 0x80)
                room--;
            if (room <= 0)
                break;
            fwrite(p, 1, (size_t)room, out);
            fprintf(out, "\n%*s", hang, "");
            col = hang;
            p += room;
            wlen -= room;
        }
        fwrite(p, 1, (size_t)wlen, out);
        col += wlen;
        first = false;
        p += wlen;
        while (*p == ' ' || *p == '\n')
            p++;
    }
    fputc('\n', out);
}

static void print_issue(FILE *out, const ncc_kept_issue *k)
{
    char lead[128];
    if (k->line > 0 && k->column[0])
        snprintf(lead, sizeof lead, "line %ld, %s: ", k->line, k->column);
    else if (k->line > 0)
        snprintf(lead, sizeof lead, "line %ld: ", k->line);
    else if (k->column[0])
        snprintf(lead, sizeof lead, "%s: ", k->column);
    else
        lead[0] = '\0';
    size_t n = strlen(lead) + strlen(k->message) + 1;
    char *text = malloc(n);
    if (!text)
        return;
    snprintf(text, n, "%s%s", lead, k->message);
    wrap(out, 6, 8, text);
    free(text);
}

static void print_codes(FILE *out, const ncc_file_result *r, ncc_level level, const char *title)
{
    bool any = false;
    for (int c = 0; c < NCC_CODE_COUNT; c++) {
        if (ncc_code_level((ncc_code)c) != level || !r->counts[c])
            continue;
        if (!any)
            fprintf(out, "  %s:\n", title);
        any = true;
        fprintf(out, "    %s (%lld)\n", ncc_code_name((ncc_code)c), r->counts[c]);
        for (int i = 0; i < r->nexamples[c]; i++)
            print_issue(out, &r->examples[c][i]);
        if (r->counts[c] > r->nexamples[c])
            fprintf(out, "      ... and %lld more\n", r->counts[c] - r->nexamples[c]);
    }
}

const char *ncc_report_feed_label(const ncc_file_result *r)
{
    bool feed = r->schema && r->schema->tot_feed >= 0 && !r->schema->feed_literal &&
                strcmp(r->schema->cols[r->schema->tot_feed].name, "feed") == 0;
    return feed ? "feed" : "route";
}

int ncc_report_text(FILE *out, const ncc_file_result *res, int n)
{
    int valid = 0, invalid = 0, rejected = 0;
    for (int i = 0; i < n; i++) {
        const char *st = ncc_file_result_status(&res[i]);
        valid += strcmp(st, "valid") == 0;
        invalid += strcmp(st, "invalid") == 0;
        rejected += strcmp(st, "rejected") == 0;
    }
    fprintf(out, "%d file%s checked: %d valid, %d invalid, %d rejected\n", n, n == 1 ? "" : "s",
            valid, invalid, rejected);
    for (int i = 0; i < n; i++) {
        const ncc_file_result *r = &res[i];
        const char *st = ncc_file_result_status(r);
        char upper[16];
        size_t k = 0;
        for (; st[k] && k + 1 < sizeof upper; k++)
            upper[k] = (char)(st[k] - 32);
        upper[k] = '\0';
        fputc('\n', out);
        wrap(out, 0, 2, r->path);
        fprintf(out, "  %s: kind %s, encoding %s%s\n", upper, r->schema ? r->schema->kind : "unknown",
                r->encoding, r->gzip ? ", gzip" : "");
        fprintf(out, "  rows read %lld, valid %lld, rejected %lld\n", r->rows_read, r->rows_valid,
                r->rows_rejected);
        print_codes(out, r, NCC_LEVEL_FILE, "file errors (nothing of this file can be loaded)");
        print_codes(out, r, NCC_LEVEL_ROW, "row errors");
        print_codes(out, r, NCC_LEVEL_WARNING, "warnings");
        if (r->ntotals) {
            fprintf(out, "  totals of valid rows:\n");
            fprintf(out, "    %-8s  %-5s  %-6s  %10s  %24s\n", "fin_year", "org",
                    ncc_report_feed_label(r), "rows", "amount");
            for (int t = 0; t < r->ntotals; t++) {
                char m[NCC_MONEY_BUFSIZE];
                ncc_money_format(r->totals[t].amount, m, sizeof m);
                fprintf(out, "    %-8s  %-5s  %-6s  %10lld  %24s\n", r->totals[t].fin_year,
                        r->totals[t].org_code, r->totals[t].feed, r->totals[t].rows, m);
            }
        }
        if (r->nmtfm) {
            fprintf(out, "  MTFM units and cost by technology:\n");
            fprintf(out, "    %-8s  %-5s  %-12s  %10s  %24s\n", "fin_year", "org", "technology",
                    "units", "amount");
            for (int t = 0; t < r->nmtfm; t++) {
                char m[NCC_MONEY_BUFSIZE];
                ncc_money_format(r->mtfm[t].amount, m, sizeof m);
                fprintf(out, "    %-8s  %-5s  %-12s  %10lld  %24s\n", r->mtfm[t].fin_year,
                        r->mtfm[t].org_code, r->mtfm[t].technology_id, r->mtfm[t].units, m);
            }
        }
    }
    fflush(out);
    return ferror(out) ? -1 : 0;
}

static json_object *money_json(ncc_money m)
{
    char buf[NCC_MONEY_BUFSIZE];
    ncc_money_format(m, buf, sizeof buf);
    return json_object_new_string(buf);
}

static json_object *issue_json(const ncc_kept_issue *k, bool with_line)
{
    json_object *o = json_object_new_object();
    if (with_line)
        json_object_object_add(o, "line", k->line > 0 ? json_object_new_int64(k->line) : NULL);
    json_object_object_add(o, "column", k->column[0] ? json_object_new_string(k->column) : NULL);
    json_object_object_add(o, "code", json_object_new_string(ncc_code_name(k->code)));
    json_object_object_add(o, "message", json_object_new_string(k->message));
    return o;
}

static json_object *file_json(const ncc_file_result *r)
{
    json_object *f = json_object_new_object();
    json_object_object_add(f, "path", json_object_new_string(r->path));
    json_object_object_add(f, "kind", r->schema ? json_object_new_string(r->schema->kind) : NULL);
    json_object_object_add(f, "encoding", json_object_new_string(r->encoding));
    json_object_object_add(f, "status", json_object_new_string(ncc_file_result_status(r)));
    json_object_object_add(f, "rows_read", json_object_new_int64(r->rows_read));
    json_object_object_add(f, "rows_valid", json_object_new_int64(r->rows_valid));
    json_object_object_add(f, "rows_rejected", json_object_new_int64(r->rows_rejected));
    json_object *ebc = json_object_new_object(), *wbc = json_object_new_object();
    for (int c = 0; c < NCC_CODE_COUNT; c++) {
        if (!r->counts[c])
            continue;
        json_object *target = ncc_code_level((ncc_code)c) == NCC_LEVEL_WARNING ? wbc : ebc;
        json_object_object_add(target, ncc_code_name((ncc_code)c),
                               json_object_new_int64(r->counts[c]));
    }
    json_object_object_add(f, "errors_by_code", ebc);
    json_object_object_add(f, "warnings_by_code", wbc);
    json_object *fe = json_object_new_array();
    for (int i = 0; i < r->nfile_errors; i++) {
        json_object *o = issue_json(&r->file_errors[i], true);
        json_object_array_add(fe, o);
    }
    json_object_object_add(f, "file_errors", fe);
    json_object *errs = json_object_new_array();
    for (int i = 0; i < r->nerrors; i++)
        json_object_array_add(errs, issue_json(&r->errors[i], true));
    json_object_object_add(f, "errors", errs);
    json_object *warns = json_object_new_array();
    for (int i = 0; i < r->nwarnings; i++)
        json_object_array_add(warns, issue_json(&r->warnings[i], true));
    json_object_object_add(f, "warnings", warns);
    json_object *tot = json_object_new_array();
    for (int t = 0; t < r->ntotals; t++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "fin_year", json_object_new_string(r->totals[t].fin_year));
        json_object_object_add(o, "org_code", json_object_new_string(r->totals[t].org_code));
        json_object_object_add(o, "feed", json_object_new_string(r->totals[t].feed));
        json_object_object_add(o, "rows", json_object_new_int64(r->totals[t].rows));
        json_object_object_add(o, "cost", money_json(r->totals[t].amount));
        json_object_array_add(tot, o);
    }
    json_object_object_add(f, "totals", tot);
    json_object *mt = json_object_new_array();
    for (int t = 0; t < r->nmtfm; t++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "fin_year", json_object_new_string(r->mtfm[t].fin_year));
        json_object_object_add(o, "org_code", json_object_new_string(r->mtfm[t].org_code));
        json_object_object_add(o, "technology_id",
                               json_object_new_string(r->mtfm[t].technology_id));
        json_object_object_add(o, "units", json_object_new_int64(r->mtfm[t].units));
        json_object_object_add(o, "cost", money_json(r->mtfm[t].amount));
        json_object_array_add(mt, o);
    }
    json_object_object_add(f, "mtfm", mt);
    return f;
}

int ncc_report_json(FILE *out, const ncc_file_result *res, int n)
{
    json_object *root = json_object_new_object();
    bool all_valid = true;
    json_object *files = json_object_new_array();
    for (int i = 0; i < n; i++) {
        all_valid = all_valid && strcmp(ncc_file_result_status(&res[i]), "valid") == 0;
        json_object_array_add(files, file_json(&res[i]));
    }
    json_object_object_add(root, "ok", json_object_new_boolean(all_valid));
    json_object_object_add(root, "files", files);
    fputs(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE),
          out);
    fputc('\n', out);
    json_object_put(root);
    fflush(out);
    return ferror(out) ? -1 : 0;
}

struct ncc_rejects {
    FILE *f;
    bool failed;
};

ncc_rejects *ncc_rejects_open(const char *path, char *err, size_t errlen)
{
    ncc_rejects *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!r->f) {
        snprintf(err, errlen, "cannot create rejects file \"%s\": %s", path, strerror(errno));
        free(r);
        return NULL;
    }
    fputs("file,line,column,code,message\n", r->f);
    return r;
}

/* RFC 4180 value: quoted (with doubled quotes) only when it needs to be. */
static void put_csv(ncc_rejects *r, const char *s, bool last)
{
    size_t len = strlen(s);
    bool quote = len && (s[0] == ' ' || s[len - 1] == ' ' || strpbrk(s, ",\"\r\n"));
    if (quote ? csv_fwrite(r->f, s, len) != 0 : fwrite(s, 1, len, r->f) != len)
        r->failed = true;
    fputc(last ? '\n' : ',', r->f);
}

void ncc_rejects_write(ncc_rejects *r, const char *file, const ncc_issue *is)
{
    if (!r || ncc_code_level(is->code) == NCC_LEVEL_WARNING)
        return;
    char line[24] = "";
    if (is->line > 0)
        snprintf(line, sizeof line, "%ld", is->line);
    put_csv(r, file, false);
    put_csv(r, line, false);
    put_csv(r, is->column ? is->column : "", false);
    put_csv(r, ncc_code_name(is->code), false);
    put_csv(r, is->message, true);
}

int ncc_rejects_close(ncc_rejects *r)
{
    if (!r)
        return 0;
    bool failed = r->failed || ferror(r->f);
    if (r->f == stdout)
        failed = fflush(stdout) != 0 || failed;
    else if (fclose(r->f) != 0)
        failed = true;
    free(r);
    return failed ? -1 : 0;
}
