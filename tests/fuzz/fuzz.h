/*
 * fuzz.h - one entry point per fuzz target, libFuzzer's. With clang and
 * -DLADE_FUZZ=ON each target links against libFuzzer; otherwise driver.c
 * replays the seed corpus and a bounded, seeded run of mutations of it, so
 * the test command (and its ASan build) exercises every parser of
 * untrusted input on every run.
 */
#ifndef LADE_FUZZ_H
#define LADE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
