/* Atomic file writing: the one implementation (model files, states, the
 * CLI's CSV outputs, plots, batch output).
 *
 * The content goes to a temporary file in the target's directory (same
 * filesystem, so rename(2) is atomic), which is fsync'ed, renamed over the
 * target and followed by an fsync of the directory: a reader sees the old
 * file or the whole new one, never a part, even after a crash.  On Linux
 * the temporary file is an unnamed O_TMPFILE inode that gets a (unique,
 * hidden) name only at commit, so a killed process leaves nothing behind;
 * elsewhere, or where the filesystem lacks O_TMPFILE, a hidden
 * ".NAME.XXXXXX" file made by mkstemp.  Concurrent writers of one path each
 * have their own temporary file: the last commit wins, whole. */
#ifndef TSF_CORE_ATOMIC_H
#define TSF_CORE_ATOMIC_H

#include <stdio.h>
#include "tsf/error.h"

typedef struct tsf_atomic_file tsf_atomic_file;

/* Flags of tsf_atomic_open_flags. */
enum { TSF_ATOMIC_NO_TMPFILE = 1 /* always a named temporary file (tests) */ };

/* Opens the temporary file for path.  TSF_EIO (message names path, the
 * system's reason and what to check), TSF_ENOMEM, TSF_EINVAL for a NULL or
 * empty path.  The file's mode: that of the file it replaces, else
 * 0666 minus the umask (0644 on the named-file path). */
tsf_status tsf_atomic_open(const char *path, tsf_atomic_file **out);
tsf_status tsf_atomic_open_flags(const char *path, int flags, tsf_atomic_file **out);

/* The stream to write to (owned by f). */
FILE *tsf_atomic_stream(tsf_atomic_file *f);

/* Name of the temporary file while it has one (the named-file path), else
 * NULL: for a program that removes it from a signal handler. */
const char *tsf_atomic_tmpname(const tsf_atomic_file *f);

/* Flushes, fsyncs, renames into place and fsyncs the directory.  On
 * failure the temporary file is removed and the target is untouched
 * (TSF_EIO with the reason).  Frees f either way. */
tsf_status tsf_atomic_commit(tsf_atomic_file *f);

/* Drops the temporary file, leaving the target untouched; frees f.  NULL
 * is harmless. */
void tsf_atomic_discard(tsf_atomic_file *f);

#endif
