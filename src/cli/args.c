/* Command-line options shared by the subcommands. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

int cli_usage(const char *fmt, ...)
{
    va_list ap;
    fputs("tsf: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_INPUT;
}

int cli_fail(tsf_status st)
{
    const char *msg = tsf_errmsg();
    fprintf(stderr, "tsf: %s\n", *msg ? msg : tsf_strerror(st));
    return (st == TSF_ENOCONV || st == TSF_EDEGENERATE) ? EXIT_NUMERIC : EXIT_INPUT;
}

static int parse_long(const char *opt, const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno || x < lo || x > hi)
        return cli_usage("%s '%s': expected a whole number from %ld to %ld", opt, v, lo, hi);
    *out = x;
    return 0;
}

static int parse_double(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !(x >= lo && x <= hi))
        return cli_usage("%s '%s': expected a number from %g to %g", opt, v, lo, hi);
    *out = x;
    return 0;
}

/* --level and --risk: percentages, comma-separated. */
static int parse_percents(const char *opt, const char *v, double lo, double *out, size_t *n)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n == MAX_LEVELS) return cli_usage("%s: at most %d levels", opt, MAX_LEVELS);
        if (parse_double(opt, tok, lo, 100.0 - 1e-9, &out[*n])) return EXIT_INPUT;
        (*n)++;
    }
    if (!*n) return cli_usage("%s '%s': give levels in percent, e.g. %s 80,95", opt, v, opt);
    return 0;
}

static int parse_transform(const char *v, tsf_fit_opts *o)
{
    if (strcmp(v, "none") == 0) { o->transform = TSF_TRANSFORM_NONE; return 0; }
    if (strcmp(v, "log") == 0) { o->transform = TSF_TRANSFORM_LOG; return 0; }
    if (strcmp(v, "boxcox(auto)") == 0) { o->transform = TSF_TRANSFORM_BOXCOX_AUTO; return 0; }
    double lam;
    char tail;
    if (sscanf(v, "boxcox(%lf%c", &lam, &tail) == 2 && tail == ')' &&
        v[strlen(v) - 1] == ')' && isfinite(lam)) {
        if (lam < -5 || lam > 5) return cli_usage("--transform '%s': lambda must be in [-5, 5]", v);
        o->transform = lam == 0.0 ? TSF_TRANSFORM_LOG : TSF_TRANSFORM_BOXCOX;
        o->lambda = lam;
        return 0;
    }
    return cli_usage("--transform '%s': use log, boxcox(LAMBDA) or boxcox(auto)", v);
}

typedef struct {
    const char *name;
    unsigned group;
    int has_arg;
} optdef;

static const optdef opts[] = {
    {"-m", OPT_MODEL, 1}, {"--model-spec", OPT_MODEL, 1},
    {"-c", 0, 1}, {"--column", 0, 1},
    {"--method", OPT_MODEL, 1}, {"--period", OPT_MODEL, 1}, {"--xreg", OPT_MODEL, 1},
    {"--no-mean", OPT_MODEL, 0}, {"--returns", OPT_MODEL, 1}, {"--risk", OPT_HORIZON, 1}, {"--drift", OPT_MODEL, 0}, {"--transform", OPT_MODEL, 1},
    {"--epochs", OPT_MODEL, 1}, {"--batch", OPT_MODEL, 1}, {"--lr", OPT_MODEL, 1},
    {"--seed", 0, 1}, {"--device", OPT_MODEL, 1}, {"--precision", OPT_MODEL, 1},
    {"--samples", OPT_MODEL, 1}, {"--json", 0, 0},
    {"-h", OPT_HORIZON, 1}, {"--horizon", OPT_HORIZON, 1}, {"--level", OPT_HORIZON | OPT_IMPUTE, 1},
    {"--xreg-future", OPT_HORIZON | OPT_SIM, 1}, {"--biasadj", OPT_HORIZON, 0},
    {"--sampler", OPT_HORIZON | OPT_SIM, 1},
    {"-o", OPT_OUTPUT, 1}, {"--output", OPT_OUTPUT, 1}, {"--model", OPT_LOADMODEL, 1},
    {"--holdout", OPT_HOLDOUT, 1}, {"-n", OPT_SIM, 1}, {"--paths", OPT_SIM | OPT_IMPUTE, 1},
    {"--residuals", OPT_FITOUT, 1}, {"--plot", OPT_PLOT, 1},
    {"--format", OPT_BATCH, 1}, {"--id", OPT_BATCH, 1}, {"--time", OPT_BATCH, 1},
    {"--value", OPT_BATCH, 1}, {"--threads", OPT_BATCH | OPT_MODEL, 1},
    {"--summary", OPT_BATCH, 1}, {"--quiet", OPT_BATCH, 0},
    {"--global", OPT_BATCH, 0}, {"--save-model", OPT_BATCH, 1}, {"--series", OPT_LOADMODEL, 1},
    {"--interval", OPT_MODEL, 1}, {"--round-time", OPT_MODEL, 0},
    {"--origins", OPT_EVAL, 1}, {"--step", OPT_EVAL, 1},
    {"--given", OPT_GIVEN, 1}, {"--conditioning", OPT_GIVEN, 1},
};

