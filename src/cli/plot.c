/* tsf forecast --plot with cairo: the history, the forecast mean and its
 * interval bands (widest level lightest), axes with tick labels from the
 * time column, a title and a legend.  SVG or PNG by the file extension. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dlfcn.h>
#include <cairo.h>
#include <cairo-svg.h>
#include "plot.h"
#include "core/atomic.h"

/* cairo is loaded (dlopen) when a plot is drawn, not linked: its library
 * and the ~17 it pulls in (pixman, fontconfig, freetype, X11, ...) would
 * otherwise be mapped and relocated at every start of tsf, about 4 ms of
 * CPU per process.  The functions used, resolved into one table; the
 * cairo_* names below call through it. */
#define CAIRO_FUNCS(X)                                                                       \
    X(cairo_set_source_rgb) X(cairo_set_source_rgba) X(cairo_move_to) X(cairo_line_to)       \
    X(cairo_stroke) X(cairo_set_line_width) X(cairo_set_font_size) X(cairo_rectangle)        \
    X(cairo_fill) X(cairo_surface_status) X(cairo_surface_destroy) X(cairo_select_font_face) \
    X(cairo_text_extents) X(cairo_svg_surface_create_for_stream)                            \
    X(cairo_surface_write_to_png_stream) X(cairo_surface_finish) X(cairo_status_to_string)  \
    X(cairo_status) X(cairo_show_text) X(cairo_paint) X(cairo_image_surface_create)         \
    X(cairo_destroy) X(cairo_create) X(cairo_close_path)

static struct {
#define CAIRO_MEMBER(f) __typeof__(f) *f;
    CAIRO_FUNCS(CAIRO_MEMBER)
#undef CAIRO_MEMBER
} cx; /* filled once by load_cairo; the CLI draws one plot per process */

