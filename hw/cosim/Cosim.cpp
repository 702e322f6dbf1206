//===- Cosim.cpp - Driver of the Verilator co-simulation ------------------===//
//
// bitmod-rtl-cosim [--vectors N] [--seed S] [--types a,b,..] [--pe-only]
//                  [--tile-only]
// Runs N random groups per PE data type through the PE-level RTL and N / 8
// tile passes per type (8 channels x 8 tokens each, several groups, the
// type's group sizes) through the tile RTL; compares every output bit with
// the functional/golden model and the tile's cycle counts with the timing
// model. Exit 0 if all match, 1 on a mismatch, 2 on bad arguments.
//
//===----------------------------------------------------------------------===//

#include "Cosim.h"

#include "verilated.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

using namespace bitmod;
using namespace bitmod::cosim;
using quant::DataType;

uint16_t cosim::randomAct(Rng &rng) {
  unsigned kind = rng() % 16;
  uint16_t sign = (rng() & 1) ? 0x8000 : 0;
  switch (kind) {
  case 0:
    return sign; // +-0
  case 1:
    return sign | uint16_t(1 + rng() % 0x3ff); // subnormal
  case 2:
    return sign | uint16_t(0x7800 + rng() % 0x400); // largest binade
  case 3:
    return sign | uint16_t((rng() & 1) ? 0x7bff : 0x0001); // extremes
  default: {
    uint16_t e = uint16_t(1 + rng() % 30);
    return sign | uint16_t(e << 10) | uint16_t(rng() & 0x3ff);
  }
  }
}

sim::SpecialValueFile cosim::randomSV(Rng &rng, DataType t) {
  bool is4 = quant::getCodeBits(t) == 4;
  if (rng() & 1)
    return sim::SpecialValueFile::forFamily(is4);
  sim::SpecialValueFile f;
  for (int32_t &v : f.values) {
    // |v| < 32 with at most two one-bits.
    unsigned a = rng() % 5, b = rng() % 5;
    int32_t mag = (rng() % 8 == 0) ? 0 : ((1 << a) | ((rng() & 1) << b));
    v = (rng() & 1) ? -mag : mag;
  }
  return f;
}

int32_t cosim::randomScale(Rng &rng, DataType t) {
  if (quant::isMXType(t))
    return int32_t(rng() % 256) - 128;
  return int32_t(rng() % (1u << kScaleBits));
}

Group cosim::randomGroup(Rng &rng, DataType t, unsigned maxCount) {
  Group g;
  unsigned bits = quant::getCodeBits(t);
  g.count = 1 + unsigned(rng() % maxCount);
  g.act.resize(g.count);
  g.codes.resize(g.count);
  for (unsigned k = 0; k < g.count; ++k) {
    g.act[k] = randomAct(rng);
    g.codes[k] = uint8_t(rng() & ((1u << bits) - 1));
  }
  g.selector = unsigned(rng() % 4);
  g.zeroPoint = unsigned(rng() % (1u << bits));
  g.scale = randomScale(rng, t);
  g.sv = randomSV(rng, t);
  return g;
}

uint32_t cosim::floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

std::string cosim::toString(__int128 v) {
  if (v == 0)
    return "0";
  bool neg = v < 0;
  unsigned __int128 u = neg ? (unsigned __int128)(-v) : (unsigned __int128)v;
  std::string s;
  while (u) {
    s.insert(s.begin(), char('0' + int(u % 10)));
    u /= 10;
  }
  return neg ? "-" + s : s;
}

std::vector<DataType> cosim::peTypes() {
  std::vector<DataType> out;
  for (unsigned i = 0; i < quant::kNumDataTypes; ++i)
    if (sim::isSupportedByPE(DataType(i)))
      out.push_back(DataType(i));
  return out;
}

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);
  CosimOptions opt;
  std::vector<DataType> types = peTypes();
  bool pe = true, tile = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bitmod-rtl-cosim: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--vectors") {
      char *end;
      const char *v = next();
      opt.vectors = std::strtoull(v, &end, 10);
      if (*end || opt.vectors == 0) {
        std::fprintf(stderr, "bitmod-rtl-cosim: bad --vectors '%s'\n", v);
        return 2;
      }
    } else if (a == "--seed") {
      opt.seed = unsigned(std::strtoul(next(), nullptr, 10));
    } else if (a == "--types") {
      types.clear();
      std::stringstream ss(next());
      std::string name;
      while (std::getline(ss, name, ',')) {
        auto t = quant::parseDataType(name);
        if (!t || !sim::isSupportedByPE(*t)) {
          std::fprintf(stderr, "bitmod-rtl-cosim: '%s' is not a PE data type\n",
                       name.c_str());
          return 2;
        }
        types.push_back(*t);
      }
    } else if (a == "--pe-only") {
      tile = false;
    } else if (a == "--tile-only") {
      pe = false;
    } else if (a == "-v") {
      opt.verbose = true;
    } else {
      std::fprintf(stderr, "bitmod-rtl-cosim: unknown argument '%s'\n",
                   a.c_str());
      return 2;
    }
  }
  bool allOk = true;
  auto t0 = std::chrono::steady_clock::now();
  for (DataType t : types) {
    std::string name(quant::getName(t));
    if (pe) {
      Stats st;
      bool ran = runPECosim(opt, t, st);
      std::printf("pe   %-10s %8llu groups  %llu mismatches\n", name.c_str(),
                  (unsigned long long)st.vectors,
                  (unsigned long long)st.mismatches);
      allOk &= ran && st.mismatches == 0;
    }
    if (tile) {
      Stats st;
      bool ran = runTileCosim(opt, t, st);
      std::printf("tile %-10s %8llu passes  %llu output mismatches  %llu "
                  "cycle mismatches\n",
                  name.c_str(), (unsigned long long)st.vectors,
                  (unsigned long long)st.mismatches,
                  (unsigned long long)st.cycleMismatches);
      allOk &= ran && st.mismatches == 0 && st.cycleMismatches == 0;
    }
    std::fflush(stdout);
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  std::printf("%s (%.1f s)\n", allOk ? "ALL MATCH" : "FAILED", secs);
  return allOk ? 0 : 1;
}