static int set_option(const char *name, const char *v, cli_args *a)
{
    tsf_fit_opts *f = &a->fit;
    long l = 0;
    double d = 0.0;
    if (!strcmp(name, "-m") || !strcmp(name, "--model-spec")) {
        if (a->nspecs == MAX_SPECS) return cli_usage("at most %d -m options", MAX_SPECS);
        a->specs[a->nspecs++] = v;
    } else if (!strcmp(name, "-c") || !strcmp(name, "--column")) a->column = v;
    else if (!strcmp(name, "--method")) {
        if (!strcmp(v, "ml")) f->method = TSF_METHOD_ML;
        else if (!strcmp(v, "css-ml")) f->method = TSF_METHOD_CSS_ML;
        else if (!strcmp(v, "css")) f->method = TSF_METHOD_CSS;
        else return cli_usage("--method '%s': use ml, css-ml or css", v);
    } else if (!strcmp(name, "--period")) {
        if (parse_long(name, v, 1, 100000, &l)) return EXIT_INPUT;
        f->period = (int)l;
    } else if (!strcmp(name, "--interval")) {
        if (tsf_interval_parse(v, &a->time.interval)) return cli_usage("--interval: %s", tsf_errmsg());
    } else if (!strcmp(name, "--round-time")) a->time.round = 1;
    else if (!strcmp(name, "--xreg")) a->xreg = v;
    else if (!strcmp(name, "--no-mean")) f->include_mean = -1;
    else if (!strcmp(name, "--drift")) f->include_drift = 1;
    else if (!strcmp(name, "--transform")) return parse_transform(v, f);
    else if (!strcmp(name, "--epochs")) {
        if (parse_long(name, v, 1, 1000000, &l)) return EXIT_INPUT;
        f->epochs = (int)l;
    } else if (!strcmp(name, "--batch")) {
        if (parse_long(name, v, 1, 65536, &l)) return EXIT_INPUT;
        f->batch = (int)l;
    } else if (!strcmp(name, "--lr")) {
        if (parse_double(name, v, 1e-12, 10.0, &d)) return EXIT_INPUT;
        f->lr = d;
    } else if (!strcmp(name, "--seed")) {
        if (parse_long(name, v, 0, 0x7fffffffL, &l)) return EXIT_INPUT;
        f->seed = (uint64_t)l;
        a->fc.seed = (uint64_t)l;
    } else if (!strcmp(name, "--device")) {
        if (!strcmp(v, "auto")) f->device = TSF_DEVICE_AUTO;
        else if (!strcmp(v, "cpu")) f->device = TSF_DEVICE_CPU;
        else if (!strcmp(v, "cuda")) f->device = TSF_DEVICE_CUDA;
        else return cli_usage("--device '%s': use auto, cpu or cuda", v);
    } else if (!strcmp(name, "--precision")) {
        if (!strcmp(v, "fp32")) f->precision = TSF_PRECISION_FP32;
        else if (!strcmp(v, "tf32")) f->precision = TSF_PRECISION_TF32;
        else if (!strcmp(v, "bf16")) f->precision = TSF_PRECISION_BF16;
        else return cli_usage("--precision '%s': use fp32, tf32 or bf16", v);
    } else if (!strcmp(name, "--samples")) {
        if (parse_long(name, v, 1, 1000000, &l)) return EXIT_INPUT;
        a->fc.samples = (size_t)l;
    } else if (!strcmp(name, "--json")) a->json = 1;
    else if (!strcmp(name, "-h") || !strcmp(name, "--horizon")) {
        if (parse_long(name, v, 1, 1000000, &a->horizon)) return EXIT_INPUT;
    } else if (!strcmp(name, "--level")) {
        if (parse_percents(name, v, 1e-9, a->levels, &a->nlevels)) return EXIT_INPUT;
        a->levels_given = 1;
    } else if (!strcmp(name, "--risk")) {
        if (parse_percents(name, v, 50.0 + 1e-9, a->risk, &a->nrisk)) return EXIT_INPUT;
    } else if (!strcmp(name, "--returns")) {
        if (!strcmp(v, "log")) a->returns = RETURNS_LOG;
        else if (!strcmp(v, "simple")) a->returns = RETURNS_SIMPLE;
        else return cli_usage("--returns '%s': use log or simple", v);
    } else if (!strcmp(name, "--xreg-future")) a->xreg_future = v;
    else if (!strcmp(name, "--biasadj")) a->fc.biasadj = 1;
    else if (!strcmp(name, "--sampler")) {
        if (!strcmp(v, "auto")) a->fc.sampler = TSF_SAMPLER_AUTO;
        else if (!strcmp(v, "ancestral")) a->fc.sampler = TSF_SAMPLER_ANCESTRAL;
        else if (!strcmp(v, "parallel")) a->fc.sampler = TSF_SAMPLER_PARALLEL;
        else return cli_usage("--sampler '%s': use ancestral, parallel or auto", v);
    }
    else if (!strcmp(name, "-o") || !strcmp(name, "--output")) a->out = v;
    else if (!strcmp(name, "--model")) a->model_path = v;
    else if (!strcmp(name, "--holdout")) {
        if (parse_long(name, v, 1, 100000000, &a->holdout)) return EXIT_INPUT;
    } else if (!strcmp(name, "-n")) {
        if (parse_long(name, v, 1, 100000000, &a->nsim)) return EXIT_INPUT;
    } else if (!strcmp(name, "--paths")) {
        if (parse_long(name, v, 1, 100000, &a->paths)) return EXIT_INPUT;
        a->paths_given = 1;
    } else if (!strcmp(name, "--residuals")) a->residuals = v;
    else if (!strcmp(name, "--plot")) a->plot = v;
    else if (!strcmp(name, "--format")) {
        if (strcmp(v, "wide") && strcmp(v, "long"))
            return cli_usage("--format '%s': use wide or long", v);
        a->format = v;
    } else if (!strcmp(name, "--id")) a->id_col = v;
    else if (!strcmp(name, "--time")) a->time_col = v;
    else if (!strcmp(name, "--value")) a->value_col = v;
    else if (!strcmp(name, "--threads")) {
        if (parse_long(name, v, 1, 4096, &l)) return EXIT_INPUT;
        a->threads = (int)l;
        f->threads = (int)l;
    } else if (!strcmp(name, "--origins")) {
        if (parse_long(name, v, 1, 100000, &a->origins)) return EXIT_INPUT;
    } else if (!strcmp(name, "--step")) {
        if (parse_long(name, v, 1, 100000000, &a->step)) return EXIT_INPUT;
    } else if (!strcmp(name, "--summary")) a->summary = v;
    else if (!strcmp(name, "--quiet")) a->quiet = 1;
    else if (!strcmp(name, "--global")) a->global = 1;
    else if (!strcmp(name, "--save-model")) a->save_model = v;
    else if (!strcmp(name, "--series")) a->fc.series = v;
    else if (!strcmp(name, "--given")) a->given = v;
    else if (!strcmp(name, "--conditioning")) {
        if (!strcmp(v, "exact")) a->fc.conditioning = TSF_CONDITIONING_EXACT;
        else if (!strcmp(v, "smc")) a->fc.conditioning = TSF_CONDITIONING_SMC;
        else return cli_usage("--conditioning '%s': use exact or smc", v);
    }
    return 0;
}

