/* libFuzzer entry point shared by the fuzz targets and the replay driver. */
#ifndef TSF_FUZZ_H
#define TSF_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
