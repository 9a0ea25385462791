/* Helpers shared by the cmocka tests.  cmocka 1.1.5 (Debian bookworm) has
 * no double comparison (assert_float_equal casts to float), hence these. */
#ifndef TSF_TESTUTIL_H
#define TSF_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* |a - b| <= tol (absolute), NaN never passes. */
#define assert_close(a, b, tol)                                                          \
    do {                                                                                 \
        double a_ = (a), b_ = (b), t_ = (tol);                                           \
        if (!(fabs(a_ - b_) <= t_))                                                      \
            fail_msg("%s = %.12g, expected %.12g (tolerance %g)", #a, a_, b_, t_);       \
    } while (0)

/* |a - b| <= rel * |b| + abs_tol. */
#define assert_rel(a, b, rel, abs_tol)                                                   \
    do {                                                                                 \
        double a_ = (a), b_ = (b);                                                       \
        if (!(fabs(a_ - b_) <= (rel) * fabs(b_) + (abs_tol)))                            \
            fail_msg("%s = %.12g, expected %.12g (rel %g, abs %g)", #a, a_, b_,          \
                     (double)(rel), (double)(abs_tol));                                  \
    } while (0)

/* The message of the last error contains needle. */
#define assert_errmsg_has(needle)                                                        \
    do {                                                                                 \
        if (!strstr(tsf_errmsg(), (needle)))                                             \
            fail_msg("error message '%s' lacks '%s'", tsf_errmsg(), (needle));           \
    } while (0)

/* Path of a file under tests/ (TSF_TESTS set by meson, else "tests"). */
static inline const char *test_path(const char *rel, char *buf, size_t n)
{
    const char *dir = getenv("TSF_TESTS");
    snprintf(buf, n, "%s/%s", dir ? dir : "tests", rel);
    return buf;
}

#endif