/* Resolves the table; NULL, or dlerror()'s text when cairo is missing. */
static const char *load_cairo(void)
{
    if (cx.cairo_create) return NULL;
    void *h = dlopen("libcairo.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!h) return dlerror();
    /* kept open for the life of the process (fontconfig caches in it) */
#define CAIRO_RESOLVE(f)                                                                     \
    if (!(*(void **)&cx.f = dlsym(h, #f))) return dlerror();
    CAIRO_FUNCS(CAIRO_RESOLVE)
#undef CAIRO_RESOLVE
    return NULL;
}

#define cairo_set_source_rgb cx.cairo_set_source_rgb
#define cairo_set_source_rgba cx.cairo_set_source_rgba
#define cairo_move_to cx.cairo_move_to
#define cairo_line_to cx.cairo_line_to
#define cairo_stroke cx.cairo_stroke
#define cairo_set_line_width cx.cairo_set_line_width
#define cairo_set_font_size cx.cairo_set_font_size
#define cairo_rectangle cx.cairo_rectangle
#define cairo_fill cx.cairo_fill
#define cairo_surface_status cx.cairo_surface_status
#define cairo_surface_destroy cx.cairo_surface_destroy
#define cairo_select_font_face cx.cairo_select_font_face
#define cairo_text_extents cx.cairo_text_extents
#define cairo_svg_surface_create_for_stream cx.cairo_svg_surface_create_for_stream
#define cairo_surface_write_to_png_stream cx.cairo_surface_write_to_png_stream
#define cairo_surface_finish cx.cairo_surface_finish
#define cairo_status_to_string cx.cairo_status_to_string
#define cairo_status cx.cairo_status
#define cairo_show_text cx.cairo_show_text
#define cairo_paint cx.cairo_paint
#define cairo_image_surface_create cx.cairo_image_surface_create
#define cairo_destroy cx.cairo_destroy
#define cairo_create cx.cairo_create
#define cairo_close_path cx.cairo_close_path

enum { W = 960, H = 540, ML = 80, MR = 30, MT = 60, MB = 70 };

typedef struct {
    double x0, x1, y0, y1; /* data ranges */
} frame_t;

static double px(const frame_t *f, double x)
{
    return ML + (x - f->x0) / (f->x1 - f->x0) * (W - ML - MR);
}

static double py(const frame_t *f, double y)
{
    return H - MB - (y - f->y0) / (f->y1 - f->y0) * (H - MT - MB);
}

/* A "nice" step (1, 2 or 5 times a power of ten) giving about n ticks. */
static double nice_step(double range, int n)
{
    double raw = range / n, mag = pow(10.0, floor(log10(raw)));
    double r = raw / mag;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

/* Label of x index i: history labels, then the forecast's. */
static const char *label_at(const cli_data *d, char *const *fut, size_t i)
{
    if (i < d->n) return d->frame->time ? d->frame->time[cli_row(d, i)] : NULL;
    return fut ? fut[i - d->n] : NULL;
}

/* "1950-01" and "1950-Q1" start a year: shown as "1950". */
static int year_start(const char *l, char *out, size_t n)
{
    if (!l || strlen(l) < 7 || l[4] != '-') return 0;
    if (strcmp(l + 5, "01") && strcasecmp(l + 5, "Q1")) return 0;
    snprintf(out, n, "%.4s", l);
    return 1;
}

static void text_at(cairo_t *cr, const char *s, double x, double y, double ax, double ay)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - ax * e.width - e.x_bearing, y - ay * e.height - e.y_bearing);
    cairo_show_text(cr, s);
}

static void draw_x_axis(cairo_t *cr, const frame_t *f, const cli_data *d, char *const *fut,
                        size_t total)
{
    int period = d->frame->period > 1 ? d->frame->period : 1;
    /* Ticks on cycle starts when the labels show them (years of monthly or
     * quarterly data), every k cycles; otherwise on a nice step of index. */
    size_t offset = 0, step;
    char buf[64];
    int cyc = 0;
    for (size_t i = 0; period > 1 && i < (size_t)period && i < total; i++)
        if (year_start(label_at(d, fut, i), buf, sizeof buf)) {
            offset = i;
            cyc = 1;
            break;
        }
    if (cyc) {
        size_t k = (size_t)ceil(nice_step((double)total / period, 10));
        step = (k ? k : 1) * (size_t)period;
    } else {
        step = (size_t)ceil(nice_step((double)total, 10));
        if (!step) step = 1;
    }
    cairo_set_font_size(cr, 12);
    for (size_t i = offset; i < total; i += step) {
        double x = px(f, (double)i);
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, x, MT);
        cairo_line_to(cr, x, H - MB);
        cairo_stroke(cr);
        const char *l = label_at(d, fut, i);
        char txt[64];
        if (!(cyc && year_start(l, txt, sizeof txt)))
            snprintf(txt, sizeof txt, "%s", l ? l : "");
        if (!txt[0]) snprintf(txt, sizeof txt, "%zu", i + 1);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        text_at(cr, txt, x, H - MB + 8, 0.5, 0.0);
    }
    const char *name = d->frame->time_name ? d->frame->time_name : "index";
    text_at(cr, name, (ML + W - MR) / 2.0, H - 22, 0.5, 0.0);
}

static void draw_y_axis(cairo_t *cr, const frame_t *f)
{
    double st = nice_step(f->y1 - f->y0, 6);
    cairo_set_font_size(cr, 12);
    for (double v = ceil(f->y0 / st) * st; v <= f->y1 + 1e-9 * st; v += st) {
        double y = py(f, v);
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, ML, y);
        cairo_line_to(cr, W - MR, y);
        cairo_stroke(cr);
        char txt[32];
        snprintf(txt, sizeof txt, "%g", fabs(v) < 1e-12 * st ? 0.0 : v);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        text_at(cr, txt, ML - 8, y, 1.0, 0.5);
    }
}

/* Bands from the widest level to the narrowest so the narrow one is on top. */
static void draw_bands(cairo_t *cr, const frame_t *f, const cli_data *d,
                       const tsf_forecast_result *fc)
{
    size_t *ord = malloc(fc->nlevels * sizeof *ord);
    if (!ord) return;
    for (size_t k = 0; k < fc->nlevels; k++) ord[k] = k;
    for (size_t a = 0; a < fc->nlevels; a++)
        for (size_t b = a + 1; b < fc->nlevels; b++)
            if (fc->levels[ord[b]] > fc->levels[ord[a]]) {
                size_t t = ord[a];
                ord[a] = ord[b];
                ord[b] = t;
            }
    for (size_t j = 0; j < fc->nlevels; j++) {
        size_t k = ord[j];
        double shade = 0.78 - 0.18 * (double)j / (fc->nlevels > 1 ? fc->nlevels - 1 : 1);
        cairo_set_source_rgb(cr, shade, shade + 0.06, 1.0);
        for (size_t i = 0; i < fc->h; i++) {
            double x = px(f, (double)(d->n + i)), y = py(f, fc->upper[k * fc->h + i]);
            if (i == 0) cairo_move_to(cr, x, y);
            else cairo_line_to(cr, x, y);
        }
        for (size_t i = fc->h; i-- > 0;)
            cairo_line_to(cr, px(f, (double)(d->n + i)), py(f, fc->lower[k * fc->h + i]));
        cairo_close_path(cr);
        cairo_fill(cr);
    }
    free(ord);
}

static void draw_lines(cairo_t *cr, const frame_t *f, const cli_data *d,
                       const tsf_forecast_result *fc)
{
    cairo_set_line_width(cr, 1.5);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    int pen = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (isnan(d->y[i])) {
            pen = 0;
            continue;
        }
        if (pen) cairo_line_to(cr, px(f, (double)i), py(f, d->y[i]));
        else cairo_move_to(cr, px(f, (double)i), py(f, d->y[i]));
        pen = 1;
    }
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.0, 0.25, 0.8);
    cairo_set_line_width(cr, 2.0);
    for (size_t i = 0; i < fc->h; i++) {
        if (i) cairo_line_to(cr, px(f, (double)(d->n + i)), py(f, fc->mean[i]));
        else cairo_move_to(cr, px(f, (double)(d->n + i)), py(f, fc->mean[i]));
    }
    cairo_stroke(cr);
}

