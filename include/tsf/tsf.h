/* tsf — probabilistic time-series forecasting. */
#ifndef TSF_TSF_H
#define TSF_TSF_H

#define TSF_VERSION_MAJOR 0
#define TSF_VERSION_MINOR 1
#define TSF_VERSION_PATCH 0
#define TSF_VERSION_STRING "0.1.0"

#include "error.h"
#include "series.h"
#include "csv.h"
#include "model.h"
#include "state.h"
#include "stats.h"
#include "smooth.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the library the program runs against. */
const char *tsf_version(void);

#ifdef __cplusplus
}
#endif
#endif
