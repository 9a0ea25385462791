/* Fuzz target: the model-spec parser and its getters on arbitrary text.
 * Every getter is tried on every argument, the way a model family's parse
 * function would use them. */
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "fuzz.h"

static void check(int ok)
{
    if (!ok) abort();
}

static void exercise(tsf_spec *s)
{
    static const char *const choices[] = {"burg", "ols", "mle", "student-t", NULL};
    for (size_t g = 0; g < s->ngroups; g++) {
        for (size_t i = 0; i < s->groups[g].nargs; i++) {
            tsf_spec_arg *a = &s->groups[g].args[i];
            check(a->value != NULL);
            if (!a->key) {
                long v = 0;
                if (tsf_spec_arg_int(s, a, -5, 1000, &v) == TSF_OK) check(v >= -5 && v <= 1000);
                continue;
            }
            check(tsf_spec_find(s, g, a->key) != NULL);
            long k = 7;
            if (tsf_spec_get_int(s, g, a->key, 0, 100, &k) == TSF_OK) check(k >= 0 && k <= 100);
            double x = 0.5;
            if (tsf_spec_get_real(s, g, a->key, -1.0, 1e6, &x) == TSF_OK)
                check(x >= -1.0 && x <= 1e6);
            int c = -1;
            if (tsf_spec_get_choice(s, g, a->key, choices, &c) == TSF_OK) check(c >= 0 && c < 4);
        }
        check(tsf_spec_find(s, g, "\x01") == NULL);
    }
    (void)tsf_spec_check_unused(s, "p, max, method");
    (void)tsf_spec_error(s, 0, TSF_EPARSE, "fuzz %d", 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    if (size) memcpy(text, data, size);
    text[size] = '\0';
    tsf_spec *s = (tsf_spec *)&s;
    if (tsf_spec_parse(text, &s) == TSF_OK) {
        check(s != NULL && s->name != NULL && s->ngroups <= 2);
        exercise(s);
        tsf_spec_free(s);
    } else {
        check(s == NULL && tsf_errmsg()[0] != '\0');
    }
    free(text);
    return 0;
}
