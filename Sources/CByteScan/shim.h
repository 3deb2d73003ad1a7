// Byte classes of 64 bytes at a time, for the CSV trip scanner: one SSE2 comparison per 16
// bytes where the target has it (every x86-64), a portable word-at-a-time loop elsewhere.
// Header only (static inline): the Swift optimiser inlines it into the scan loop.
#ifndef CORDON_CBYTESCAN_SHIM_H
#define CORDON_CBYTESCAN_SHIM_H
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Bit k set when p[k] is a comma or a line feed, for k in 0..<64. Reads exactly p[0..<64].
static inline uint64_t cordon_delimiters64(const uint8_t *p) {
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(','), feed = _mm_set1_epi8('\n');
    uint64_t bits = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, feed));
        bits |= (uint64_t)(uint16_t)_mm_movemask_epi8(hit) << (16 * k);
    }
    return bits;
#else
    uint64_t bits = 0;
    for (int k = 0; k < 64; k++) {
        bits |= (uint64_t)(p[k] == ',' || p[k] == '\n') << k;
    }
    return bits;
#endif
}

#endif
