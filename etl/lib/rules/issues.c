/*
 * issues.c - the messages of a validation pass: formatting (cut at
 * NCC_PASS_MSG_SIZE on a whole character, NHS-number-like digits masked),
 * quoting values into them (ncc_quote_value), and recording each issue in
 * the file result (counts, examples, the kept lists) and with the sink.
 *
 * Only problems come here: the path of a value that passes formats nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/validate.h"
#include "rules/validate_int.h"

static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    return p;
}

static void keep(ncc_kept_issue *k, const ncc_issue *is)
{
    k->code = is->code;
    k->line = is->line;
    snprintf(k->column, sizeof k->column, "%s", is->column ? is->column : "");
    k->message = xstrdup(is->message);
}

/* Count the issue, keep it (the first NCC_EXAMPLES_PER_CODE of its code as examples;
 * file errors all; row errors and warnings the first errors_kept of each) and hand it
 * to the sink. Out of memory loses the kept copy, never the count. */
static void record_issue(ncc_file_result *res, const ncc_sink *sink, int errors_kept,
                         const ncc_issue *is)
{
    res->counts[is->code]++;
    int *ne = &res->nexamples[is->code];
    if (*ne < NCC_EXAMPLES_PER_CODE)
        keep(&res->examples[is->code][(*ne)++], is);
    ncc_level lv = ncc_code_level(is->code);
    if (lv == NCC_LEVEL_FILE) {
        ncc_kept_issue *fe =
            realloc(res->file_errors, (size_t)(res->nfile_errors + 1) * sizeof *fe);
        if (fe) {
            res->file_errors = fe;
            keep(&fe[res->nfile_errors++], is);
        }
    } else {
        ncc_kept_issue **list = lv == NCC_LEVEL_ROW ? &res->errors : &res->warnings;
        int *n = lv == NCC_LEVEL_ROW ? &res->nerrors : &res->nwarnings;
        if (*n < errors_kept && !*list)
            *list = calloc((size_t)errors_kept, sizeof **list);
        if (*n < errors_kept && *list)
            keep(&(*list)[(*n)++], is);
    }
    if (sink && sink->issue)
        sink->issue(sink->ctx, is);
}

/*
 * Every message before it is kept: a UTF-8 sequence cut at the end by a
 * truncating snprintf is dropped, and any NHS-number-like digits left in it
 * (a longer run of digits cut to ten) are masked.
 */
static void finish_message(char *msg)
{
    size_t n = strlen(msg), k = n;
    while (k && ((unsigned char)msg[k - 1] & 0xc0) == 0x80)
        k--;
    if (k) {
        unsigned char lead = (unsigned char)msg[k - 1];
        size_t want = lead < 0x80             ? 1
                      : (lead & 0xe0) == 0xc0 ? 2
                      : (lead & 0xf0) == 0xe0 ? 3
                      : (lead & 0xf8) == 0xf0 ? 4
                                              : 1;
        if (lead >= 0x80 && n - (k - 1) < want) {
            msg[k - 1] = '\0';
            n = k - 1;
        }
    }
    ncc_mask_nhs_numbers(msg, n);
}

void ncc_pass_report(ncc_pass *p, ncc_code code, long line, const char *column, const char *fmt,
                     ...)
{
    char msg[NCC_PASS_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    finish_message(msg);
    ncc_issue is = {code, line, column, msg};
    record_issue(p->res, p->sink, p->errors_kept, &is);
    ncc_level lv = ncc_code_level(code);
    if (lv == NCC_LEVEL_ROW)
        p->row_errors++;
    else if (lv == NCC_LEVEL_FILE)
        p->fatal = true;
}

void ncc_file_result_add_error(ncc_file_result *res, ncc_code code, const char *column,
                               const char *fmt, ...)
{
    char msg[NCC_PASS_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    finish_message(msg);
    ncc_issue is = {code, 0, column, msg};
    record_issue(res, NULL, 0, &is);
}

void ncc_quote_value(const char *s, size_t len, char *out, size_t cap)
{
    static const char withheld[] = "(value withheld: it looks like an NHS number)";
    if (cap < 8) {
        if (cap)
            out[0] = '\0';
        return;
    }
    if (ncc_contains_nhs_number(s, len)) {
        snprintf(out, cap, "%s", withheld);
        return;
    }
    size_t n = 0, chars = 0, i = 0;
    out[n++] = '"';
    while (i < len && chars < 40) {
        unsigned char c = (unsigned char)s[i];
        size_t seq = c < 0x80             ? 1
                     : (c & 0xe0) == 0xc0 ? 2
                     : (c & 0xf0) == 0xe0 ? 3
                     : (c & 0xf8) == 0xf0 ? 4
                                          : 1;
        if (i + seq > len)
            seq = len - i;
        if (n + seq + 5 > cap) /* whole characters only, room for "...", quote, NUL */
            break;
        if (seq == 1)
            out[n++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
        else {
            memcpy(out + n, s + i, seq);
            n += seq;
        }
        i += seq;
        chars++;
    }
    if (i < len) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n++] = '"';
    out[n] = '\0';
    /* cutting a longer run of digits can leave ten that look like an NHS number */
    if (ncc_contains_nhs_number(out, n))
        snprintf(out, cap, "%s", withheld);
}
