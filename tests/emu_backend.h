/* The emulated device backend of tests/emu_backend.c. */
#ifndef TSF_TESTS_EMU_BACKEND_H
#define TSF_TESTS_EMU_BACKEND_H
#include "neural/backend.h"

/* CPU ops on PROT_NONE-between-ops memory, on_device = 1. */
extern const tsf_nn_backend tsf_emu_backend;
/* Number of live allocations. */
size_t tsf_emu_live(void);
/* From now on the k-th and later allocations fail (k = 0: never). */
void tsf_emu_fail_after(long k);

#endif
