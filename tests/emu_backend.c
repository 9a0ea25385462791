/* An emulated device backend for host tests: the CPU reference ops on
 * memory that is mmap'ed and kept PROT_NONE except inside the backend's
 * own functions, so any direct host access of "device" memory faults.
 * Single-threaded test use only (a static registry of mappings). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "neural/cpu_ops.h"
#include "emu_backend.h"

/* ---- the emulated device: a registry of mappings, locked between ops ---- */
#define MAXMAP 64
static struct { void *p; size_t len; } maps[MAXMAP];
static size_t page;

size_t tsf_emu_live(void)
{
    size_t n = 0;
    for (int i = 0; i < MAXMAP; i++) n += maps[i].p != NULL;
    return n;
}

static void set_all(int prot)
{
    for (int i = 0; i < MAXMAP; i++)
        if (maps[i].p && mprotect(maps[i].p, maps[i].len, prot)) abort();
}
#define OPEN() set_all(PROT_READ | PROT_WRITE)
#define SHUT() set_all(PROT_NONE)

/* Out-of-memory emulation: after tsf_emu_fail_after(k), the k-th and
 * later allocations fail (k = 0: never). */
static long fail_at, nalloc;

void tsf_emu_fail_after(long k)
{
    fail_at = k;
    nalloc = 0;
}

static float *e_alloc(size_t n)
{
    if (fail_at > 0 && ++nalloc >= fail_at) return NULL;
    if (!page) page = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = ((n ? n : 1) * sizeof(float) + page - 1) / page * page;
    for (int i = 0; i < MAXMAP; i++)
        if (!maps[i].p) {
            void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) return NULL;
            maps[i].p = p;
            maps[i].len = len;
            return p;
        }
    return NULL;
}

static void e_free(float *p)
{
    for (int i = 0; p && i < MAXMAP; i++)
        if (maps[i].p == p) {
            munmap(p, maps[i].len);
            maps[i].p = NULL;
        }
}

static void e_copy(float *d, const float *s, size_t n) { OPEN(); memmove(d, s, n * sizeof *d); SHUT(); }
static void e_zero(float *p, size_t n) { OPEN(); memset(p, 0, n * sizeof *p); SHUT(); }
static void e_copy2d(float *d, size_t dp, const float *s, size_t sp, size_t w, size_t rows)
{
    OPEN();
    for (size_t i = 0; i < rows; i++) memcpy(d + i * dp, s + i * sp, w * sizeof *d);
    SHUT();
}
static int e_sync(char *msg, size_t len)
{
    if (msg && len) msg[0] = '\0';
    return 0;
}

/* each op: unlock, the CPU reference, lock */
#define W0(name, params, args) \
    static void e_##name params { OPEN(); tsf_cpu_##name args; SHUT(); }
W0(matmul_forward, (float *o, const float *i, const float *w, const float *b, size_t BT, size_t C,
                    size_t OC), (o, i, w, b, BT, C, OC))
W0(matmul_backward, (float *di, float *dw, float *db, const float *d, const float *i,
                     const float *w, size_t BT, size_t C, size_t OC), (di, dw, db, d, i, w, BT, C, OC))
W0(layernorm_forward, (float *o, float *m, float *r, const float *i, const float *w, const float *b,
                       size_t BT, size_t C), (o, m, r, i, w, b, BT, C))
W0(layernorm_backward, (float *di, float *dw, float *db, const float *d, const float *i,
                        const float *w, const float *m, const float *r, size_t BT, size_t C),
   (di, dw, db, d, i, w, m, r, BT, C))
W0(gelu_forward, (float *o, const float *i, size_t N), (o, i, N))
W0(gelu_backward, (float *di, const float *i, const float *d, size_t N), (di, i, d, N))
W0(residual_forward, (float *o, const float *a, const float *b, size_t N), (o, a, b, N))
W0(gru_forward, (float *h, float *g, const float *x, const float *hg, const float *hp, size_t B,
                 size_t H), (h, g, x, hg, hp, B, H))
W0(gru_backward, (float *dx, float *dg, float *dhp, const float *dh, const float *g,
                  const float *hg, const float *hp, size_t B, size_t H),
   (dx, dg, dhp, dh, g, hg, hp, B, H))
W0(lstm_forward, (float *h, float *c, float *g, const float *p, const float *cp, size_t B,
                  size_t H), (h, c, g, p, cp, B, H))
W0(lstm_backward, (float *dp, float *dcp, const float *dh, const float *dc, const float *g,
                   const float *c, const float *cp, size_t B, size_t H),
   (dp, dcp, dh, dc, g, c, cp, B, H))
W0(attention_forward, (float *o, float *a, const float *qkv, size_t B, size_t T, size_t C,
                       size_t NH, size_t W), (o, a, qkv, B, T, C, NH, W))
W0(attention_backward, (float *dq, float *da, const float *d, const float *qkv, const float *a,
                        size_t B, size_t T, size_t C, size_t NH, size_t W),
   (dq, da, d, qkv, a, B, T, C, NH, W))
W0(attention_step, (float *o, const float *q, const float *k, const float *v, size_t B, size_t C,
                    size_t NH, size_t W, size_t pos, float *s), (o, q, k, v, B, C, NH, W, pos, s))
W0(attention_step_shared, (float *o, const float *q, const float *kp, const float *vp, size_t P,
                           size_t p0, const float *ks, const float *vs, size_t R, size_t B,
                           size_t C, size_t NH, size_t W, size_t pos, float *s),
   (o, q, kp, vp, P, p0, ks, vs, R, B, C, NH, W, pos, s))
