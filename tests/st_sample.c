/* Writes a small safetensors file with tsf and runs
 * tests/check_safetensors.py (pure Python: struct + json) on it, so that
 * files tsf writes are checked by an independent reader that follows the
 * published format.  Exit 77 (skipped) when python3 is absent. */
#include <errno.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/internal.h"

extern char **environ;

/* The values check_safetensors.py expects (keep the two in step). */
static tsf_status write_sample(const char *path)
{
    const double coef[6] = {0.5, -0.25, 1e-300, 1.7976931348623157e308, -0.0,
                            3.141592653589793};
    const float w[4] = {1.5f, -2.0f, 0.1f, 65504.0f};
    const int64_t idx[3] = {INT64_MIN, 0, 42};
    const double scalar = 2.5;
    const size_t s_coef[2] = {2, 3}, s_w[1] = {4}, s_idx[1] = {3}, s_empty[2] = {0, 3};
    tsf_st *doc;
    tsf_status st = tsf_st_new(&doc);
    if (st) return st;
    if (!(st = tsf_st_set_meta(doc, "format", "tsf")) &&
        !(st = tsf_st_set_meta(doc, "spec", "arima(1,1,1)(0,1,1)[12]")) &&
        !(st = tsf_st_set_meta(doc, "note", "\xc3\xbcnicode \"q\"")) &&
        !(st = tsf_st_add(doc, "w", TSF_ST_F32, 1, s_w, w)) &&
        !(st = tsf_st_add(doc, "coef", TSF_ST_F64, 2, s_coef, coef)) &&
        !(st = tsf_st_add(doc, "idx", TSF_ST_I64, 1, s_idx, idx)) &&
        !(st = tsf_st_add(doc, "scalar", TSF_ST_F64, 0, NULL, &scalar)) &&
        !(st = tsf_st_add(doc, "empty", TSF_ST_F32, 2, s_empty, NULL)))
        st = tsf_st_write(doc, path);
    tsf_st_free(doc);
    return st;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s check_safetensors.py\n", argv[0]);
        return 2;
    }
    char dir[] = "/tmp/tsf-pycheck-XXXXXX", path[64];
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/sample.safetensors", dir);
    int rc = 1;
    if (write_sample(path)) {
        fprintf(stderr, "tsf_st_write: %s\n", tsf_errmsg());
    } else {
        char *args[] = {"python3", argv[1], path, NULL};
        pid_t pid;
        int e = posix_spawnp(&pid, "python3", NULL, NULL, args, environ), status;
        if (e == ENOENT) {
            fprintf(stderr, "python3 not found: skipped\n");
            rc = 77;
        } else if (e) {
            fprintf(stderr, "cannot run python3: %s\n", strerror(e));
        } else if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
            rc = WEXITSTATUS(status);
        }
    }
    unlink(path);
    rmdir(dir);
    return rc;
}
