//===- TestUtil.h - Shared helpers of the ISA unit tests --------*- C++ -*-===//

#ifndef BITMOD_UNITTESTS_ISA_TESTUTIL_H
#define BITMOD_UNITTESTS_ISA_TESTUTIL_H

#include "bitmod/ISA/Instruction.h"
#include "bitmod/ISA/LinearProgram.h"
#include "bitmod/Quant/Quantizer.h"

#include "gtest/gtest.h"

#include <random>

namespace bitmod {
namespace isa {
namespace test {

inline uint64_t randBits(std::mt19937_64 &rng, unsigned bits) {
  return rng() & ((uint64_t(1) << bits) - 1);
}

/// A random instruction of `op` that passes verifyInstruction().
inline Instruction randomInstruction(std::mt19937_64 &rng, Opcode op) {
  Instruction inst;
  inst.opcode = op;
  auto flag = [&] { return bool(rng() & 1); };
  switch (op) {
  case Opcode::Config: {
    ConfigFields &c = inst.config;
    do
      c.dtype = quant::DataType(rng() % quant::kNumDataTypes);
    while (false);
    c.groupSize = 8 * (1 + rng() % 511);
    c.scaleBits = rng() % 9;
    for (auto &v : c.sv)
      v = int8_t(rng());
    c.tokenLanes = 1 + rng() % 1023;
    c.channelLanes = 1 + rng() % 1023;
    break;
  }
  case Opcode::LoadAct:
  case Opcode::Store: {
    DmaFields &d = inst.dma;
    d.dramAddr = randBits(rng, kDramAddrBits);
    d.bufOffset = randBits(rng, kBufUnitsBits) * 16;
    d.rows = 1 + rng() % 4095;
    d.rowBytes = 1 + rng() % 4000;
    d.dramStride = d.rowBytes + rng() % 100000;
    d.bufPitch = (d.rowBytes + 15) / 16 * 16 + 16 * (rng() % 8);
    break;
  }
  case Opcode::LoadWgt:
    inst.loadWgt.dramAddr = randBits(rng, kDramAddrBits);
    inst.loadWgt.bufOffset = randBits(rng, kBufUnitsBits) * 16;
    inst.loadWgt.bytes = 1 + randBits(rng, kWgtBytesBits - 1);
    break;
  case Opcode::MatMul: {
    MatMulFields &m = inst.matmul;
    m.actOffset = randBits(rng, kBufUnitsBits) * 16;
    m.actPitch = 16 * (1 + rng() % 4095);
    m.wgtOffset = randBits(rng, kBufUnitsBits) * 16;
    m.outOffset = randBits(rng, kBufUnitsBits) * 16;
    m.outFormat = flag() ? OutFormat::F16 : OutFormat::F32;
    m.n = 1 + rng() % 4095;
    uint32_t row = m.n * (m.outFormat == OutFormat::F32 ? 4 : 2);
    m.n = std::min<uint32_t>(m.n,
                             65520 / (m.outFormat == OutFormat::F32 ? 4 : 2));
    row = m.n * (m.outFormat == OutFormat::F32 ? 4 : 2);
    m.outPitch = (row + 15) / 16 * 16;
    m.m = 1 + rng() % 1023;
    m.kGroups = 1 + rng() % 1023;
    m.accumulate = flag();
    break;
  }
  case Opcode::Sync:
    inst.sync.queue = Queue(rng() % 3);
    break;
  case Opcode::Halt:
    return inst;
  }
  Queue q = inst.getQueue();
  inst.tokens.popPrev = q != Queue::Load && flag();
  inst.tokens.pushPrev = q != Queue::Load && flag();
  inst.tokens.popNext = q != Queue::Store && flag();
  inst.tokens.pushNext = q != Queue::Store && flag();
  return inst;
}

/// Deterministic pseudo-random weights with a few outliers.
inline std::vector<float> randomMatrix(uint64_t seed, size_t count,
                                       float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(count);
  for (float &x : v)
    x = dist(rng);
  for (size_t i = 0; i < count; i += 97)
    v[i] *= 6;
  return v;
}

inline quant::PackedWeights quantizeOrDie(const std::vector<float> &w,
                                          int64_t N, int64_t K,
                                          quant::DataType dt,
                                          unsigned G = 128) {
  quant::QuantConfig cfg;
  cfg.dtype = dt;
  cfg.groupSize = G;
  cfg.numThreads = 1;
  auto p = quant::quantize(w, N, K, cfg);
  if (!p) {
    ADD_FAILURE() << llvm::toString(p.takeError());
    return {};
  }
  return std::move(*p);
}

} // namespace test
} // namespace isa
} // namespace bitmod

#endif // BITMOD_UNITTESTS_ISA_TESTUTIL_H