W0(head_params, (float *mu, float *s, float *nu, const float *o, size_t BT, tsf_nn_head h),
   (mu, s, nu, o, BT, h))
W0(scale, (float *x, float a, size_t N), (x, a, N))
W0(adamw_update, (float *p, const float *g, float *m, float *v, size_t N, float lr, float b1,
                  float b2, float eps, float wd, int t), (p, g, m, v, N, lr, b1, b2, eps, wd, t))

/* the same for ops that return a double */
#define W1(name, params, args)                                                                  \
    static double e_##name params                                                              \
    {                                                                                          \
        OPEN();                                                                                \
        double r_ = tsf_cpu_##name args;                                                       \
        SHUT();                                                                                \
        return r_;                                                                             \
    }
W1(head_loss, (float *nll, float *d, const float *o, const float *y, size_t BT, tsf_nn_head h,
               float w), (nll, d, o, y, BT, h, w))

W0(dilated_im2col, (float *c, const float *i, size_t B, size_t T, size_t C, size_t K, size_t d),
   (c, i, B, T, C, K, d))
W0(dilated_col2im, (float *di, const float *dc, size_t B, size_t T, size_t C, size_t K, size_t d),
   (di, dc, B, T, C, K, d))
W0(gated_forward, (float *o, const float *z, size_t N, size_t C), (o, z, N, C))
W0(gated_backward, (float *dz, const float *z, const float *d, size_t N, size_t C), (dz, z, d, N, C))
W0(relu_forward, (float *o, const float *i, size_t N), (o, i, N))
W0(relu_backward, (float *di, const float *i, const float *d, size_t N), (di, i, d, N))

W1(mixture_loss, (float *nll, float *d, const float *o, const float *y, size_t BT, size_t M,
                  float w), (nll, d, o, y, BT, M, w))
W1(binned_loss, (float *nll, float *d, const float *o, const float *y, size_t BT, size_t N,
                 float lo, float hi, float w), (nll, d, o, y, BT, N, lo, hi, w))
W1(sumsq, (const float *g, size_t N), (g, N))
W0(additive_forward, (float *o, float *a, const float *q, const float *k, const float *v,
                      const float *va, const tsf_nn_add_geom *g), (o, a, q, k, v, va, g))
W0(additive_backward, (float *dq, float *dk, float *dv, float *dva, const float *d,
                       const float *q, const float *k, const float *v, const float *va,
                       const float *a, const tsf_nn_add_geom *g, float *s),
   (dq, dk, dv, dva, d, q, k, v, va, a, g, s))
W0(additive_step, (float *o, const float *q, const float *k, const float *v, const float *va,
                   size_t B, size_t NH, size_t hs, size_t W, size_t pos, int al, float *s),
   (o, q, k, v, va, B, NH, hs, W, pos, al, s))
W0(head_draw, (double *z, const double *e, const float *o, size_t B, tsf_nn_head h, size_t n,
               float lo, float hi), (z, e, o, B, h, n, lo, hi))

/* its inference table: the CPU one's invariant product and per-query
 * attention, on the emulated memory */
W0(matmul_inv, (float *o, const float *i, const float *w, const float *b, size_t BT, size_t C,
                size_t OC), (o, i, w, b, BT, C, OC))
W0(attention_forward_q, (float *o, float *a, const float *qkv, size_t B, size_t T, size_t C,
                         size_t NH, size_t W), (o, a, qkv, B, T, C, NH, W))
/* The table: the training products and attention MMF, ATTF, and the
 * inference table INFER (backend.h, infer). */
#define EMU_TABLE(MMF, ATTF, INFER)                                                           \
    {                                                                                         \
        .name = "emulated-device", .matmul_forward = MMF,                                     \
        .matmul_backward = e_matmul_backward, .layernorm_forward = e_layernorm_forward,       \
        .layernorm_backward = e_layernorm_backward, .gelu_forward = e_gelu_forward,           \
        .gelu_backward = e_gelu_backward, .residual_forward = e_residual_forward,             \
        .gru_forward = e_gru_forward, .gru_backward = e_gru_backward,                         \
        .lstm_forward = e_lstm_forward, .lstm_backward = e_lstm_backward,                     \
        .attention_forward = ATTF, .attention_backward = e_attention_backward,                \
        .attention_step = e_attention_step, .head_loss = e_head_loss,                         \
        .head_params = e_head_params, .sumsq = e_sumsq, .scale = e_scale,                     \
        .adamw_update = e_adamw_update, .on_device = 1, .alloc = e_alloc, .free = e_free,     \
        .upload = e_copy, .download = e_copy, .copy = e_copy, .copy2d = e_copy2d,             \
        .zero = e_zero, .sync = e_sync, .dilated_im2col = e_dilated_im2col,                   \
        .dilated_col2im = e_dilated_col2im, .gated_forward = e_gated_forward,                 \
        .gated_backward = e_gated_backward, .relu_forward = e_relu_forward,                   \
        .relu_backward = e_relu_backward, .mixture_loss = e_mixture_loss,                     \
        .binned_loss = e_binned_loss, .additive_forward = e_additive_forward,                 \
        .additive_backward = e_additive_backward, .additive_step = e_additive_step,           \
        .head_draw = e_head_draw, .infer = INFER,                                             \
        .attention_step_shared = e_attention_step_shared,                                     \
    }

static const tsf_nn_backend emu_infer = EMU_TABLE(e_matmul_inv, e_attention_forward_q, NULL);
const tsf_nn_backend tsf_emu_backend = EMU_TABLE(e_matmul_forward, e_attention_forward,
                                                 &emu_infer);

