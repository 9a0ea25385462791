/* tsf — command-line entry point and help. */
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
    const char *help;
} command;

static const char model_opts[] =
    "Model options (fit, forecast, compare, batch, evaluate):\n"
    "  -m SPEC              model: ar(p), ar(max=K, method=yule-walker|burg|ols|mle),\n"
    "                       arima(p,d,q), arima(p,d,q)(P,D,Q)[s], auto,\n"
    "                       ets, ets(ANN|AAdN|MAM|...), theta, theta(optimized),\n"
    "                       garch(p,q, mean=constant|zero|arma(P,Q), dist=normal|t,\n"
    "                       type=garch|gjr), combo(SPEC, SPEC, ..., combine=mean|median),\n"
    "                       gru(...), lstm(...), transformer(...), wavenet(...)\n"
    "  -c NAME              the column to model (default: the only numeric column)\n"
    "  --method ml|css-ml|css   ARIMA estimation (default css-ml, as R)\n"
    "  --period N           seasonal period (default: from the time column's interval,\n"
    "                       e.g. monthly 12, daily 7, hourly 24; else 1)\n"
    "  --interval \"N UNIT\"  interval of the time stamps (\"1 hour\", \"1 business day\")\n"
    "                       instead of the most common difference\n"
    "  --round-time         with --interval: move stamps to the nearest step\n"
    "  --no-mean            no intercept when d+D = 0\n"
    "  --drift              drift term (d+D = 1)\n"
    "  --xreg LIST          regressors: columns C1,C2, trend, fourier(P,K), calendar\n"
    "  --transform log|boxcox(LAMBDA)|boxcox(auto)\n"
    "  --returns log|simple the column holds prices: model their percent returns\n"
    "  --epochs E --batch B --lr LR --seed S --samples N --threads T\n"
    "  --device auto|cpu|cuda --precision fp32|tf32|bf16   (neural models)\n"
    "  --json               machine-readable output\n";

