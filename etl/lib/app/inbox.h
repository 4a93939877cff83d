/*
 * inbox.h - the nightly run's directories (docs/operations.md "Delivering files", "What
 * happens to each file"): which files of the inbox are taken and in what order, the names
 * of the errors files, and the moves to the archive or the quarantine once a file's
 * transaction has committed.
 *
 * Taken: regular files whose name does not start with '.' or end in .part or .tmp (still
 * being written: the sender renames them when complete) and that were modified at least
 * min_age seconds ago. Order: by kind, read from the header (ledger, cost, NHSSC, supplier,
 * QART, then files of no known kind), by name (strcmp) within a kind. The reference data comes
 * before all of them, from --reference, not from the inbox.
 *
 * Errors files: while a file loads, its errors go to QUARANTINE/.NAME.errors.csv.PID.tmp
 * (hidden, so a half-written one is never mistaken for a result). A quarantined file goes
 * to QUARANTINE/NAME and its errors file becomes QUARANTINE/NAME.errors.csv; a loaded or
 * unchanged file goes to ARCHIVE/DAY/NAME and its errors file is removed. A name already
 * taken there gets .1, .2, ... (NAME.1 and NAME.1.errors.csv): nothing is overwritten.
 * Every move is durable (fileutil.h).
 *
 * Errors: -1 with errno set (the caller words the message); nothing here exits.
 */
#ifndef NCC_INBOX_H
#define NCC_INBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/validate.h"

#define NCC_INBOX_MAX_FILES 100000 /* taken in one run; the rest wait for the next */

/* Load order of the kinds. */
typedef enum ncc_inbox_phase {
    NCC_INBOX_LEDGER,
    NCC_INBOX_COST,
    NCC_INBOX_NHSSC,
    NCC_INBOX_SUPPLIER,
    NCC_INBOX_QART,
    NCC_INBOX_UNKNOWN, /* no known kind (they end quarantined) */
    NCC_INBOX_NPHASES
} ncc_inbox_phase;

typedef struct ncc_inbox_file {
    char *path;       /* INBOX/NAME; owned by the list */
    const char *name; /* NAME, inside path */
    ncc_inbox_phase phase;
} ncc_inbox_file;

/* The files taken, in load order. */
typedef struct ncc_inbox {
    ncc_inbox_file *files; /* owned: ncc_inbox_free */
    int n;
} ncc_inbox;

/* Whether a name is never taken: hidden, *.part or *.tmp. */
bool ncc_inbox_name_ignored(const char *name);

/* The phase of a kind name ("ledger", "cost", "nhssc", "supplier", "qart"); NULL or another name:
 * NCC_INBOX_UNKNOWN. */
ncc_inbox_phase ncc_inbox_phase_of(const char *kind);

/*
 * The files of dir that are taken now (the rule above), in load order; the kind of each is
 * peeked from its header with vcfg (ncc_validate_peek_kind). A regular file too young is
 * named at info level and left. Fills *out (caller frees with ncc_inbox_free); -1 when dir
 * cannot be read or memory runs out (errno), *out then empty.
 */
int ncc_inbox_scan(const char *dir, long min_age, const ncc_validate_config *vcfg, ncc_inbox *out);

/* Free the list's files (NULL-safe); the struct is left empty. */
void ncc_inbox_free(ncc_inbox *in);

/* QUARANTINE/.NAME.errors.csv.PID.tmp, the errors file of NAME while process pid loads it.
 * -1 (ENAMETOOLONG) when it does not fit in cap. */
int ncc_inbox_errors_tmp_path(const char *quarantine, const char *name, long pid, char *out,
                              size_t cap);

/* Whether a name in the quarantine is such an errors file (left by a run that was killed). */
bool ncc_inbox_is_errors_tmp(const char *name);

/* Remove every errors file a killed run left in quarantine. Only while holding the nightly
 * lock (no other run writes one). A directory that cannot be read is left alone. */
void ncc_inbox_remove_stale(const char *quarantine);

/*
 * The file loaded or was unchanged: remove errors_tmp, move f to ARCHIVE/DAY/NAME (created
 * as needed). The final path goes to moved[cap]. -1 when it could not be moved (the file
 * then stays where it is).
 */
int ncc_inbox_archive(const ncc_inbox_file *f, const char *archive, const char *day,
                      const char *errors_tmp, char *moved, size_t cap);

/*
 * The file was quarantined: move errors_tmp to QUARANTINE/<name>.errors.csv, then f to
 * QUARANTINE/<name>, where <name> is NAME, or NAME.1, NAME.2, ... when that data file
 * exists (an errors file without its data file is the leftover of a stopped run, and is
 * replaced). Errors file first: a quarantined file always has its reasons beside it.
 * The final path of the file goes to moved[cap]. -1 when either could not be moved.
 */
int ncc_inbox_quarantine(const ncc_inbox_file *f, const char *quarantine, const char *errors_tmp,
                         char *moved, size_t cap);

#endif
