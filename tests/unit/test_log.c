/* Unit tests of log: format, levels, detail and hint lines, colour and NO_COLOR. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "shared/log.h"

/* stderr redirected onto a temporary file (or any descriptor) while a test logs. */
typedef struct capture {
    int saved;
    int fd;
    char path[32];
} capture;

static void capture_fd(capture *c, int fd)
{
    fflush(stderr);
    c->saved = dup(STDERR_FILENO);
    cr_assert_geq(c->saved, 0);
    cr_assert_geq(dup2(fd, STDERR_FILENO), 0);
}

static void capture_begin(capture *c)
{
    strcpy(c->path, "/tmp/ncc-unit-log-XXXXXX");
    c->fd = mkstemp(c->path);
    cr_assert_geq(c->fd, 0);
    capture_fd(c, c->fd);
}

static void capture_restore(capture *c)
{
    fflush(stderr);
    cr_assert_geq(dup2(c->saved, STDERR_FILENO), 0);
    close(c->saved);
}

/* Restore stderr and return what was written (caller frees). */
static char *capture_end(capture *c)
{
    capture_restore(c);
    off_t size = lseek(c->fd, 0, SEEK_END);
    cr_assert_geq(size, 0);
    char *text = calloc(1, (size_t)size + 1);
    cr_assert_not_null(text);
    cr_assert_eq(pread(c->fd, text, (size_t)size, 0), size);
    close(c->fd);
    unlink(c->path);
    return text;
}

static void no_colour_env(void)
{
    unsetenv("NO_COLOR");
}

TestSuite(log, .init = no_colour_env);

#define ASSERT_LOGGED(expect, ...)                                                                 \
    do {                                                                                           \
        capture cap_;                                                                              \
        capture_begin(&cap_);                                                                      \
        __VA_ARGS__;                                                                               \
        char *got_ = capture_end(&cap_);                                                           \
        cr_assert_str_eq(got_, expect);                                                            \
        free(got_);                                                                                \
    } while (0)

Test(log, error_format_exact)
{
    ncc_log_init("test");
    ASSERT_LOGGED("test: error: message\n", ncc_error("message"));
}

Test(log, formats_arguments_on_one_line)
{
    ncc_log_init("test");
    ASSERT_LOGGED("test: error: cannot open \"in.csv\": 3 tries\n",
                  ncc_error("cannot open \"%s\": %d tries", "in.csv", 3));
    ASSERT_LOGGED("test: warning: 100% done\n", ncc_warning("100%% done"));
}

Test(log, program_name_without_directory)
{
    ncc_log_init("/usr/local/bin/ncc-validate");
    ASSERT_LOGGED("ncc-validate: error: x\n", ncc_error("x"));
    ncc_log_init("./build/ncc-load");
    ASSERT_LOGGED("ncc-load: warning: y\n", ncc_warning("y"));
}

Test(log, init_null_keeps_name_and_resets_level)
{
    ncc_log_init("first");
    ncc_log_set_level(NCC_LOG_DEBUG);
    ncc_log_init(NULL);
    cr_assert_eq(ncc_log_get_level(), NCC_LOG_WARNING);
    ASSERT_LOGGED("first: error: m\n", ncc_error("m"));
}

Test(log, default_level_is_warning)
{
    ncc_log_init("test");
    cr_assert_eq(ncc_log_get_level(), NCC_LOG_WARNING);
    ASSERT_LOGGED("test: warning: careful\n", ncc_warning("careful"));
    ASSERT_LOGGED("", ncc_info("hidden info"));
    ASSERT_LOGGED("", ncc_debug("hidden debug"));
}

Test(log, info_shown_after_set_level_info)
{
    ncc_log_init("test");
    ncc_log_set_level(NCC_LOG_INFO);
    cr_assert_eq(ncc_log_get_level(), NCC_LOG_INFO);
    ASSERT_LOGGED("test: info: 3 files\n", ncc_info("%d files", 3));
    ASSERT_LOGGED("", ncc_debug("still hidden"));
    ASSERT_LOGGED("test: warning: w\n", ncc_warning("w"));
    ASSERT_LOGGED("test: error: e\n", ncc_error("e"));
}

Test(log, debug_level_shows_everything)
{
    ncc_log_init("test");
    ncc_log_set_level(NCC_LOG_DEBUG);
    ASSERT_LOGGED("test: debug: d\ntest: info: i\n", ncc_debug("d"); ncc_info("i"));
}

Test(log, error_level_hides_warnings)
{
    ncc_log_init("test");
    ncc_log_set_level(NCC_LOG_ERROR);
    ASSERT_LOGGED("", ncc_warning("w"));
    ASSERT_LOGGED("test: error: e\n", ncc_error("e"));
}

