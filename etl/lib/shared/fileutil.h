/*
 * fileutil.h - durable file operations, after durable_rename() and fsync_fname() in
 * PostgreSQL's src/common/file_utils.c: a file written or moved here is still there, whole,
 * under its new name after a crash of the machine, not only of the process.
 *
 * POSIX makes rename() atomic but not durable: until the directory is fsynced the old name
 * may come back after a power loss, and until the file itself is fsynced its new name may
 * point at blocks never written. So every rename here fsyncs the file first, then the
 * directories whose entries changed.
 *
 * Errors: every function returns 0 on success and -1 on failure with errno as the failing
 * call left it (the caller words the message: strerror(errno)). Nothing here prints, logs or
 * exits. Linux: files are fsynced through a read-only descriptor; as in PostgreSQL, a
 * directory that cannot be opened (EACCES) or fsynced (EBADF, EINVAL) is not an error.
 */
#ifndef NCC_FILEUTIL_H
#define NCC_FILEUTIL_H

#include <stdbool.h>
#include <stdio.h>

/* Create dir and every missing parent (mode 0755 before the umask). An existing
 * directory is not an error. ENAMETOOLONG beyond 4095 bytes. */
int ncc_fileutil_mkdirs(const char *dir);

/* fsync the file or directory at path (is_dir: open it as a directory). */
int ncc_fileutil_fsync(const char *path, bool is_dir);

/* fsync the directory that holds path ("." for a bare name), so that an entry created,
 * renamed or removed there is on disk. */
int ncc_fileutil_fsync_parent(const char *path);

/*
 * Rename oldpath to newpath durably, as rename() does (an existing newpath is replaced
 * atomically): the file's data is fsynced first (skipped when the file cannot be opened
 * for reading, EACCES: then it was not written by us), then the directory of newpath, and
 * the directory of oldpath when it is another one. Both paths on one file system.
 */
int ncc_fileutil_durable_rename(const char *oldpath, const char *newpath);

/*
 * Move the file src to dst, which should not exist: ncc_fileutil_durable_rename, or, when
 * dst is on another file system (EXDEV), a copy created with O_EXCL (EEXIST if dst
 * appeared), fsynced with its directory, then src removed and its directory fsynced. A copy
 * that fails part way is removed again; src is then left as it was.
 */
int ncc_fileutil_durable_move(const char *src, const char *dst);

/*
 * A file written whole or not at all: the data goes to a temporary file beside path
 * (path.tmp-XXXXXX, mode 0666 minus the umask), which commit fsyncs and renames over path;
 * readers see the old file or the new one, never a part. Use:
 *
 *     ncc_fileutil_atomic af;
 *     if (ncc_fileutil_atomic_open(&af, path) < 0) ...       (nothing created)
 *     fprintf(af.f, ...);
 *     if (ncc_fileutil_atomic_commit(&af) < 0) ...           (path untouched, temp removed)
 *
 * or ncc_fileutil_atomic_abort(&af) to give up. After commit or abort the struct holds
 * nothing; abort on a struct that holds nothing does nothing.
 */
typedef struct ncc_fileutil_atomic {
    FILE *f;   /* write the data here; owned by the struct (commit or abort closes it) */
    char *tmp; /* the temporary file's path; owned by the struct */
    char *path;
} ncc_fileutil_atomic;

int ncc_fileutil_atomic_open(ncc_fileutil_atomic *af, const char *path);
/* fflush, fsync, close, rename over path, fsync path's directory. A write error the stream
 * saw earlier fails the commit with EIO. Failing before the rename removes the temporary
 * file and leaves path as it was; failing at the last fsync leaves the new file in place. */
int ncc_fileutil_atomic_commit(ncc_fileutil_atomic *af);
void ncc_fileutil_atomic_abort(ncc_fileutil_atomic *af);

#endif
