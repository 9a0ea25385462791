/** @file
 * tsf: probabilistic time-series forecasting.  Including this header
 * includes the whole public API.
 *
 * @mainpage tsf API reference
 *
 * libtsf fits forecasting models (ARIMA by exact likelihood, AR, automatic
 * ARIMA selection, neural AR networks) to series with missing values and
 * answers exact log-likelihoods, forecasts with intervals, simulations and
 * streaming one-step updates.
 *
 * - model.h: models, fits, forecasts, simulation, model files; the rules
 *   every function follows (NULL arguments, errors, threads).
 * - state.h: streaming states.
 * - error.h: status codes and the per-thread error message.
 * - series.h, csv.h: reading CSV files into frames.
 * - stats.h: the Ljung-Box test.
 *
 * docs/embedding.md explains linking, ownership, threads and the ABI rules
 * (growing option structs, the ABI baseline). */
#ifndef TSF_TSF_H
#define TSF_TSF_H

#define TSF_VERSION_MAJOR 0          /**< major version of these headers */
#define TSF_VERSION_MINOR 1          /**< minor version of these headers */
#define TSF_VERSION_PATCH 0          /**< patch level of these headers */
#define TSF_VERSION_STRING "0.1.0"   /**< the version as text */

#include "error.h"
#include "time.h"
#include "series.h"
#include "csv.h"
#include "model.h"
#include "state.h"
#include "stats.h"
#include "smooth.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the library the program runs against ("0.1.0"): compare with
 * ::TSF_VERSION_STRING, the headers' version.  A static string. */
TSF_API const char *tsf_version(void);

#ifdef __cplusplus
}
#endif
#endif
