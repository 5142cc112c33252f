#ifndef C_MEMORY_SCAN_H
#define C_MEMORY_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/// Whether the `count` bytes at `bytes` are all zero. Reads every byte (no early exit), with
/// the widest vector loads the CPU offers (AVX-512, AVX2, else 64-bit words).
bool memory_scan_is_zero(const void *bytes, size_t count);

/// Whether the `count` bytes at `left` and at `right` are equal, byte for byte. Reads every
/// byte of both (no early exit), with the widest vector loads the CPU offers.
bool memory_scan_equal(const void *left, const void *right, size_t count);

/// The vector widths the checks can use, narrowest first.
enum memory_scan_level { memory_scan_portable = 1, memory_scan_avx2 = 2, memory_scan_avx512 = 3 };

/// The widest level this CPU and operating system support (what the two checks above use).
int memory_scan_best_level(void);

/// `memory_scan_is_zero` at `level`, which must not exceed `memory_scan_best_level()` (tests
/// check every level the machine has).
bool memory_scan_is_zero_at(int level, const void *bytes, size_t count);

/// `memory_scan_equal` at `level`, which must not exceed `memory_scan_best_level()`.
bool memory_scan_equal_at(int level, const void *left, const void *right, size_t count);

#endif
