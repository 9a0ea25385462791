/* tsf forecast --plot in a build without cairo (meson -Dplots=disabled or
 * cairo not installed). */
#include "plot.h"

int cli_plot(const char *path, const cli_data *d, const tsf_forecast_result *fc,
             char *const *labels, const char *title)
{
    (void)path;
    (void)d;
    (void)fc;
    (void)labels;
    (void)title;
    return cli_usage("forecast: --plot needs a build with cairo plots (install libcairo2-dev, "
                     "then meson setup --reconfigure -Dplots=enabled)");
}
