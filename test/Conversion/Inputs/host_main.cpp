// Test main for the host-lowering run tests (not part of the product).
// Compile with -DENTRY=bitmod_model_<f> -DIN_N=<elements> -DOUT_N=<elements>;
// usage: prog in.bin out.bin (raw little-endian f32).
#include <cstdio>
#include <cstdlib>
#include <vector>

extern "C" void ENTRY(void *ctx, float *in0, float *out0);

// The context the stub runtime checks it receives unchanged.
int hostTestContext = 0xB17;

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s in.bin out.bin\n", argv[0]);
    return 2;
  }
  std::vector<float> in(IN_N), out(OUT_N, -12345.0f);
  FILE *f = std::fopen(argv[1], "rb");
  if (!f || std::fread(in.data(), sizeof(float), IN_N, f) != IN_N) {
    std::fprintf(stderr, "cannot read %d floats from %s\n", IN_N, argv[1]);
    return 1;
  }
  std::fclose(f);
  ENTRY(&hostTestContext, in.data(), out.data());
  f = std::fopen(argv[2], "wb");
  if (!f || std::fwrite(out.data(), sizeof(float), OUT_N, f) != OUT_N)
    return 1;
  std::fclose(f);
  return 0;
}
