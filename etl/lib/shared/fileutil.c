/* fileutil.c - durable file operations (fileutil.h). */
#include "shared/fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_BYTES 4096

int ncc_fileutil_mkdirs(const char *dir)
{
    char tmp[PATH_BYTES];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int ncc_fileutil_fsync(const char *path, bool is_dir)
{
    int fd = open(path, is_dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    /* as fsync_fname_ext: a directory we may not open, or one the file system cannot
     * fsync, is not an error */
    if (fd < 0)
        return is_dir && errno == EACCES ? 0 : -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0 && is_dir && (saved == EBADF || saved == EINVAL))
        rc = 0;
    errno = saved;
    return rc;
}

/* The directory part of path into dir ("." when there is none, "/" for the root). */
static int parent_of(const char *path, char *dir, size_t cap)
{
    const char *slash = strrchr(path, '/');
    size_t len = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    if (len >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(dir, !slash ? "." : path, len);
    dir[len] = '\0';
    return 0;
}

int ncc_fileutil_fsync_parent(const char *path)
{
    char dir[PATH_BYTES];
    if (parent_of(path, dir, sizeof dir) < 0)
        return -1;
    return ncc_fileutil_fsync(dir, true);
}

/* fsync the directories of a and b (b's only when it is another directory). */
static int fsync_parents(const char *a, const char *b)
{
    char da[PATH_BYTES], db[PATH_BYTES];
    if (parent_of(a, da, sizeof da) < 0 || parent_of(b, db, sizeof db) < 0)
        return -1;
    if (ncc_fileutil_fsync(da, true) < 0)
        return -1;
    return strcmp(da, db) == 0 ? 0 : ncc_fileutil_fsync(db, true);
}

int ncc_fileutil_durable_rename(const char *oldpath, const char *newpath)
{
    if (ncc_fileutil_fsync(oldpath, false) < 0 && errno != EACCES)
        return -1;
    if (rename(oldpath, newpath) != 0)
        return -1;
    return fsync_parents(newpath, oldpath);
}

/* All of len bytes to fd; -1 on a failed or zero-length write (ENOSPC when none set). */
static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Copy src to a new file dst, fsynced. On failure dst is removed (when we created it). */
static int copy_durably(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY), out = -1, rc = -1, saved = 0;
    if (in < 0)
        return -1;
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (out < 0) {
        saved = errno;
        goto done;
    }
    char buf[65536];
    ssize_t n;
    for (;;) {
        n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || write_all(out, buf, (size_t)n) < 0)
            break;
    }
    if (n == 0 && fsync(out) == 0)
        rc = 0;
    saved = errno;
    if (close(out) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0)
        unlink(dst);
done:
    close(in);
    errno = saved;
    return rc;
}

int ncc_fileutil_durable_move(const char *src, const char *dst)
{
    if (ncc_fileutil_durable_rename(src, dst) == 0)
        return 0;
    if (errno != EXDEV)
        return -1;
    if (copy_durably(src, dst) < 0 || ncc_fileutil_fsync_parent(dst) < 0)
        return -1;
    if (unlink(src) != 0)
        return -1;
    return ncc_fileutil_fsync_parent(src);
}

int ncc_fileutil_atomic_open(ncc_fileutil_atomic *af, const char *path)
{
    memset(af, 0, sizeof *af);
    size_t len = strlen(path);
    af->tmp = malloc(len + 12);
    af->path = strdup(path);
    if (!af->tmp || !af->path) {
        free(af->tmp);
        free(af->path);
        memset(af, 0, sizeof *af);
        errno = ENOMEM;
        return -1;
    }
    memcpy(af->tmp, path, len);
    memcpy(af->tmp + len, ".tmp-XXXXXX", 12);
    int fd = mkstemp(af->tmp), saved;
    if (fd < 0)
        goto fail;
    /* mkstemp makes 0600; a file written in place would get 0666 minus the umask */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) == 0 && (af->f = fdopen(fd, "w")))
        return 0;
    saved = errno;
    close(fd);
    unlink(af->tmp);
    errno = saved;
fail:
    saved = errno;
    free(af->tmp);
    free(af->path);
    memset(af, 0, sizeof *af);
    errno = saved;
    return -1;
}

int ncc_fileutil_atomic_commit(ncc_fileutil_atomic *af)
{
    int err = ferror(af->f) ? EIO : 0;
    if (fflush(af->f) != 0 && !err)
        err = errno;
    if (!err && fsync(fileno(af->f)) != 0)
        err = errno;
    if (fclose(af->f) != 0 && !err)
        err = errno;
    af->f = NULL;
    if (!err && rename(af->tmp, af->path) != 0)
        err = errno;
    if (err)
        unlink(af->tmp); /* not renamed: the temporary file is still there */
    else if (ncc_fileutil_fsync_parent(af->path) != 0)
        err = errno; /* renamed, but the new name may not survive a crash */
    free(af->tmp);
    free(af->path);
    memset(af, 0, sizeof *af);
    errno = err;
    return err ? -1 : 0;
}

void ncc_fileutil_atomic_abort(ncc_fileutil_atomic *af)
{
    if (!af)
        return;
    if (af->f)
        fclose(af->f);
    if (af->tmp)
        unlink(af->tmp);
    free(af->tmp);
    free(af->path);
    memset(af, 0, sizeof *af);
}
