/* Generic spec parser:  name [ '(' args ')' [ '(' args ')' ] ] [ '[' int ']' ]
 * args := arg { ',' arg },  arg := value | key '=' value,
 * value := word { '(' ... ')' | '[' ... ']' }, word := one or more characters
 * other than , ( ) [ ] = and spaces; a nested spec such as mean=arma(1,0)
 * is one value, its balanced brackets kept as text for the family to read. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void tsf_spec_free(tsf_spec *s)
{
    if (!s) return;
    for (size_t g = 0; g < s->ngroups; g++) {
        for (size_t i = 0; i < s->groups[g].nargs; i++) {
            free(s->groups[g].args[i].key);
            free(s->groups[g].args[i].value);
        }
        free(s->groups[g].args);
    }
    free(s->text);
    free(s->outer);
    free(s->name);
    free(s);
}

tsf_status tsf_spec_error(const tsf_spec *s, size_t pos, tsf_status code, const char *fmt, ...)
{
    char msg[512], text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Quote the spec on one line: control bytes become '?', and a long
     * spec is cut (the column still points into the original). */
    const char *whole = s->outer ? s->outer : s->text;
    size_t i = 0;
    for (; whole[i] && i + 1 < sizeof text; i++) {
        unsigned char c = (unsigned char)whole[i];
        text[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    text[i] = '\0';
    for (char *m = msg; *m; m++)
        if ((unsigned char)*m < 0x20 || *m == 0x7f) *m = '?';
    return tsf_set_error(code, "spec \"%s%s\" at column %zu: %s", text,
                         whole[i] ? "..." : "", s->offset + pos + 1, msg);
}

static void skip_space(const char *t, size_t *i)
{
    while (t[*i] == ' ' || t[*i] == '\t') (*i)++;
}

static int is_value_char(char c)
{
    return c && !strchr(",()[]= \t", c) && (unsigned char)c >= 0x20;
}

static char *dup_range(const char *t, size_t a, size_t b)
{
    char *r = malloc(b - a + 1);
    if (!r) return NULL;
    memcpy(r, t + a, b - a);
    r[b - a] = '\0';
    return r;
}

/* Describes the character at t[i] for messages. */
static const char *what_at(const char *t, size_t i, char *buf, size_t n)
{
    if (!t[i]) return "the end of the spec";
    if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] >= 0x7f)
        snprintf(buf, n, "byte 0x%02x", (unsigned char)t[i]);
    else
        snprintf(buf, n, "'%c'", t[i]);
    return buf;
}

/* Scans a value from t[*i]: value characters, and balanced (...) or [...]
 * groups after them (a nested spec such as arima(1,1,1)(0,1,1)[12]). */
static tsf_status scan_value(tsf_spec *s, size_t *i, int depth)
{
    const char *t = s->text;
    char w[16];
    size_t a = *i;
    while (is_value_char(t[*i])) (*i)++;
    if (*i == a) return TSF_OK;
    while (t[*i] == '(' || t[*i] == '[') {
        char close = t[*i] == '(' ? ')' : ']';
        size_t open = *i;
        /* brackets count too: the recursion stays bounded on any input */
        if (depth + 1 >= TSF_SPEC_MAX_DEPTH)
            return tsf_spec_error(s, open, TSF_EPARSE, "specs are nested too deeply (at most %d "
                                  "levels of brackets)", TSF_SPEC_MAX_DEPTH);
        (*i)++;
        for (;;) {
            while (t[*i] == ' ' || t[*i] == '\t' || t[*i] == ',' || t[*i] == '=') (*i)++;
            if (t[*i] == close) break;
            if (!t[*i])
                return tsf_spec_error(s, *i, TSF_EPARSE, "missing '%c' to close the '%c' at "
                                      "column %zu", close, t[open], s->offset + open + 1);
            size_t b = *i;
            tsf_status st = scan_value(s, i, depth + 1);
            if (st) return st;
            if (*i == b)
                return tsf_spec_error(s, *i, TSF_EPARSE, "expected '%c' to close the '%c' at "
                                      "column %zu, found %s", close, t[open],
                                      s->offset + open + 1, what_at(t, *i, w, sizeof w));
        }
        (*i)++;
        while (is_value_char(t[*i])) (*i)++;
    }
    return TSF_OK;
}