static const command commands[] = {
    {"fit", cmd_fit, "tsf fit -m SPEC [options] [-o MODEL.safetensors] [--residuals OUT.csv] FILE.csv",
     "Fits a model and prints its coefficients (with standard errors), sigma^2,\n"
     "log-likelihood, AIC/AICc/BIC and a Ljung-Box test of the residuals.\n"},
    {"forecast", cmd_forecast,
     "tsf forecast (-m SPEC | --model MODEL.safetensors) -h N [--level 80,95] [--given T=V,...] "
     "[options] FILE.csv",
     "Forecasts N steps after the end of the series with prediction intervals.\n"
     "  -h N                 horizon\n"
     "  --level L1,L2        interval levels in percent (default 80,95)\n"
     "  --xreg-future F.csv  future values of the --xreg columns\n"
     "  --series ID          with --model of a global model: the series to forecast\n"
     "  --biasadj            back-transformed mean instead of median (with --transform)\n"
     "  --risk L1,L2         value-at-risk and expected shortfall at these levels (garch)\n"
     "  --given T=V,+k=V     scenario forecast given future values (TIME as printed in\n"
     "                       the time column, or +k steps ahead); or --given F.csv\n"
     "                       with a time column and a value column\n"
     "  --conditioning exact|smc   exact (ar, arima, auto) or sequential Monte Carlo\n"
     "                       with --samples particles (reports the effective sample size)\n"
     "  --sampler ancestral|parallel|auto   how neural sample paths are drawn (parallel:\n"
     "                       fixed-point iteration, transformer and wavenet; same paths)\n"
     "  --plot OUT.svg|OUT.png   plot history, forecast and bands (builds with cairo)\n"},
    {"compare", cmd_compare, "tsf compare -m SPEC -m SPEC ... --holdout N [options] FILE.csv",
     "Fits each model on all but the last N observations and ranks them by the exact\n"
     "held-out log-likelihood log p(last N | rest); also in-sample loglik, AIC, BIC,\n"
     "and MASE and CRPS of the forecasts over the held-out part.\n"},
    {"batch", cmd_batch,
     "tsf batch -m SPEC -h N [--format wide|long] [-o OUT.csv] [--summary S.json] [--threads T] FILE.csv",
     "Forecasts every series of a file, in parallel over series (OpenMP; MPI with\n"
     "mpirun when built with -Dmpi=enabled).  Output CSV:\n"
     "id,step,time,mean,lo80,hi80,lo95,hi95,error (one row per step; a series that\n"
     "cannot be forecast gets one row with empty numbers and the reason in error).\n"
     "  -h N                 horizon\n"
     "  --level L1,L2        interval levels in percent (default 80,95)\n"
     "  --format wide        every numeric column is a series (default)\n"
     "  --format long        rows id,time,value; rows of one series contiguous\n"
     "  --id COL --time COL --value COL   long-format column names (default\n"
     "                       id|unique_id|series, time|ds|date, value|y)\n"
     "  --xreg LIST          regressors of each series: columns of a long file,\n"
     "                       trend, fourier(P,K), calendar (generated: wide files too)\n"
     "  --xreg-future F.csv  long file id,time,COLUMNS: >= N future rows per series\n"
     "  --threads T          worker threads (default: all cores)\n"
     "  -o OUT.csv           output file, written atomically (default: stdout)\n"
     "  --summary OUT.json   per series: model chosen, loglik, AICc, fit_seconds\n"
     "  --quiet              no progress bar, no training progress\n"
     "  --global             neural spec (or combo with one): one network trained on\n"
     "                       every series (own scale each; embed=D: learned series\n"
     "                       embeddings); under mpirun the ranks share the training\n"
     "  --save-model M.safetensors   (--global) the network with the series' scales\n"
     "                       and embeddings; tsf forecast --model M --series ID\n"
     "Exit status: 0 all series forecast, 3 some failed, 1 bad input or usage.\n"
     "docs/batch.md has the details.\n"},
    {"evaluate", cmd_evaluate,
     "tsf evaluate -m SPEC [-m SPEC ...] -h H [--origins K] [--step S] [--format wide|long]\n"
     "             [--level 80,95] [--threads T] [-o PER_SERIES.csv] [--json] FILE.csv",
     "Rolling-origin backtest: for every series and each of K origins n-H-(K-1)S, ...,\n"
     "n-H-S, n-H, fits every model on the data before the origin, forecasts H steps\n"
     "and scores them on the held-out values.  Prints one table ranked by MASE: sMAPE,\n"
     "MASE, RMSSE, CRPS, coverage and mean width per level, mean held-out log score\n"
     "per observation, failed fits and fit+forecast seconds.\n"
     "  -h H                 horizon (values held out at each origin)\n"
     "  --origins K          forecast origins per series (default 1)\n"
     "  --step S             distance between origins (default H)\n"
     "  --level L1,L2        interval levels in percent (default 80,95)\n"
     "  --format wide|long   as tsf batch (--id/--time/--value for long)\n"
     "  --xreg LIST          regressors, as tsf batch; the held-out rows' values come\n"
     "                       from the file (no --xreg-future)\n"
     "  --threads T          worker threads (default: all cores)\n"
     "  -o OUT.csv           one row per series x model x origin, written atomically\n"
     "  --json               {\"models\":[{\"spec\",\"smape\",\"mase\",...}]} in the order given\n"
     "  --global             neural specs (and combos with one): one network per origin\n"
     "                       trained on every series cut there (docs/neural.md)\n"
     "Exit status: 0, 3 when some fits failed, 1 bad input or usage.\n"
     "docs/evaluate.md has the definitions.\n"},
    {"impute", cmd_impute,
     "tsf impute (-m SPEC | --model MODEL.safetensors) [--level 80,95] [--paths K --seed S] "
     "[-o OUT.csv] [--json] FILE.csv",
     "Replaces every missing value (empty field or NA) by its conditional mean given\n"
     "all observed values, before and after it (Kalman smoothing for ar, arima, auto;\n"
     "a particle smoother for neural models).\n"
     "Output CSV: time,VALUE,imputed,se,lo80,hi80,lo95,hi95 (imputed 1 for filled\n"
     "rows; se 0 and lo = hi = value where observed).  docs/conditioning.md.\n"
     "  --level L1,L2        interval levels in percent (default 80,95)\n"
     "  --paths K            K joint draws of the missing values from their\n"
     "                       conditional distribution: columns path1..pathK\n"
     "  --seed S             seed of the draws\n"
     "  -o OUT.csv           output file, written atomically (default: stdout)\n"
     "  --json               {time, value, imputed, mean, se, lower, upper, paths}\n"},
    {"simulate", cmd_simulate,
     "tsf simulate --model MODEL.safetensors -n N [--paths K] [--seed S] [--sampler S]",
     "Simulates K paths of length N from a saved model; CSV on standard output.\n"
     "  --sampler ancestral|parallel|auto   neural models, as forecast's\n"},
    {"help", cmd_help, "tsf help [COMMAND]", "Shows help for a command.\n"},
};
static const size_t ncommands = sizeof commands / sizeof commands[0];

static void overview(FILE *f)
{
    fprintf(f, "tsf %s — probabilistic time-series forecasting\n\nUsage:\n", tsf_version());
    for (size_t i = 0; i < ncommands; i++) fprintf(f, "  %s\n", commands[i].usage);
    fprintf(f, "  tsf --version\n\nRun 'tsf help COMMAND' for details; docs/cli.md has the full reference.\n");
}

int cmd_help(int argc, char **argv)
{
    if (argc < 1) {
        overview(stdout);
        return 0;
    }
    for (size_t i = 0; i < ncommands; i++) {
        if (strcmp(argv[0], commands[i].name)) continue;
        printf("Usage: %s\n\n%s", commands[i].usage, commands[i].help);
        if (strcmp(commands[i].name, "help") && strcmp(commands[i].name, "simulate"))
            printf("\n%s", model_opts);
        return 0;
    }
    return cli_usage("help: unknown command '%s'; commands: fit, forecast, compare, batch, evaluate, impute, simulate",
                     argv[0]);
}

int main(int argc, char **argv)
{
    /* GSL's default handler aborts; tsf validates before calling GSL and
     * reports errors through status codes instead. */
    gsl_set_error_handler_off();
    if (argc < 2) {
        overview(stderr);
        return EXIT_INPUT;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("tsf %s\n", tsf_version());
        return 0;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-?")) return cmd_help(argc - 2, argv + 2);
    for (size_t i = 0; i < ncommands; i++) {
        if (strcmp(cmd, commands[i].name)) continue;
        for (int k = 2; k < argc; k++)
            if (!strcmp(argv[k], "--help")) return cmd_help(1, argv + 1);
        int r = commands[i].run(argc - 2, argv + 2);
        if (fflush(stdout) != 0 && r == 0) return cli_usage("cannot write the output");
        return r;
    }
    return cli_usage("unknown command '%s'; run 'tsf help'", cmd);
}
