/* The body of the one-query attention routine (cpu_attn_query.c), included
 * twice: with AVX2+FMA intrinsics (TARGET, MADD a fused multiply-add,
 * TREE8 by horizontal adds) and portably (MADD a multiply then an add,
 * TREE8 lane by lane).  The definition of every output is written once,
 * here; the two instantiations differ only in the rounding of MADD, chosen
 * once per process (tsf_cpu_fma).  Expects v8, rows(), and FN, TARGET,
 * MADD, LOADN/STOREN, PAD_DECL (what LOADN needs), BCAST, TREE8, SOFTMAX
 * defined by the includer,
 * and optionally VALUES, a faster form of a block's weighted sums with the
 * same arithmetic (returns 0 where it does not apply), and SCORES4, one of
 * the scores of the first paths (returns how many it did). */

/* Scores of keys j0 .. j0 + nb - 1 (rows kr, JB of them, the rows past nb
 * repeating a valid one) for one query: head h's score of key r is
 * tree(lanes of sum_c q_c * k_c) * sc - slope_h * dist_r, the lanes of
 * one head's columns being 8 chains of multiply-adds, column i in lane
 * i % 8 and in column order, zeros past hs. */
TARGET static void FN(score_block)(float *p, size_t ps, const float *q, const float *const *kr,
                                   size_t nb, size_t hs, size_t NH, float sc,
                                   const float *slope, const float *dist)
{
    PAD_DECL
    size_t full = hs / 8 * 8;
    const float *k0 = kr[0], *k1 = kr[1], *k2 = kr[2], *k3 = kr[3], *k4 = kr[4], *k5 = kr[5],
                *k6 = kr[6], *k7 = kr[7];
    for (size_t h = 0; h < NH; h++) {
        v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
        size_t o = h * hs, e = o + full;
        /* whole vectors (indexed loads from 8 base registers), then the
         * last columns padded with zeros */
        for (; o < e; o += 8) {
            v8 qv = LOADN(q + o, 8);
            a0 = MADD(qv, LOADN(k0 + o, 8), a0);
            a1 = MADD(qv, LOADN(k1 + o, 8), a1);
            a2 = MADD(qv, LOADN(k2 + o, 8), a2);
            a3 = MADD(qv, LOADN(k3 + o, 8), a3);
            a4 = MADD(qv, LOADN(k4 + o, 8), a4);
            a5 = MADD(qv, LOADN(k5 + o, 8), a5);
            a6 = MADD(qv, LOADN(k6 + o, 8), a6);
            a7 = MADD(qv, LOADN(k7 + o, 8), a7);
        }
        if (full < hs) {
            size_t m = hs - full;
            v8 qv = LOADN(q + o, m);
            a0 = MADD(qv, LOADN(k0 + o, m), a0);
            a1 = MADD(qv, LOADN(k1 + o, m), a1);
            a2 = MADD(qv, LOADN(k2 + o, m), a2);
            a3 = MADD(qv, LOADN(k3 + o, m), a3);
            a4 = MADD(qv, LOADN(k4 + o, m), a4);
            a5 = MADD(qv, LOADN(k5 + o, m), a5);
            a6 = MADD(qv, LOADN(k6 + o, m), a6);
            a7 = MADD(qv, LOADN(k7 + o, m), a7);
        }
        v8 s = TREE8(a0, a1, a2, a3, a4, a5, a6, a7);
        s = s * sc - slope[h] * LOADN(dist, 8);
        STOREN(p + h * ps, s, nb);
    }
}

/* out (hs columns at o) += sum over the nb rows r of p[r] v_r, a chain of
 * multiply-adds per column in row order, started from zero (first) or
 * from what the previous block stored: storing a float between two
 * blocks rounds nothing, so the chain is that of one block. */
