// Exact whole-range checks for resetting a guest's linear memory after a call.
//
// A reset reads every byte of a small guest memory (128 KiB for a typical component) to find
// the pages a call wrote. `memcmp` against a zero page reads two streams and stops at 32-byte
// vectors; most of a guest's image is zeros, and checking those pages for zero reads one
// stream, twice as wide where the CPU has AVX-512. The vector width is chosen once, at run
// time, from CPUID and the registers the operating system saves (XCR0): the binary runs on any
// x86-64 CPU, and on other architectures a portable loop does the same work.

#include "CMemoryScan.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

/// The level found by the first call (0 until then); a racing first call finds the same value.
static int detected_level = 0;

static uint64_t saved_register_state(void) {
    uint32_t low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((uint64_t)high << 32) | low;
}

static int detect_level(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return memory_scan_portable;
    const unsigned osxsave = 1u << 27, avx = 1u << 28;
    if ((ecx & (osxsave | avx)) != (osxsave | avx)) return memory_scan_portable;
    uint64_t xcr0 = saved_register_state();
    // SSE and AVX state (bits 1, 2); AVX-512 adds opmask and the upper ZMM halves (bits 5-7).
    if ((xcr0 & 0x6) != 0x6) return memory_scan_portable;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return memory_scan_portable;
    const unsigned avx2 = 1u << 5, avx512f = 1u << 16;
    if ((ebx & avx512f) && (xcr0 & 0xE6) == 0xE6) return memory_scan_avx512;
    if (ebx & avx2) return memory_scan_avx2;
    return memory_scan_portable;
}

static int scan_level(void) {
    int level = __atomic_load_n(&detected_level, __ATOMIC_RELAXED);
    if (level == 0) {
        level = detect_level();
        __atomic_store_n(&detected_level, level, __ATOMIC_RELAXED);
    }
    return level;
}

__attribute__((target("avx512f")))
static bool is_zero_avx512(const uint8_t *bytes, size_t count) {
    __m512i first = _mm512_setzero_si512(), second = first;
    size_t index = 0;
    for (; index + 128 <= count; index += 128) {
        first = _mm512_or_si512(first, _mm512_loadu_si512(bytes + index));
        second = _mm512_or_si512(second, _mm512_loadu_si512(bytes + index + 64));
    }
    uint8_t tail = 0;
    for (; index < count; index++) tail |= bytes[index];
    first = _mm512_or_si512(first, second);
    return _mm512_test_epi64_mask(first, first) == 0 && tail == 0;
}

__attribute__((target("avx512f")))
static bool equal_avx512(const uint8_t *left, const uint8_t *right, size_t count) {
    __m512i first = _mm512_setzero_si512(), second = first;
    size_t index = 0;
    for (; index + 128 <= count; index += 128) {
        // 0xF6: first | (left ^ right).
        first = _mm512_ternarylogic_epi64(first, _mm512_loadu_si512(left + index), _mm512_loadu_si512(right + index), 0xF6);
        second = _mm512_ternarylogic_epi64(second, _mm512_loadu_si512(left + index + 64), _mm512_loadu_si512(right + index + 64), 0xF6);
    }
    uint8_t tail = 0;
    for (; index < count; index++) tail |= left[index] ^ right[index];
    first = _mm512_or_si512(first, second);
    return _mm512_test_epi64_mask(first, first) == 0 && tail == 0;
}

__attribute__((target("avx2")))
static bool is_zero_avx2(const uint8_t *bytes, size_t count) {
    __m256i first = _mm256_setzero_si256(), second = first;
    size_t index = 0;
    for (; index + 64 <= count; index += 64) {
        first = _mm256_or_si256(first, _mm256_loadu_si256((const __m256i *)(bytes + index)));
        second = _mm256_or_si256(second, _mm256_loadu_si256((const __m256i *)(bytes + index + 32)));
    }
    uint8_t tail = 0;
    for (; index < count; index++) tail |= bytes[index];
    first = _mm256_or_si256(first, second);
    return _mm256_testz_si256(first, first) && tail == 0;
}

__attribute__((target("avx2")))
static bool equal_avx2(const uint8_t *left, const uint8_t *right, size_t count) {
    __m256i first = _mm256_setzero_si256(), second = first;
    size_t index = 0;
    for (; index + 64 <= count; index += 64) {
        first = _mm256_or_si256(first, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(left + index)),
                                                        _mm256_loadu_si256((const __m256i *)(right + index))));
        second = _mm256_or_si256(second, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(left + index + 32)),
                                                          _mm256_loadu_si256((const __m256i *)(right + index + 32))));
    }
    uint8_t tail = 0;
    for (; index < count; index++) tail |= left[index] ^ right[index];
    first = _mm256_or_si256(first, second);
    return _mm256_testz_si256(first, first) && tail == 0;
}
#endif

static bool is_zero_portable(const uint8_t *bytes, size_t count) {
    uint64_t accumulated = 0;
    size_t index = 0;
    for (; index + 8 <= count; index += 8) {
        uint64_t word;
        memcpy(&word, bytes + index, 8);
        accumulated |= word;
    }
    for (; index < count; index++) accumulated |= bytes[index];
    return accumulated == 0;
}

int memory_scan_best_level(void) {
#if defined(__x86_64__)
    return scan_level();
#else
    return memory_scan_portable;
#endif
}

bool memory_scan_is_zero_at(int level, const void *bytes, size_t count) {
#if defined(__x86_64__)
    switch (level) {
    case memory_scan_avx512: return is_zero_avx512(bytes, count);
    case memory_scan_avx2: return is_zero_avx2(bytes, count);
    default: break;
    }
#endif
    return is_zero_portable(bytes, count);
}

bool memory_scan_equal_at(int level, const void *left, const void *right, size_t count) {
#if defined(__x86_64__)
    switch (level) {
    case memory_scan_avx512: return equal_avx512(left, right, count);
    case memory_scan_avx2: return equal_avx2(left, right, count);
    default: break;
    }
#endif
    return memcmp(left, right, count) == 0;
}

bool memory_scan_is_zero(const void *bytes, size_t count) {
    return memory_scan_is_zero_at(memory_scan_best_level(), bytes, count);
}

bool memory_scan_equal(const void *left, const void *right, size_t count) {
    return memory_scan_equal_at(memory_scan_best_level(), left, right, count);
}
