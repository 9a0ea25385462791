/* tsf batch without MPI (meson -Dmpi=disabled): one rank does everything. */
#include "batch.h"

int batch_mpi_init(void)
{
    return 0;
}

int batch_mpi_rank(void)
{
    return 0;
}

int batch_mpi_size(void)
{
    return 1;
}

int batch_mpi_gather(batch_result *res, size_t n, size_t base)
{
    (void)res;
    (void)n;
    (void)base;
    return 0;
}

int batch_mpi_bcast_int(int v)
{
    return v;
}

int batch_mpi_max_int(int v)
{
    return v;
}

int batch_mpi_allreduce(void *ctx, double *buf, size_t n)
{
    (void)ctx;
    (void)buf;
    (void)n;
    return 0;
}

void batch_mpi_finalize(void)
{
}