static void draw_legend(cairo_t *cr, const tsf_forecast_result *fc)
{
    double x = ML + 10, y = MT + 10;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, x - 6, y - 5, 210 + 80.0 * (double)fc->nlevels, 22);
    cairo_fill(cr);
    cairo_set_line_width(cr, 2.0);
    cairo_set_font_size(cr, 12);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_move_to(cr, x, y + 6);
    cairo_line_to(cr, x + 24, y + 6);
    cairo_stroke(cr);
    text_at(cr, "history", x + 30, y + 6, 0.0, 0.5);
    cairo_set_source_rgb(cr, 0.0, 0.25, 0.8);
    cairo_move_to(cr, x + 100, y + 6);
    cairo_line_to(cr, x + 124, y + 6);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text_at(cr, "forecast", x + 130, y + 6, 0.0, 0.5);
    double bx = x + 210;
    for (size_t k = 0; k < fc->nlevels; k++) {
        /* Same shade as the band of this level. */
        size_t rank = 0;
        for (size_t j = 0; j < fc->nlevels; j++) rank += fc->levels[j] > fc->levels[k];
        double shade = 0.78 - 0.18 * (double)rank / (fc->nlevels > 1 ? fc->nlevels - 1 : 1);
        cairo_set_source_rgb(cr, shade, shade + 0.06, 1.0);
        cairo_rectangle(cr, bx, y, 24, 12);
        cairo_fill(cr);
        char txt[32];
        snprintf(txt, sizeof txt, "%g%%", fc->levels[k]);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text_at(cr, txt, bx + 30, y + 6, 0.0, 0.5);
        bx += 80;
    }
}

static void data_frame(const cli_data *d, const tsf_forecast_result *fc, frame_t *f)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < d->n; i++)
        if (!isnan(d->y[i])) lo = fmin(lo, d->y[i]), hi = fmax(hi, d->y[i]);
    for (size_t i = 0; i < fc->h; i++) {
        lo = fmin(lo, fc->mean[i]);
        hi = fmax(hi, fc->mean[i]);
        for (size_t k = 0; k < fc->nlevels; k++) {
            if (isfinite(fc->lower[k * fc->h + i])) lo = fmin(lo, fc->lower[k * fc->h + i]);
            if (isfinite(fc->upper[k * fc->h + i])) hi = fmax(hi, fc->upper[k * fc->h + i]);
        }
    }
    if (!(hi > lo)) {
        double c = isfinite(lo) ? lo : 0.0;
        lo = c - 1.0;
        hi = c + 1.0;
    }
    double pad = 0.05 * (hi - lo);
    f->y0 = lo - pad;
    f->y1 = hi + pad;
    f->x0 = 0;
    f->x1 = (double)(d->n + fc->h - 1);
    if (f->x1 <= 0) f->x1 = 1;
}

/* cairo's output callback: the bytes into the atomic file's stream. */
static cairo_status_t write_stream(void *closure, const unsigned char *data, unsigned int len)
{
    return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

int cli_plot(const char *path, const cli_data *d, const tsf_forecast_result *fc,
             char *const *labels, const char *title)
{
    const char *ext = strrchr(path, '.');
    int svg = ext && !strcasecmp(ext, ".svg"), png = ext && !strcasecmp(ext, ".png");
    if (!svg && !png) return cli_usage("--plot '%s': the file name must end in .svg or .png", path);
    const char *why = load_cairo();
    if (why)
        return cli_usage("--plot '%s': cannot load cairo (%s); install libcairo2 or leave out "
                         "--plot", path, why);
    /* Written through the atomic-file helper: no half file on failure. */
    tsf_atomic_file *af;
    tsf_status ast = tsf_atomic_open(path, &af);
    if (ast) return cli_fail(ast);
    FILE *out = tsf_atomic_stream(af);
    cairo_surface_t *s = svg ? cairo_svg_surface_create_for_stream(write_stream, out, W, H)
                             : cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        tsf_atomic_discard(af);
        return cli_usage("--plot '%s': cannot create the image", path);
    }
    cairo_t *cr = cairo_create(s);
    frame_t f;
    data_frame(d, fc, &f);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_line_width(cr, 1.0);
    draw_y_axis(cr, &f);
    draw_x_axis(cr, &f, d, labels, d->n + fc->h);
    draw_bands(cr, &f, d, fc);
    draw_lines(cr, &f, d, fc);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, ML, MT, W - ML - MR, H - MT - MB);
    cairo_stroke(cr);
    draw_legend(cr, fc);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 16);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text_at(cr, title, W / 2.0, 22, 0.5, 0.0);
    cairo_status_t cs = cairo_status(cr);
    cairo_destroy(cr);
    if (png && cs == CAIRO_STATUS_SUCCESS) cs = cairo_surface_write_to_png_stream(s, write_stream, out);
    cairo_surface_finish(s);
    if (cs == CAIRO_STATUS_SUCCESS) cs = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (cs != CAIRO_STATUS_SUCCESS) {
        tsf_atomic_discard(af);
        return cli_usage("--plot '%s': cannot write the image: %s", path,
                         cairo_status_to_string(cs));
    }
    return (ast = tsf_atomic_commit(af)) ? cli_fail(ast) : 0;
}
