/* Memory latency probe: the time of one dependent load (a pointer chase over a random cyclic
 * permutation of cache lines) in a buffer of the given size, on 2 MiB pages where the kernel
 * gives them (MADV_HUGEPAGE), so that TLB misses do not count. This is the floor under every
 * random access of a point query: a query whose leaf is not in cache waits this long for it.
 *   chase MB [LOADS]   prints "MB MiB: N ns per dependent load"
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static uint64_t next_random(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: chase MB [LOADS]\n"); return 2; }
  size_t bytes = (size_t)atol(argv[1]) << 20, lines = bytes / 64;
  long loads = argc > 2 ? atol(argv[2]) : 20000000;
  if (lines < 2) { fprintf(stderr, "chase: at least 1 MiB\n"); return 2; }
  uint64_t *a;
  if (posix_memalign((void **)&a, 2 << 20, bytes)) { perror("chase"); return 1; }
  madvise(a, bytes, MADV_HUGEPAGE);
  size_t *order = malloc(lines * sizeof *order);
  if (!order) { perror("chase"); return 1; }
  for (size_t i = 0; i < lines; i++) order[i] = i;
  uint64_t seed = 1;
  for (size_t i = lines - 1; i > 0; i--) { /* Fisher-Yates */
    size_t j = next_random(&seed) % (i + 1), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (size_t i = 0; i < lines; i++) a[order[i] * 8] = order[(i + 1) % lines] * 8;
  free(order);
  size_t p = 0;
  for (size_t i = 0; i < lines; i++) p = a[p]; /* fault in and warm up */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < loads; i++) p = a[p];
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / loads;
  printf("%4s MiB: %6.1f ns per dependent load%s\n", argv[1], ns, p == (size_t)-1 ? "!" : "");
  return 0;
}
