/*
 * log.h - the one logging path for every stage.
 *
 * Messages go to stderr as "progname: level: message", lowercase, values
 * quoted, one line; an optional detail and hint follow on their own lines.
 * Colour only on a terminal and never when NO_COLOR is set.
 */
#ifndef NCC_LOG_H
#define NCC_LOG_H

#include <stdbool.h>

typedef enum ncc_log_level {
    NCC_LOG_ERROR = 0,
    NCC_LOG_WARNING = 1,
    NCC_LOG_INFO = 2,
    NCC_LOG_DEBUG = 3
} ncc_log_level;

/* Set the program name and default level (warning). Cannot fail. */
void ncc_log_init(const char *progname);
void ncc_log_set_level(ncc_log_level level);
ncc_log_level ncc_log_get_level(void);
/* True when stderr is a terminal and NO_COLOR is unset (progress, colour). */
bool ncc_log_is_tty(void);

void ncc_log(ncc_log_level level, const char *detail, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define ncc_error(...) ncc_log(NCC_LOG_ERROR, NULL, NULL, __VA_ARGS__)
#define ncc_warning(...) ncc_log(NCC_LOG_WARNING, NULL, NULL, __VA_ARGS__)
#define ncc_info(...) ncc_log(NCC_LOG_INFO, NULL, NULL, __VA_ARGS__)
#define ncc_debug(...) ncc_log(NCC_LOG_DEBUG, NULL, NULL, __VA_ARGS__)

#endif
