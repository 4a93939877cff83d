/*
 * quality.c - section 4, the data quality of every file handled (audit.file_load,
 * audit.file_error, core.submission), newest first and whatever --fin-year says: a summary
 * line, then one row per file with what it loaded, its rows, how it ended and its most
 * frequent codes. Roles that may not read audit get a note in its place (rep_denied).
 */
#include <string.h>

#include "output/html.h"
#include "report.h"
#include "report_assets.h"

/* sql/quality.sql: one row per file, newest first */
enum {
    Q_ID,
    Q_FILE_NAME,
    Q_KIND,
    Q_SUBMISSIONS,
    Q_STARTED,
    Q_STATUS,
    Q_ROWS_READ,
    Q_ROWS_LOADED,
    Q_ROWS_REJECTED,
    Q_REJECTED_PCT,
    Q_ERROR_COUNT,
    Q_TOP_CODES,
    Q_MESSAGE,
    Q_SUPERSEDED,
    Q_NCOLS
};
static const char *const quality_cols[] = {
    [Q_ID] = "file_load_id",
    [Q_FILE_NAME] = "file_name",
    [Q_KIND] = "kind",
    [Q_SUBMISSIONS] = "submissions",
    [Q_STARTED] = "started_at",
    [Q_STATUS] = "status",
    [Q_ROWS_READ] = "rows_read",
    [Q_ROWS_LOADED] = "rows_loaded",
    [Q_ROWS_REJECTED] = "rows_rejected",
    [Q_REJECTED_PCT] = "rejected_pct",
    [Q_ERROR_COUNT] = "error_count",
    [Q_TOP_CODES] = "top_codes",
    [Q_MESSAGE] = "message",
    [Q_SUPERSEDED] = "superseded",
};
_Static_assert(sizeof quality_cols / sizeof quality_cols[0] == Q_NCOLS, "a name per column");
const rep_query rep_quality_query = {"sql/quality.sql", "reading audit.file_load",
                                     REPORT_SQL_QUALITY, quality_cols, Q_NCOLS};

#define S(s) fputs((s), r->out)
#define E(s) ncc_html_escape(r->out, (s))
#define V(i, c) rep_get(&r->dq, (i), (c))

/* Write text escaped, each piece between separators sep unbreakable, pieces joined by join. */
static void split_nowrap(report *r, const char *text, const char *sep, const char *join)
{
    size_t seplen = strlen(sep);
    while (*text) {
        const char *end = strstr(text, sep);
        size_t len = end ? (size_t)(end - text) : strlen(text);
        S("<span class=\"nowrap\">");
        ncc_html_escape_n(r->out, text, len);
        S("</span>");
        if (!end)
            break;
        S(join);
        text = end + seplen;
    }
}

/* "N files: ... loaded, ... unchanged, ... quarantined; rows read, loaded, rejected." */
static void quality_summary(report *r)
{
    const rep_result *q = &r->dq;
    long long files = q->n, quarantined = 0, unchanged = 0;
    ncc_money read = 0, loaded = 0, rejected = 0;
    for (int i = 0; i < q->n; i++) {
        if (strcmp(V(i, Q_STATUS), "quarantined") == 0)
            quarantined++;
        else if (strcmp(V(i, Q_STATUS), "unchanged") == 0)
            unchanged++;
        read += rep_money(V(i, Q_ROWS_READ));
        loaded += rep_money(V(i, Q_ROWS_LOADED));
        rejected += rep_money(V(i, Q_ROWS_REJECTED));
    }
    char b1[96], b2[96], b3[96];
    ncc_html_money_label(read, b1, sizeof b1);
    ncc_html_money_label(loaded, b2, sizeof b2);
    ncc_html_money_label(rejected, b3, sizeof b3);
    fprintf(r->out,
            "<p class=\"summary\"><b>%lld</b> file%s: <b>%lld</b> loaded, <b>%lld</b> "
            "unchanged, <b>%lld</b> quarantined; <b>%s</b> rows read, <b>%s</b> loaded, "
            "<b>%s</b> rejected.</p>\n",
            files, files == 1 ? "" : "s", files - quarantined - unchanged, unchanged, quarantined,
            b1, b2, b3);
}