static tsf_status parse_group(tsf_spec *s, size_t *i, tsf_spec_group *g)
{
    const char *t = s->text;
    char w[16];
    g->pos = *i;
    (*i)++; /* '(' */
    skip_space(t, i);
    if (t[*i] == ')') { /* empty group: "gru()" */
        (*i)++;
        return TSF_OK;
    }
    for (;;) {
        skip_space(t, i);
        size_t a = *i;
        tsf_status st = scan_value(s, i, 1);
        if (st) return st;
        if (*i == a)
            return tsf_spec_error(s, *i, TSF_EPARSE, "expected a value, found %s",
                                  what_at(t, *i, w, sizeof w));
        size_t b = *i;
        char *key = NULL, *value;
        skip_space(t, i);
        int keyed = t[*i] == '=';
        if (keyed) {
            (*i)++;
            skip_space(t, i);
            size_t va = *i;
            if ((st = scan_value(s, i, 1))) return st;
            if (*i == va)
                return tsf_spec_error(s, *i, TSF_EPARSE, "expected a value after '=', found %s",
                                      what_at(t, *i, w, sizeof w));
            key = dup_range(t, a, b);
            value = dup_range(t, va, *i);
            if (key)
                for (char *k = key; *k; k++) *k = (char)tolower((unsigned char)*k);
        } else {
            value = dup_range(t, a, b);
        }
        tsf_spec_arg *na = realloc(g->args, (g->nargs + 1) * sizeof *na);
        if (!na || !value || (keyed && !key)) {
            free(key); free(value);
            if (na) g->args = na;
            return tsf_set_error(TSF_ENOMEM, "out of memory parsing a spec");
        }
        g->args = na;
        g->args[g->nargs++] = (tsf_spec_arg){key, value, a, 0};
        skip_space(t, i);
        if (t[*i] == ',') { (*i)++; continue; }
        if (t[*i] == ')') { (*i)++; return TSF_OK; }
        if (!t[*i])
            return tsf_spec_error(s, *i, TSF_EPARSE, "missing ')' to close the '(' at column %zu",
                                  s->offset + g->pos + 1);
        return tsf_spec_error(s, *i, TSF_EPARSE, "expected ',' or ')', found %s",
                              what_at(t, *i, w, sizeof w));
    }
}

tsf_status tsf_spec_parse(const char *text, tsf_spec **out)
{
    return tsf_spec_parse_in(text, NULL, 0, out);
}

tsf_status tsf_spec_parse_in(const char *text, const char *outer, size_t offset,
                             tsf_spec **out)
{
    *out = NULL;
    if (!text) return tsf_set_error(TSF_EINVAL, "no model spec given");
    tsf_spec *s = calloc(1, sizeof *s);
    if (!s || !(s->text = strdup(text)) || (outer && !(s->outer = strdup(outer)))) {
        if (s) free(s->text);
        free(s);
        return tsf_set_error(TSF_ENOMEM, "out of memory parsing a spec");
    }
    s->offset = outer ? offset : 0;
    const char *t = s->text;
    char w[16];
    size_t i = 0;
    tsf_status st = TSF_OK;
    skip_space(t, &i);
    size_t a = i;
    while (isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '-') i++;
    if (i == a) {
        st = tsf_spec_error(s, i, TSF_EPARSE, "expected a model name (ar, arima, auto, ...), "
                            "found %s", what_at(t, i, w, sizeof w));
        goto fail;
    }
    if (!(s->name = dup_range(t, a, i))) {
        st = tsf_set_error(TSF_ENOMEM, "out of memory parsing a spec");
        goto fail;
    }
    for (char *k = s->name; *k; k++) *k = (char)tolower((unsigned char)*k);
    skip_space(t, &i);
    while (t[i] == '(') {
        if (s->ngroups == 2) {
            st = tsf_spec_error(s, i, TSF_EPARSE, "at most two argument groups are allowed");
            goto fail;
        }
        if ((st = parse_group(s, &i, &s->groups[s->ngroups++]))) goto fail;
        skip_space(t, &i);
    }
    if (t[i] == '[') {
        s->period_pos = i;
        i++;
        skip_space(t, &i);
        size_t pa = i;
        while (isdigit((unsigned char)t[i])) i++;
        if (i == pa) {
            st = tsf_spec_error(s, i, TSF_EPARSE, "expected the period (a whole number) after "
                                "'[', found %s", what_at(t, i, w, sizeof w));
            goto fail;
        }
        errno = 0;
        long p = strtol(t + pa, NULL, 10);
        if (errno || p < 1 || p > 100000) {
            st = tsf_spec_error(s, pa, TSF_EPARSE, "period must be between 1 and 100000");
            goto fail;
        }
        s->period = p;
        skip_space(t, &i);
        if (t[i] != ']') {
            st = tsf_spec_error(s, i, TSF_EPARSE, "expected ']', found %s",
                                what_at(t, i, w, sizeof w));
            goto fail;
        }
        i++;
        skip_space(t, &i);
    }
    if (t[i]) {
        st = tsf_spec_error(s, i, TSF_EPARSE, "unexpected %s after the spec",
                            what_at(t, i, w, sizeof w));
        goto fail;
    }
    *out = s;
    return TSF_OK;
fail:
    tsf_spec_free(s);
    return st;
}

tsf_spec_arg *tsf_spec_find(const tsf_spec *s, size_t g, const char *key)
{
    if (g >= s->ngroups) return NULL;
    for (size_t i = 0; i < s->groups[g].nargs; i++) {
        tsf_spec_arg *a = &s->groups[g].args[i];
        if (a->key && strcmp(a->key, key) == 0) return a;
    }
    return NULL;
}

