/*
 * emit.c - writing the page: to stdout, to a device or pipe as it is, or into a regular file
 * replaced whole (written to a temporary file beside it, synced, renamed over it), so that a
 * web server never serves half a report and a failed run leaves no file behind.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/cli.h"
#include "report.h"
#include "shared/log.h"

/* Write the page into the open r->out and flush it; 0 or the errno of the first failure. */
static int write_out(report *r, void (*write_page)(report *r), int sync)
{
    write_page(r);
    int werr = ferror(r->out) ? (errno ? errno : EIO) : 0;
    if (fflush(r->out) != 0 && !werr)
        werr = errno;
    if (sync && !werr && fsync(fileno(r->out)) != 0)
        werr = errno;
    return werr;
}

/* Write the page to a stream opened on path (NULL: stdout) and close it. */
static int emit_stream(report *r, const char *path, void (*write_page)(report *r))
{
    r->out = path ? fopen(path, "w") : stdout;
    if (!r->out) {
        ncc_error("cannot create \"%s\": %s", path, strerror(errno));
        return NCC_EXIT_IOERR;
    }
    int werr = write_out(r, write_page, 0);
    if (path && fclose(r->out) != 0 && !werr)
        werr = errno;
    r->out = NULL;
    if (werr) {
        ncc_error("cannot write the report%s%s%s: %s", path ? " to \"" : "", path ? path : "",
                  path ? "\"" : "", strerror(werr));
        return NCC_EXIT_IOERR;
    }
    return r->oom ? NCC_EXIT_SOFTWARE : NCC_EXIT_OK;
}

/* Create the temporary file beside path, named into tmp (len + 16 bytes), mode as by umask. */
static int create_beside(const char *path, char *tmp, size_t len)
{
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp-XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        ncc_error("cannot create \"%s\": %s", path, strerror(errno));
        return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        ncc_error("cannot create \"%s\": %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    return fd;
}

int rep_emit(report *r, const char *path, void (*write_page)(report *r))
{
    struct stat st;
    if (!path || strcmp(path, "-") == 0)
        return emit_stream(r, NULL, write_page);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return emit_stream(r, path, write_page);
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp) {
        ncc_error("out of memory");
        return NCC_EXIT_SOFTWARE;
    }
    int status = NCC_EXIT_IOERR;
    int fd = create_beside(path, tmp, len);
    if (fd < 0)
        goto done;
    r->out = fdopen(fd, "w");
    if (!r->out) {
        ncc_error("cannot create \"%s\": %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        goto done;
    }
    int werr = write_out(r, write_page, 1);
    if (fclose(r->out) != 0 && !werr)
        werr = errno;
    r->out = NULL;
    if (!werr && !r->oom && rename(tmp, path) != 0)
        werr = errno;
    if (werr || r->oom) {
        if (werr)
            ncc_error("cannot write \"%s\": %s", path, strerror(werr));
        unlink(tmp);
        status = werr ? NCC_EXIT_IOERR : NCC_EXIT_SOFTWARE;
        goto done;
    }
    status = NCC_EXIT_OK;
done:
    free(tmp);
    return status;
}
