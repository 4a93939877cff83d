/* log.c - the one logging path: levels, optional detail and hint, stderr. */
#include "shared/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_progname = "ncc";
static ncc_log_level log_level = NCC_LOG_WARNING;

void ncc_log_init(const char *progname)
{
    if (progname) {
        const char *slash = strrchr(progname, '/');
        log_progname = slash ? slash + 1 : progname;
    }
    log_level = NCC_LOG_WARNING;
}

void ncc_log_set_level(ncc_log_level level)
{
    log_level = level;
}

ncc_log_level ncc_log_get_level(void)
{
    return log_level;
}

bool ncc_log_is_tty(void)
{
    const char *nc = getenv("NO_COLOR");
    return isatty(STDERR_FILENO) && !(nc && *nc);
}

void ncc_log(ncc_log_level level, const char *detail, const char *hint, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    static const char *const colours[] = {"\033[1;31m", "\033[1;33m", "\033[1;36m", "\033[2m"};
    if (level > log_level)
        return;
    bool colour = ncc_log_is_tty();
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* one line: libpq and others put newlines and tabs in their messages */
    size_t n = 0;
    for (size_t i = 0; msg[i]; i++) {
        char ch = msg[i];
        if (ch == '\n' || ch == '\r' || ch == '\t') {
            if (n && msg[n - 1] != ' ' && msg[i + 1])
                msg[n++] = ' ';
            continue;
        }
        if (ch == ' ' && n && msg[n - 1] == ' ')
            continue;
        msg[n++] = ch;
    }
    while (n && msg[n - 1] == ' ')
        n--;
    msg[n] = '\0';
    fprintf(stderr, "%s: %s%s%s: %s\n", log_progname, colour ? colours[level] : "", names[level],
            colour ? "\033[0m" : "", msg);
    if (detail)
        fprintf(stderr, "  detail: %s\n", detail);
    if (hint)
        fprintf(stderr, "  hint: %s\n", hint);
}