/* The options that only some families read (tsf_model_reads), and which. */
static const struct {
    const char *name;
    unsigned bit;
    const char *readers;
} family_opts[] = {
    {"--method", TSF_READS_METHOD, "arima and auto"},
    {"--no-mean", TSF_READS_MEAN, "ar, arima, auto and garch"},
    {"--drift", TSF_READS_DRIFT, "arima"},
    {"--epochs", TSF_READS_TRAINING, "neural networks (gru, lstm, transformer, wavenet)"},
    {"--batch", TSF_READS_TRAINING, "neural networks (gru, lstm, transformer, wavenet)"},
    {"--lr", TSF_READS_TRAINING, "neural networks (gru, lstm, transformer, wavenet)"},
    {"--device", TSF_READS_TRAINING, "neural networks (gru, lstm, transformer, wavenet)"},
    {"--precision", TSF_READS_TRAINING, "neural networks (gru, lstm, transformer, wavenet)"},
    {"--sampler", TSF_READS_SAMPLER, "neural networks (gru, lstm, transformer, wavenet)"},
};

int cli_check_reads(const cli_args *a, unsigned reads, int loaded)
{
    for (size_t k = 0; k < sizeof family_opts / sizeof family_opts[0]; k++) {
        unsigned bit = family_opts[k].bit;
        const char *opt = family_opts[k].name;
        if (!(a->family_opts & 1u << k)) continue;
        if (loaded && bit != TSF_READS_SAMPLER)
            return cli_usage("%s: option '%s' sets how a model is fitted, and a model loaded "
                             "with --model is not fitted again; drop '%s'", a->cmd, opt, opt);
        if (!(reads & bit))
            return cli_usage("%s: option '%s' is read by %s, and no model given %s is one "
                             "(nor a combo with one); drop '%s'", a->cmd, opt,
                             family_opts[k].readers, loaded ? "with --model" : "with -m", opt);
    }
    return 0;
}

