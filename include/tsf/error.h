/** @file
 * Status codes and error detail.
 *
 * Every library call that can fail returns a ::tsf_status.  On failure a
 * one-line, human-readable detail message (naming the file, line, column,
 * the offending text and what to do, where those apply) is kept per thread
 * and read with tsf_errmsg().  The library never prints and never exits. */
#ifndef TSF_ERROR_H
#define TSF_ERROR_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a call returns: ::TSF_OK or the kind of failure. */
typedef enum {
    TSF_OK = 0,  /**< success */
    TSF_EINVAL,  /**< invalid argument (a NULL pointer, a bad value) or bad input data */
    TSF_ENOMEM,  /**< an allocation failed */
    TSF_EPARSE,  /**< a CSV file, spec or model file could not be parsed */
    TSF_EIO,     /**< a file could not be opened, read or written */
    TSF_EDOMAIN, /**< data outside the model's domain (too short, non-positive for log, ...) */
    TSF_ENOCONV, /**< the optimiser did not converge / numerical failure */
    TSF_ENODEV,  /**< no usable GPU */
    TSF_EUNSUP,  /**< the model or build does not support this operation */
    TSF_EDEGENERATE /**< valid data the model cannot be fitted to: a constant or perfectly
                         predictable series, a non-stationary estimate (the message says
                         what to try) */
} tsf_status;

/** Short description of a status code ("invalid argument", ...).
 * @return a static string, never NULL (also for values outside the enum).
 * @par Thread safety
 * Safe from any thread. */
TSF_API const char *tsf_strerror(tsf_status status);

/** Detail message of the last failure on the calling thread.
 * @return "" when there was none; never NULL.  The string belongs to the
 * library and stays valid until the next failing call on this thread
 * (copy it to keep it).
 * @par Thread safety
 * Each thread has its own message. */
TSF_API const char *tsf_errmsg(void);

/** Clears the calling thread's detail message.
 * @par Thread safety
 * Affects only the calling thread. */
TSF_API void tsf_clear_error(void);

#ifdef __cplusplus
}
#endif
#endif
