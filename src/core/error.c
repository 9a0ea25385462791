/* Status strings and the per-thread detail message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "internal.h"

/* Thread-local, so distinct threads never see each other's messages; this
 * is the library's only mutable static storage. */
static _Thread_local char errbuf[1024];

const char *tsf_strerror(tsf_status status)
{
    switch (status) {
    case TSF_OK: return "success";
    case TSF_EINVAL: return "invalid argument";
    case TSF_ENOMEM: return "out of memory";
    case TSF_EPARSE: return "parse error";
    case TSF_EIO: return "input/output error";
    case TSF_EDOMAIN: return "data outside the model's domain";
    case TSF_ENOCONV: return "numerical failure";
    case TSF_ENODEV: return "no usable GPU";
    case TSF_EUNSUP: return "not supported";
    case TSF_EDEGENERATE: return "degenerate data for the model";
    }
    return "unknown status";
}

const char *tsf_errmsg(void) { return errbuf; }

void tsf_clear_error(void) { errbuf[0] = '\0'; }

tsf_status tsf_set_error(tsf_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    return code;
}

/* Writes text (len bytes) quoted for a one-line message: at most 40 bytes,
 * control and non-ASCII bytes escaped. */
const char *tsf_show_text(char *out, size_t n, const char *text, size_t len)
{
    size_t o = 0;
    const size_t max = 40;
    for (size_t i = 0; i < len && i < max && o + 5 < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') o += (size_t)snprintf(out + o, n - o, "\\n");
        else if (c == '\r') o += (size_t)snprintf(out + o, n - o, "\\r");
        else if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
        else out[o++] = (char)c;
    }
    if (len > max && o + 4 < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o < n ? o : n - 1] = '\0';
    return out;
}