/* No option is silently ignored: an option that only some families read,
 * given when no -m spec reads it, is an error.  A spec that does not parse
 * is left to the command, which reports it with its column; so is --global,
 * whose commands refuse every spec without a network; a model loaded with
 * --model is checked when it is loaded (cli_fit_model). */
static int check_specs_read(const cli_args *a)
{
    if (!a->family_opts || !a->nspecs || a->global) return 0;
    unsigned reads = 0;
    for (size_t k = 0; k < a->nspecs; k++) {
        tsf_model *m = NULL;
        if (tsf_model_new(a->specs[k], &m)) return 0;
        reads |= tsf_model_reads(m);
        tsf_model_free(m);
    }
    return cli_check_reads(a, reads, 0);
}

int cli_parse(const char *cmd, int argc, char **argv, unsigned allowed, cli_args *a)
{
    memset(a, 0, sizeof *a);
    /* this header's layout (size set): fields after the 1.0 ones count */
    tsf_fit_opts_init(&a->fit);
    tsf_forecast_opts_init(&a->fc);
    a->cmd = cmd;
    a->horizon = -1;
    a->holdout = -1;
    a->paths = 1;
    a->levels[0] = 80;
    a->levels[1] = 95;
    a->nlevels = 2;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || !arg[1]) {
            if (a->file) return cli_usage("%s: one input file expected, got '%s' and '%s'", a->cmd,
                                          a->file, arg);
            a->file = arg;
            continue;
        }
        char name[64];
        const char *val = NULL, *eq = strchr(arg, '=');
        if (eq && arg[1] == '-' && (size_t)(eq - arg) < sizeof name) {
            memcpy(name, arg, (size_t)(eq - arg));
            name[eq - arg] = '\0';
            val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", arg);
        }
        const optdef *od = NULL;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++)
            if (!strcmp(opts[k].name, name)) od = &opts[k];
        if (!od) return cli_usage("%s: unknown option '%s'; see 'tsf help %s'", a->cmd, arg, a->cmd);
        if (od->group && !(od->group & allowed))
            return cli_usage("%s: option '%s' does not apply here; see 'tsf help %s'", a->cmd,
                             name, a->cmd);
        if (od->has_arg && !val) {
            if (i + 1 >= argc) return cli_usage("%s: option '%s' needs a value", a->cmd, name);
            val = argv[++i];
        } else if (!od->has_arg && val) {
            return cli_usage("%s: option '%s' takes no value", a->cmd, name);
        }
        int r = set_option(name, val, a);
        if (r) return r;
        for (size_t k = 0; k < sizeof family_opts / sizeof family_opts[0]; k++)
            if (!strcmp(family_opts[k].name, od->name)) a->family_opts |= 1u << k;
    }
    if (a->nspecs > 1 && !(allowed & OPT_MANYSPEC))
        return cli_usage("%s: give one model with -m", a->cmd);
    return check_specs_read(a);
}
