/** @file
 * Symbol visibility of the public API.
 *
 * libtsf is built with -fvisibility=hidden: only the declarations marked
 * TSF_API in include/tsf/ are exported from libtsf.so, so that internal
 * functions stay free to change (tests/check_exports.py compares the two
 * lists).  Programs that link the static library see TSF_API as a plain
 * declaration. */
#ifndef TSF_EXPORT_H
#define TSF_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
/** Marks a declaration as part of libtsf's exported API. */
#define TSF_API __attribute__((visibility("default")))
#else
#define TSF_API
#endif

#endif