TARGET static void FN(value_block)(float *out, const float *p, const float *const *vr,
                                   size_t nb, size_t o, size_t hs, int first)
{
    PAD_DECL
    size_t c0 = 0;
    /* 64 columns at a time in 8 registers */
    for (; c0 + 64 <= hs; c0 += 64) {
        float *d = out + o + c0;
        v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
        if (!first) {
            a0 = LOADN(d, 8); a1 = LOADN(d + 8, 8); a2 = LOADN(d + 16, 8); a3 = LOADN(d + 24, 8);
            a4 = LOADN(d + 32, 8); a5 = LOADN(d + 40, 8); a6 = LOADN(d + 48, 8); a7 = LOADN(d + 56, 8);
        }
        for (size_t r = 0; r < nb; r++) {
            const float *v = vr[r] + o + c0;
            v8 pb = BCAST(p[r]);
            a0 = MADD(pb, LOADN(v, 8), a0);
            a1 = MADD(pb, LOADN(v + 8, 8), a1);
            a2 = MADD(pb, LOADN(v + 16, 8), a2);
            a3 = MADD(pb, LOADN(v + 24, 8), a3);
            a4 = MADD(pb, LOADN(v + 32, 8), a4);
            a5 = MADD(pb, LOADN(v + 40, 8), a5);
            a6 = MADD(pb, LOADN(v + 48, 8), a6);
            a7 = MADD(pb, LOADN(v + 56, 8), a7);
        }
        STOREN(d, a0, 8); STOREN(d + 8, a1, 8); STOREN(d + 16, a2, 8); STOREN(d + 24, a3, 8);
        STOREN(d + 32, a4, 8); STOREN(d + 40, a5, 8); STOREN(d + 48, a6, 8); STOREN(d + 56, a7, 8);
    }
    /* the rest 8 columns (or fewer) at a time: the same chains */
    for (; c0 < hs; c0 += 8) {
        size_t m = hs - c0 < 8 ? hs - c0 : 8;
        float *d = out + o + c0;
        v8 a = {0};
        if (!first) a = LOADN(d, m);
        for (size_t r = 0; r < nb; r++) a = MADD(BCAST(p[r]), LOADN(vr[r] + o + c0, m), a);
        STOREN(d, a, m);
    }
}

TARGET static void FN(queries)(float *out, const float *q, size_t G, const float *k0,
                               const float *v0, size_t n0, const float *k, const float *v,
                               size_t ks, size_t gs, size_t n, size_t first, size_t wrap,
                               size_t C, size_t NH, const float *slope, float *p, size_t ps,
                               size_t pg)
{
    size_t hs = C / NH, nt = n0 + n;
    float sc = 1.0f / sqrtf((float)hs);
    const float *kr[VB], *kg[VB];
    size_t ring[VB];
    /* scores, JB keys at a time: the block's rows stay in L1 while every
     * path's query runs through them */
    size_t slot = first;
    for (size_t j0 = 0, nb; j0 < nt; j0 += nb) {
        nb = rows(kr, ring, k0, k, ks, n0, j0, nt, JB, C, &slot, wrap);
        float d[JB];
        for (size_t r = 0; r < JB; r++) d[r] = (float)(nt - 1 - j0 - (r < nb ? r : 0));
        size_t g = 0;
#ifdef SCORES4
        g = SCORES4(p + j0, pg, ps, q, G, C, kr, ring, nb, hs, NH, sc, slope, d);
#endif
        for (; g < G; g++) {
            for (size_t r = 0; r < JB; r++) kg[r] = kr[r] + ring[r] * g * gs;
            FN(score_block)(p + g * pg + j0, ps, q + g * C, kg, nb, hs, NH, sc, slope, d);
        }
    }
    for (size_t g = 0; g < G; g++)
        for (size_t h = 0; h < NH; h++) SOFTMAX(p + g * pg + h * ps, nt);
    /* weighted sums of the values, VB rows at a time, likewise */
    slot = first;
    for (size_t j0 = 0, nb; j0 < nt; j0 += nb) {
        nb = rows(kr, ring, v0, v, ks, n0, j0, nt, VB, C, &slot, wrap);
#ifdef VALUES
        if (VALUES(out, p + j0, kr, ring, nb, G, NH, hs, gs, C, pg, ps, j0 == 0)) continue;
#endif
        for (size_t g = 0; g < G; g++) {
            for (size_t r = 0; r < nb; r++) kg[r] = kr[r] + ring[r] * g * gs;
            for (size_t h = 0; h < NH; h++)
                FN(value_block)(out + g * C, p + g * pg + h * ps + j0, kg, nb, h * hs, hs,
                                j0 == 0);
        }
    }
    if (nt == 0) memset(out, 0, G * C * sizeof *out);
}

/* the parameters that differ between instantiations end here (the
 * includer undefines the arithmetic ones: MADD, LOADN, PAD_DECL, STOREN,
 * BCAST, TREE8) */
#undef FN
#undef TARGET
#undef SOFTMAX
#undef VALUES
#undef SCORES4
