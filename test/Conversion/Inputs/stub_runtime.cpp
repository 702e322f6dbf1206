// Stub runtime for the host-lowering run tests (not part of the product):
// bitmod_rt_launch computes y[M, N] = x[M, K] W^T in float with the test's
// weight formula W[n][k] = ((7n + 3k) % 11 - 5) / 8 (the same values the
// test model holds as its MatMul initializer), for layers listed below.
#include "bitmod/Runtime/RuntimeABI.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

extern int hostTestContext;

extern "C" void bitmod_rt_launch(void *ctx, const char *layer,
                                 const float *input, int64_t inputElements,
                                 float *output, int64_t outputElements) {
  struct Layer {
    const char *name;
    int64_t k, n;
  } layers[] = {{"fc", 8, 4}};
  if (ctx != &hostTestContext) {
    std::fprintf(stderr, "bitmod_rt_launch: wrong ctx\n");
    std::exit(3);
  }
  for (const Layer &l : layers) {
    if (std::strcmp(l.name, layer) != 0)
      continue;
    int64_t m = inputElements / l.k;
    if (m * l.k != inputElements || m * l.n != outputElements) {
      std::fprintf(stderr, "bitmod_rt_launch(%s): %lld -> %lld elements\n",
                   layer, (long long)inputElements, (long long)outputElements);
      std::exit(3);
    }
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < l.n; ++j) {
        float acc = 0;
        for (int64_t k = 0; k < l.k; ++k)
          acc += input[i * l.k + k] * (((7 * j + 3 * k) % 11 - 5) / 8.0f);
        output[i * l.n + j] = acc;
      }
    std::printf("launch %s m=%lld\n", layer, (long long)m);
    return;
  }
  std::fprintf(stderr, "bitmod_rt_launch: unknown layer %s\n", layer);
  std::exit(3);
}