tsf_status tsf_spec_arg_int(const tsf_spec *s, tsf_spec_arg *a, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(a->value, &end, 10);
    a->used = 1;
    if (*end || end == a->value)
        return tsf_spec_error(s, a->pos, TSF_EPARSE, "'%s' is not a whole number", a->value);
    if (errno || v < lo || v > hi)
        return tsf_spec_error(s, a->pos, TSF_EPARSE, "%s%s%s is out of range: use %ld to %ld",
                              a->key ? a->key : "", a->key ? "=" : "", a->value, lo, hi);
    *out = v;
    return TSF_OK;
}

tsf_status tsf_spec_get_int(const tsf_spec *s, size_t g, const char *key, long lo, long hi,
                            long *out)
{
    tsf_spec_arg *a = tsf_spec_find(s, g, key);
    return a ? tsf_spec_arg_int(s, a, lo, hi, out) : TSF_OK;
}

tsf_status tsf_spec_get_real(const tsf_spec *s, size_t g, const char *key, double lo, double hi,
                             double *out)
{
    tsf_spec_arg *a = tsf_spec_find(s, g, key);
    if (!a) return TSF_OK;
    a->used = 1;
    char *end;
    errno = 0;
    double v = strtod(a->value, &end);
    if (*end || end == a->value || !isfinite(v))
        return tsf_spec_error(s, a->pos, TSF_EPARSE, "'%s' is not a number", a->value);
    if (errno || v < lo || v > hi)
        return tsf_spec_error(s, a->pos, TSF_EPARSE, "%s=%s is out of range: use %g to %g", key,
                              a->value, lo, hi);
    *out = v;
    return TSF_OK;
}

tsf_status tsf_spec_get_choice(const tsf_spec *s, size_t g, const char *key,
                               const char *const *choices, int *out)
{
    tsf_spec_arg *a = tsf_spec_find(s, g, key);
    if (!a) return TSF_OK;
    a->used = 1;
    char list[256] = "";
    for (int i = 0; choices[i]; i++) {
        if (strcmp(a->value, choices[i]) == 0) {
            *out = i;
            return TSF_OK;
        }
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? "|" : "", choices[i]);
    }
    return tsf_spec_error(s, a->pos, TSF_EPARSE, "%s=%s is not one of %s", key, a->value, list);
}

tsf_status tsf_spec_check_unused(const tsf_spec *s, const char *known)
{
    for (size_t g = 0; g < s->ngroups; g++)
        for (size_t i = 0; i < s->groups[g].nargs; i++) {
            const tsf_spec_arg *a = &s->groups[g].args[i];
            if (a->used) continue;
            if (a->key)
                return tsf_spec_error(s, a->pos, TSF_EPARSE, "unknown key '%s' for %s(); "
                                      "it takes %s", a->key, s->name, known);
            return tsf_spec_error(s, a->pos, TSF_EPARSE, "unexpected value '%s' for %s(); "
                                  "it takes %s", a->value, s->name, known);
        }
    return TSF_OK;
}

tsf_status tsf_spec_text_with(const tsf_spec *s, const char *key, const char *value, char **out)
{
    *out = NULL;
    const char *t = s->text;
    size_t n = strlen(t), at, cut = 0;
    char add[96];
    const tsf_spec_arg *a = s->ngroups ? tsf_spec_find(s, 0, key) : NULL;
    if (a) { /* replace the value: it follows the key, '=' and spaces */
        at = a->pos + strlen(a->key);
        while (t[at] == ' ' || t[at] == '\t') at++;
        at++; /* '=' */
        while (t[at] == ' ' || t[at] == '\t') at++;
        cut = strlen(a->value);
        snprintf(add, sizeof add, "%s", value);
    } else if (s->ngroups) { /* before the ')' closing the first group */
        int depth = 0;
        for (at = s->groups[0].pos; at < n; at++) {
            if (t[at] == '(' || t[at] == '[') depth++;
            else if ((t[at] == ')' || t[at] == ']') && --depth == 0) break;
        }
        snprintf(add, sizeof add, "%s%s=%s", s->groups[0].nargs ? ", " : "", key, value);
    } else { /* a group after the name */
        at = 0;
        while (t[at] == ' ' || t[at] == '\t') at++;
        at += strlen(s->name);
        snprintf(add, sizeof add, "(%s=%s)", key, value);
    }
    size_t la = strlen(add);
    char *r = malloc(n - cut + la + 1);
    if (!r) return tsf_set_error(TSF_ENOMEM, "out of memory writing a spec");
    memcpy(r, t, at);
    memcpy(r + at, add, la);
    memcpy(r + at + la, t + at + cut, n - at - cut + 1);
    *out = r;
    return TSF_OK;
}
