/* tsf batch with MPI (meson -Dmpi=enabled): `mpirun -n K tsf batch ...`.
 *
 * Every rank reads the same input (a stream; reading is cheap next to
 * fitting) and fits the series whose global index i has i % K == rank.
 * After each chunk the results travel to rank 0, which writes them in input
 * order, so the output is byte-for-byte the single-process one. */
#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"

static int g_rank, g_size = 1, g_inited;

/* Started by mpirun/mpiexec/srun?  A plain `tsf batch` in an MPI build
 * then skips MPI_Init, whose singleton start-up costs about half a second. */
static int under_launcher(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                       "PMI_SIZE", "SLURM_PROCID", NULL};
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

int batch_mpi_init(void)
{
    if (!under_launcher()) return 0;
    int flag = 0;
    MPI_Initialized(&flag);
    if (!flag && MPI_Init(NULL, NULL) != MPI_SUCCESS) return -1;
    g_inited = !flag;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    return 0;
}

int batch_mpi_rank(void)
{
    return g_rank;
}

int batch_mpi_size(void)
{
    return g_size;
}

/* Packed result: u64 index, u64 failed, u64 rows_len, u64 summary_len,
 * rows, summary. */
static size_t packed_size(const batch_result *r)
{
    return 4 * sizeof(uint64_t) + r->rows_len + r->summary_len;
}

static char *pack(const batch_result *r, uint64_t idx, char *p)
{
    uint64_t h[4] = {idx, (uint64_t)r->failed, r->rows_len, r->summary_len};
    memcpy(p, h, sizeof h);
    p += sizeof h;
    memcpy(p, r->rows, r->rows_len);
    p += r->rows_len;
    memcpy(p, r->summary, r->summary_len);
    return p + r->summary_len;
}

static int unpack(const char *p, const char *end, batch_result *res, size_t n)
{
    while (p < end) {
        uint64_t h[4];
        if ((size_t)(end - p) < sizeof h) return -1;
        memcpy(h, p, sizeof h);
        p += sizeof h;
        if (h[0] >= n || h[2] + h[3] > (uint64_t)(end - p)) return -1;
        batch_result *r = &res[h[0]];
        r->failed = (int)h[1];
        r->rows_len = h[2];
        r->summary_len = h[3];
        r->rows = malloc(h[2] + 1);
        r->summary = malloc(h[3] + 1);
        if (!r->rows || !r->summary) return -1;
        memcpy(r->rows, p, h[2]);
        r->rows[h[2]] = '\0';
        p += h[2];
        memcpy(r->summary, p, h[3]);
        r->summary[h[3]] = '\0';
        p += h[3];
    }
    return 0;
}

int batch_mpi_gather(batch_result *res, size_t n, size_t base)
{
    if (g_size == 1) return 0;
    size_t mine = 0;
    for (size_t i = 0; i < n; i++)
        if ((base + i) % (size_t)g_size == (size_t)g_rank) mine += packed_size(&res[i]);
    if (mine > (size_t)INT32_MAX) return -1;
    char *buf = malloc(mine ? mine : 1), *p = buf;
    int ok = buf != NULL;
    for (size_t i = 0; ok && i < n; i++)
        if ((base + i) % (size_t)g_size == (size_t)g_rank) p = pack(&res[i], i, p);
    /* Every rank takes part in the collectives even after a local failure,
     * so that none waits forever; the failure is agreed on afterwards. */
    int len = ok ? (int)mine : 0;
    int *lens = NULL, *displs = NULL;
    char *all = NULL;
    long long total = 0;
    if (g_rank == 0) {
        lens = calloc((size_t)g_size, sizeof *lens);
        displs = calloc((size_t)g_size, sizeof *displs);
        ok = ok && lens && displs;
    }
    MPI_Gather(&len, 1, MPI_INT, lens, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (g_rank == 0 && lens && displs) {
        for (int r = 0; r < g_size; r++) {
            displs[r] = (int)total;
            total += lens[r];
        }
        if (total > INT32_MAX || !(all = malloc(total ? (size_t)total : 1))) ok = 0;
        if (!ok) memset(lens, 0, (size_t)g_size * sizeof *lens), memset(displs, 0,
                                                                       (size_t)g_size * sizeof *displs);
    }
    MPI_Gatherv(buf, len, MPI_CHAR, all, lens, displs, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (g_rank == 0 && ok) {
        for (int r = 1; r < g_size && ok; r++)
            ok = unpack(all + displs[r], all + displs[r] + lens[r], res, n) == 0;
    }
    free(buf);
    free(all);
    free(lens);
    free(displs);
    int all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all_ok ? 0 : -1;
}

int batch_mpi_bcast_int(int v)
{
    if (g_size > 1) MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return v;
}

int batch_mpi_max_int(int v)
{
    if (g_size < 2) return v;
    int out = v;
    MPI_Allreduce(&v, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return out;
}

int batch_mpi_allreduce(void *ctx, double *buf, size_t n)
{
    (void)ctx;
    if (g_size < 2) return 0;
    /* one call for the whole flat buffer (sizes beyond INT_MAX in pieces) */
    for (size_t off = 0; off < n;) {
        int c = n - off > (size_t)1 << 30 ? 1 << 30 : (int)(n - off);
        if (MPI_Allreduce(MPI_IN_PLACE, buf + off, c, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) !=
            MPI_SUCCESS)
            return -1;
        off += (size_t)c;
    }
    return 0;
}

void batch_mpi_finalize(void)
{
    if (g_inited) MPI_Finalize();
    g_inited = 0;
}