Test(log, detail_and_hint_lines)
{
    ncc_log_init("test");
    ASSERT_LOGGED("test: error: cannot connect\n"
                  "  detail: connection refused\n"
                  "  hint: start the cluster with scripts/db start\n",
                  ncc_log(NCC_LOG_ERROR, "connection refused",
                          "start the cluster with scripts/db start", "cannot connect"));
    ASSERT_LOGGED("test: warning: w\n  detail: only detail\n",
                  ncc_log(NCC_LOG_WARNING, "only detail", NULL, "w"));
    ASSERT_LOGGED("test: error: e\n  hint: only hint\n",
                  ncc_log(NCC_LOG_ERROR, NULL, "only hint", "e"));
}

Test(log, detail_and_hint_hidden_with_their_message)
{
    ncc_log_init("test");
    ASSERT_LOGGED("", ncc_log(NCC_LOG_INFO, "detail", "hint", "info"));
}

Test(log, no_escape_codes_when_stderr_is_a_file)
{
    ncc_log_init("test");
    ncc_log_set_level(NCC_LOG_DEBUG);
    capture cap;
    capture_begin(&cap);
    cr_assert_not(ncc_log_is_tty());
    ncc_error("e");
    ncc_warning("w");
    ncc_info("i");
    ncc_debug("d");
    char *got = capture_end(&cap);
    cr_assert_str_eq(got, "test: error: e\ntest: warning: w\ntest: info: i\ntest: debug: d\n");
    cr_assert_null(strchr(got, '\033'));
    free(got);
}

/* A pseudo-terminal in raw mode; skips the test when none can be had. */
static void open_pty(int *master, int *slave)
{
    *master = posix_openpt(O_RDWR | O_NOCTTY);
    if (*master < 0 || grantpt(*master) < 0 || unlockpt(*master) < 0)
        cr_skip_test("no pseudo-terminal available");
    const char *name = ptsname(*master);
    cr_assert_not_null(name);
    *slave = open(name, O_RDWR | O_NOCTTY);
    cr_assert_geq(*slave, 0);
    struct termios t;
    cr_assert_eq(tcgetattr(*slave, &t), 0);
    cfmakeraw(&t);
    cr_assert_eq(tcsetattr(*slave, TCSANOW, &t), 0);
}

/* Everything available on the master side (caller frees). */
static char *drain_pty(int master)
{
    size_t cap = 4096, n = 0;
    char *buf = calloc(1, cap);
    cr_assert_not_null(buf);
    struct pollfd p = {master, POLLIN, 0};
    while (n + 1 < cap && poll(&p, 1, 200) > 0 && (p.revents & POLLIN)) {
        ssize_t k = read(master, buf + n, cap - 1 - n);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    buf[n] = '\0';
    return buf;
}

/* Log one error and one warning with stderr on a terminal; returns the output. */
static char *log_on_pty(bool *is_tty)
{
    int master, slave;
    open_pty(&master, &slave);
    capture cap;
    capture_fd(&cap, slave);
    *is_tty = ncc_log_is_tty();
    ncc_log(NCC_LOG_ERROR, "d", "h", "message");
    ncc_warning("w");
    capture_restore(&cap);
    close(slave);
    char *out = drain_pty(master);
    close(master);
    return out;
}

Test(log, colour_on_a_terminal)
{
    ncc_log_init("test");
    bool tty;
    char *out = log_on_pty(&tty);
    cr_assert(tty);
    cr_assert_not_null(strstr(out, "test: \033[1;31merror\033[0m: message\n"), "%s", out);
    cr_assert_not_null(strstr(out, "\n  detail: d\n  hint: h\n"), "%s", out);
    cr_assert_not_null(strstr(out, "test: \033[1;33mwarning\033[0m: w\n"), "%s", out);
    free(out);
}

Test(log, empty_no_color_does_not_disable_colour)
{
    /* no-color.org: only a non-empty NO_COLOR counts */
    setenv("NO_COLOR", "", 1);
    ncc_log_init("test");
    bool tty;
    char *out = log_on_pty(&tty);
    cr_assert(tty);
    cr_assert_not_null(strchr(out, '\033'), "%s", out);
    free(out);
}

Test(log, no_color_disables_escape_codes_on_a_terminal)
{
    setenv("NO_COLOR", "1", 1);
    ncc_log_init("test");
    bool tty;
    char *out = log_on_pty(&tty);
    cr_assert_not(tty);
    cr_assert_str_eq(out, "test: error: message\n  detail: d\n  hint: h\ntest: warning: w\n");
    cr_assert_null(strchr(out, '\033'));
    free(out);
}

Test(log, no_color_with_file_stderr)
{
    setenv("NO_COLOR", "1", 1);
    ncc_log_init("test");
    ASSERT_LOGGED("test: error: message\n", ncc_error("message"));
}
