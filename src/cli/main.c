/* tsf — command-line entry point. */
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "tsf/tsf.h"

int main(int argc, char **argv)
{
    /* GSL's default handler aborts; tsf validates before calling GSL and
     * reports errors through status codes instead. */
    gsl_set_error_handler_off();
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("tsf %s\n", tsf_version());
        return 0;
    }
    fprintf(stderr, "usage: tsf COMMAND ...\n");
    return 1;
}
