/* The emulated device backend of tests/emu_backend.c. */
#ifndef TSF_TESTS_EMU_BACKEND_H
#define TSF_TESTS_EMU_BACKEND_H
#include "neural/backend.h"

/* CPU ops on PROT_NONE-between-ops memory, on_device = 1. */
extern const tsf_nn_backend tsf_emu_backend;
/* Number of live allocations. */
size_t tsf_emu_live(void);

#endif
