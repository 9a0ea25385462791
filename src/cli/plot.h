/* tsf forecast --plot: history, forecast mean and interval bands as SVG or
 * PNG (chosen by the file name's extension).  plot.c draws with cairo;
 * plot_stub.c is built when the plots feature is off. */
#ifndef TSF_CLI_PLOT_H
#define TSF_CLI_PLOT_H

#include "cli.h"

/* Draws d's series and fc (future labels in labels[0..fc->h), entries may
 * be NULL) to path with the given title.  Prints the error and returns an
 * exit status on failure. */
int cli_plot(const char *path, const cli_data *d, const tsf_forecast_result *fc,
             char *const *labels, const char *title);

#endif