/* A numeric cell of row i; bad: shaded as a problem. */
static void num_cell(report *r, int i, int c, bool bad)
{
    S(bad ? "<td class=\"num bad\">" : "<td class=\"num\">");
    E(V(i, c));
    S("</td>");
}

/* The row of file i. */
static void quality_row(report *r, int i)
{
    const char *st = V(i, Q_STATUS);
    const char *icon = strcmp(st, "loaded") == 0        ? "\xE2\x9C\x93" /* ✓ */
                       : strcmp(st, "quarantined") == 0 ? "\xE2\x9C\x95" /* ✕ */
                                                        : "=";
    S("<tr data-key=\"");
    E(V(i, Q_ID));
    S("\">");
    num_cell(r, i, Q_ID, false);
    S("<th scope=\"row\" class=\"fname\">");
    ncc_html_escape_wbr(r->out, V(i, Q_FILE_NAME));
    if (*V(i, Q_MESSAGE)) {
        S("<span class=\"msg\">");
        E(V(i, Q_MESSAGE));
        S("</span>");
    }
    S("</th><td>");
    E(V(i, Q_KIND));
    S("</td><td>");
    if (*V(i, Q_SUBMISSIONS))
        E(V(i, Q_SUBMISSIONS));
    else if (strcmp(V(i, Q_SUPERSEDED), "true") == 0)
        S("<i>replaced by a later file</i>");
    S("</td><td>");
    split_nowrap(r, V(i, Q_STARTED), " ", " ");
    S("</td><td class=\"nowrap fl-");
    E(st);
    fprintf(r->out, "\"><span aria-hidden=\"true\">%s</span> ", icon);
    E(st);
    S("</td>");
    num_cell(r, i, Q_ROWS_READ, false);
    num_cell(r, i, Q_ROWS_LOADED, false);
    num_cell(r, i, Q_ROWS_REJECTED,
             strcmp(V(i, Q_ROWS_REJECTED), "0") != 0 && strcmp(st, "unchanged") != 0);
    num_cell(r, i, Q_REJECTED_PCT, false);
    num_cell(r, i, Q_ERROR_COUNT, false);
    S("<td>");
    split_nowrap(r, V(i, Q_TOP_CODES), ", ", ",<br>");
    S("</td></tr>\n");
}

void rep_quality_write(report *r)
{
    const rep_result *q = &r->dq;
    S("<h2 id=\"quality\">5. Data quality of the files loaded</h2>\n"
      "<p>Every file the pipeline handled, newest first (<span class=\"code\">audit.file_load"
      "</span>): what it loaded, the rows read, loaded and rejected, how it ended, and its most "
      "frequent error and warning codes (<span class=\"code\">audit.file_error</span>; codes "
      "of contract section 4: F_ file, E_ row error, W_ warning). Every financial year is "
      "listed whatever --fin-year says.</p>\n");
    if (rep_denied(r, q))
        return;
    if (q->n == 0) {
        S("<p class=\"note\">No files have been loaded yet.</p>\n");
        return;
    }
    quality_summary(r);
    S("<div class=\"scroll\"><table class=\"dq-table\"><caption>Files handled, newest first"
      "</caption>\n<thead><tr>"
      "<th scope=\"col\" class=\"num\">Load</th><th scope=\"col\">File</th>"
      "<th scope=\"col\">Kind</th><th scope=\"col\">Submission</th>"
      "<th scope=\"col\">Started (UTC)</th><th scope=\"col\">Status</th>"
      "<th scope=\"col\" class=\"num\">Rows read</th><th scope=\"col\" class=\"num\">Loaded</th>"
      "<th scope=\"col\" class=\"num\">Rejected</th><th scope=\"col\" class=\"num\">% rejected</th>"
      "<th scope=\"col\" class=\"num\">Errors</th>"
      "<th scope=\"col\">Most frequent codes (count)</th></tr></thead>\n<tbody>\n");
    for (int i = 0; i < q->n; i++)
        quality_row(r, i);
    S("</tbody></table></div>\n");
    rep_row_cap_note(r, q, "audit.file_load");
}
