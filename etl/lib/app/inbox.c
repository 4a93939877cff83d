/* inbox.c - what the nightly run takes from the inbox, and where files go (inbox.h). */
#include "app/inbox.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shared/fileutil.h"
#include "shared/log.h"

#define PATH_BYTES 4096
#define MAX_SUFFIX 1000 /* NAME, NAME.1 ... NAME.999 */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

bool ncc_inbox_name_ignored(const char *name)
{
    return name[0] == '.' || ends_with(name, ".part") || ends_with(name, ".tmp");
}

ncc_inbox_phase ncc_inbox_phase_of(const char *kind)
{
    static const char *const order[] = {"ledger", "cost", "nhssc", "supplier", "qart"};
    for (int i = 0; kind && i < (int)(sizeof order / sizeof order[0]); i++)
        if (strcmp(kind, order[i]) == 0)
            return (ncc_inbox_phase)i;
    return NCC_INBOX_UNKNOWN;
}

static int cmp_file(const void *a, const void *b)
{
    const ncc_inbox_file *x = a, *y = b;
    if (x->phase != y->phase)
        return (int)x->phase - (int)y->phase;
    return strcmp(x->name, y->name);
}

/* INBOX/NAME when the entry is taken now, else NULL (errno ENOMEM when out of memory, else
 * 0). */
static char *taken(const char *dir, const char *name, long min_age, time_t now)
{
    errno = 0;
    if (ncc_inbox_name_ignored(name))
        return NULL;
    size_t plen = strlen(dir) + strlen(name) + 2;
    char *path = malloc(plen);
    if (!path)
        return NULL;
    snprintf(path, plen, "%s/%s", dir, name);
    struct stat sb;
    bool regular = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
    if (!regular || now - sb.st_mtime < min_age) {
        if (regular)
            ncc_info("\"%s\" is younger than %ld s: left for the next run", name, min_age);
        free(path);
        errno = 0;
        return NULL;
    }
    return path;
}

int ncc_inbox_scan(const char *dir, long min_age, const ncc_validate_config *vcfg, ncc_inbox *out)
{
    out->files = NULL;
    out->n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int cap = 1024, k = 0;
    ncc_inbox_file *files = malloc((size_t)cap * sizeof *files);
    time_t now = time(NULL);
    struct dirent *e;
    while (files && k < NCC_INBOX_MAX_FILES && (e = readdir(d))) {
        char *path = taken(dir, e->d_name, min_age, now);
        if (!path) {
            if (errno == ENOMEM)
                goto fail;
            continue;
        }
        if (k == cap) {
            ncc_inbox_file *grown = realloc(files, (size_t)cap * 2 * sizeof *files);
            if (!grown) {
                free(path);
                goto fail;
            }
            files = grown;
            cap *= 2;
        }
        files[k].path = path;
        files[k].name = path + strlen(dir) + 1;
        const ncc_schema *kind = ncc_validate_peek_kind(path, vcfg);
        files[k].phase = ncc_inbox_phase_of(kind ? kind->kind : NULL);
        k++;
    }
    if (!files)
        goto fail;
    closedir(d);
    qsort(files, (size_t)k, sizeof *files, cmp_file);
    out->files = files;
    out->n = k;
    return 0;
fail:
    for (int i = 0; i < k; i++)
        free(files[i].path);
    free(files);
    closedir(d);
    errno = ENOMEM;
    return -1;
}

void ncc_inbox_free(ncc_inbox *in)
{
    if (!in)
        return;
    for (int i = 0; i < in->n; i++)
        free(in->files[i].path);
    free(in->files);
    in->files = NULL;
    in->n = 0;
}

/* snprintf into out[cap]; -1 (ENAMETOOLONG) when it does not fit. */
static int __attribute__((format(printf, 3, 4)))
path_of(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int ncc_inbox_errors_tmp_path(const char *quarantine, const char *name, long pid, char *out,
                              size_t cap)
{
    return path_of(out, cap, "%s/.%s.errors.csv.%ld.tmp", quarantine, name, pid);
}

bool ncc_inbox_is_errors_tmp(const char *name)
{
    return name[0] == '.' && ends_with(name, ".tmp") && strstr(name, ".errors.csv.");
}

void ncc_inbox_remove_stale(const char *quarantine)
{
    DIR *d = opendir(quarantine);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[PATH_BYTES];
        if (ncc_inbox_is_errors_tmp(e->d_name) &&
            path_of(path, sizeof path, "%s/%s", quarantine, e->d_name) == 0)
            unlink(path);
    }
    closedir(d);
}

/* Move src into dir (created as needed) as name, or name.1, name.2 ... when taken; the
 * final path to moved[cap]. */
/* The first of dir/name, dir/name.1, ... that does not exist, in moved. */
static int free_name(const char *dir, const char *name, char *moved, size_t cap)
{
    if (ncc_fileutil_mkdirs(dir) < 0)
        return -1;
    for (int i = 0; i < MAX_SUFFIX; i++) {
        int rc = i == 0 ? path_of(moved, cap, "%s/%s", dir, name)
                        : path_of(moved, cap, "%s/%s.%d", dir, name, i);
        if (rc < 0)
            return -1;
        struct stat sb;
        if (lstat(moved, &sb) != 0)
            return 0;
    }
    errno = EEXIST;
    return -1;
}

static int move_into(const char *src, const char *dir, const char *name, char *moved, size_t cap)
{
    if (free_name(dir, name, moved, cap) < 0)
        return -1;
    return ncc_fileutil_durable_move(src, moved);
}

int ncc_inbox_archive(const ncc_inbox_file *f, const char *archive, const char *day,
                      const char *errors_tmp, char *moved, size_t cap)
{
    char dir[PATH_BYTES];
    unlink(errors_tmp);
    if (path_of(dir, sizeof dir, "%s/%s", archive, day) < 0)
        return -1;
    return move_into(f->path, dir, f->name, moved, cap);
}

int ncc_inbox_quarantine(const ncc_inbox_file *f, const char *quarantine, const char *errors_tmp,
                         char *moved, size_t cap)
{
    if (free_name(quarantine, f->name, moved, cap) < 0)
        return -1;
    /* The errors file first, under the name the data file is about to get: a run
     * stopped between the two renames leaves the data file in the inbox (the next
     * night quarantines it again, replacing this errors file), never a quarantined
     * file without its reasons. */
    char errors[PATH_BYTES];
    if (path_of(errors, sizeof errors, "%s.errors.csv", moved) < 0)
        return -1;
    if (ncc_fileutil_durable_rename(errors_tmp, errors) < 0)
        return -1;
    return ncc_fileutil_durable_move(f->path, moved);
}
