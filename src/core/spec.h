/* Spec parser: the generic grammar  name[(args)[(args)]][[s]]
 * A value may itself be a spec with balanced (...) and [...] groups, as the
 * members of combo(arima(1,1,1), theta) are; nesting is limited to
 * TSF_SPEC_MAX_DEPTH levels of brackets of either kind.
 * e.g. "arima(1,1,1)(0,1,1)[12]", "ar(max=10, method=burg)", "auto",
 * "gru(hidden=64, head=student-t)".  Per-model validation lives with each
 * model family and uses the helpers below, whose error messages quote the
 * spec and point at the offending text (column, 1-based). */
#ifndef TSF_CORE_SPEC_H
#define TSF_CORE_SPEC_H

#include <stddef.h>
#include "tsf/error.h"

typedef struct {
    char *key;    /* NULL for a positional argument */
    char *value;  /* text of the value, trimmed */
    size_t pos;   /* byte offset of the argument in the spec text */
    int used;     /* set by the getters; tsf_spec_check_unused() reports the rest */
} tsf_spec_arg;

typedef struct {
    size_t nargs;
    tsf_spec_arg *args;
    size_t pos;   /* offset of the '(' */
} tsf_spec_group;

#define TSF_SPEC_MAX_DEPTH 6

typedef struct {
    char *text;            /* the whole spec as given */
    char *outer;           /* the enclosing spec this one is part of, or NULL */
    size_t offset;         /* where text begins in outer (0 without one) */
    char *name;            /* lower-case model name */
    size_t ngroups;        /* 0, 1 or 2 parenthesised groups */
    tsf_spec_group groups[2];
    long period;           /* [s], 0 when absent */
    size_t period_pos;
} tsf_spec;

/* Parses text.  TSF_EPARSE with e.g.
 *   spec "arima(1,1" at column 10: missing ')' */
tsf_status tsf_spec_parse(const char *text, tsf_spec **out);
/* The same for text found at offset in the enclosing spec outer (NULL for
 * none): errors then quote outer and count columns in it. */
tsf_status tsf_spec_parse_in(const char *text, const char *outer, size_t offset,
                             tsf_spec **out);
void tsf_spec_free(tsf_spec *s);

/* Sets this thread's error: spec "TEXT" at column C: MESSAGE.  Returns code. */
tsf_status tsf_spec_error(const tsf_spec *s, size_t pos, tsf_status code,
                          const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Finds key=value in group g (NULL when absent). */
tsf_spec_arg *tsf_spec_find(const tsf_spec *s, size_t g, const char *key);

/* Integer/real/choice getters: read key in group g; *out keeps its default
 * when the key is absent.  Range errors quote the text and give the range. */
tsf_status tsf_spec_get_int(const tsf_spec *s, size_t g, const char *key,
                            long lo, long hi, long *out);
tsf_status tsf_spec_get_real(const tsf_spec *s, size_t g, const char *key,
                             double lo, double hi, double *out);
/* choices: NULL-terminated list; *out = index of the match. */
tsf_status tsf_spec_get_choice(const tsf_spec *s, size_t g, const char *key,
                               const char *const *choices, int *out);
/* Parses a positional argument's value as an integer in [lo, hi]. */
tsf_status tsf_spec_arg_int(const tsf_spec *s, tsf_spec_arg *a, long lo, long hi, long *out);

/* Error for the first argument no getter used: unknown key, listing the
 * keys the model takes (comma-separated in known). */
tsf_status tsf_spec_check_unused(const tsf_spec *s, const char *known);

/* The spec's text with key=value in its first argument group: the value
 * of key replaced when the key is there, else the pair added at the end
 * of the group (a group created after the name when there is none).
 * *out is malloc'd (the caller frees it); TSF_ENOMEM. */
tsf_status tsf_spec_text_with(const tsf_spec *s, const char *key, const char *value,
                              char **out);

#endif
