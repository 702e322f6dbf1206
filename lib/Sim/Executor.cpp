//===- Executor.cpp - Runs a BitMoD program -------------------------------===//

#include "bitmod/Sim/Executor.h"

#include "bitmod/ISA/WeightBlock.h"
#include "bitmod/Sim/Float16.h"
#include "bitmod/Sim/GoldenDatapath.h"
#include "bitmod/Support/Error.h"
#include "bitmod/Support/MemoryLimit.h"

#include "llvm/Support/FormatVariadic.h"

#include <cstring>

using namespace bitmod;
using namespace bitmod::arch;
using namespace bitmod::sim;
using bitmod::isa::Instruction;
using bitmod::isa::Opcode;
using llvm::Error;
using llvm::Expected;

Expected<AccelConfig> sim::getProgramAccelConfig(const isa::Program &p) {
  AccelConfig cfg;
  if (!llvm::StringRef(p.accelConfig).trim().empty()) {
    auto parsed = parseAccelConfigJSON(p.accelConfig);
    if (!parsed)
      return makeError("embedded accelerator config: " +
                       llvm::toString(parsed.takeError()));
    cfg = *parsed;
  }
  if (cfg.actBufferBytes < p.actBufferBytes ||
      cfg.wgtBufferBytes < p.wgtBufferBytes)
    return makeError(llvm::formatv(
        "program needs {0}/{1}-byte activation/weight buffers, the "
        "accelerator has {2}/{3}",
        p.actBufferBytes, p.wgtBufferBytes, cfg.actBufferBytes,
        cfg.wgtBufferBytes));
  return cfg;
}

namespace {

class Machine {
public:
  Machine(const isa::Program &p) : p(p) {}

  Error init(const llvm::StringMap<std::vector<float>> &inputs);
  Error step(size_t index, const isa::ConfigFields *config);
  std::vector<float> readSymbol(const isa::Symbol &s) const;
  DatapathStats stats;
  bool golden = false;

private:
  Error matmul(size_t index, const Instruction &inst,
               const isa::ConfigFields &config);

  const isa::Program &p;
  std::vector<uint8_t> dram, act, wgt;
};

Error Machine::init(const llvm::StringMap<std::vector<float>> &inputs) {
  // The DMA address field reaches 16 GiB; beyond that the program cannot
  // be right. Below it, the image is allocated only if it fits the
  // process's memory limit (--max-memory), like every input-sized buffer.
  if (p.dramSize > (uint64_t(1) << 34))
    return makeError(llvm::formatv("DRAM image of {0} bytes is too large "
                                   "for functional simulation (use "
                                   "--timing-only)",
                                   p.dramSize));
  uint64_t onChipBytes = uint64_t(p.actBufferBytes) + p.wgtBufferBytes;
  if (Error err = checkMemory("the program's DRAM image and on-chip buffers "
                              "(functional simulation; --timing-only needs "
                              "none)",
                              p.dramSize + onChipBytes))
    return err;
  dram.assign(p.dramSize, 0);
  // A program without weights has a null weights.data(): memcpy must not
  // see it (fuzzer finding, fuzz/corpus/bmod/finding-no-weights.bmod).
  if (!p.weights.empty())
    std::memcpy(dram.data() + p.weightBase, p.weights.data(), p.weights.size());
  act.assign(p.actBufferBytes, 0);
  wgt.assign(p.wgtBufferBytes, 0);
  for (const isa::Symbol &s : p.symbols) {
    if (s.kind != isa::SymbolKind::Input)
      continue;
    auto it = inputs.find(s.name);
    if (it == inputs.end())
      return makeError("missing input '" + s.name + "'");
    const std::vector<float> &v = it->second;
    if (int64_t(v.size()) != s.getNumElements())
      return makeError(llvm::formatv("input '{0}' has {1} elements, the "
                                     "symbol needs {2}",
                                     s.name, v.size(), s.getNumElements()));
    uint8_t *dst = dram.data() + s.dramAddr;
    for (size_t i = 0; i < v.size(); ++i) {
      if (s.elemType == isa::ElemType::F16) {
        uint16_t h = floatToHalf(v[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      } else {
        std::memcpy(dst + 4 * i, &v[i], 4);
      }
    }
  }
  for (const auto &entry : inputs)
    if (!p.findSymbol(entry.first()) ||
        p.findSymbol(entry.first())->kind != isa::SymbolKind::Input)
      return makeError("'" + entry.first() + "' is not an input symbol");
  return Error::success();
}

std::vector<float> Machine::readSymbol(const isa::Symbol &s) const {
  std::vector<float> out(s.getNumElements());
  const uint8_t *src = dram.data() + s.dramAddr;
  for (size_t i = 0; i < out.size(); ++i) {
    if (s.elemType == isa::ElemType::F16) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      out[i] = halfToFloat(h);
    } else {
      std::memcpy(&out[i], src + 4 * i, 4);
    }
  }
  return out;
}

Error Machine::step(size_t index, const isa::ConfigFields *config) {
  const Instruction &inst = p.instructions[index];
  switch (inst.opcode) {
  case Opcode::LoadAct: {
    const isa::DmaFields &d = inst.dma;
    for (uint32_t r = 0; r < d.rows; ++r) {
      uint8_t *dst = act.data() + d.bufOffset + uint64_t(r) * d.bufPitch;
      std::memcpy(dst, dram.data() + d.dramAddr + uint64_t(r) * d.dramStride,
                  d.rowBytes);
      std::memset(dst + d.rowBytes, 0, d.bufPitch - d.rowBytes);
    }
    return Error::success();
  }
  case Opcode::Store: {
    const isa::DmaFields &d = inst.dma;
    for (uint32_t r = 0; r < d.rows; ++r)
      std::memcpy(dram.data() + d.dramAddr + uint64_t(r) * d.dramStride,
                  act.data() + d.bufOffset + uint64_t(r) * d.bufPitch,
                  d.rowBytes);
    return Error::success();
  }
  case Opcode::LoadWgt:
    std::memcpy(wgt.data() + inst.loadWgt.bufOffset,
                dram.data() + inst.loadWgt.dramAddr, inst.loadWgt.bytes);
    return Error::success();
  case Opcode::MatMul:
    return matmul(index, inst, *config);
  case Opcode::Config:
  case Opcode::Sync:
  case Opcode::Halt:
    return Error::success();
  }
  return Error::success();
}

Error Machine::matmul(size_t index, const Instruction &inst,
                      const isa::ConfigFields &config) {
  auto fail = [&](const llvm::Twine &msg) {
    return makeError("instruction " + llvm::Twine(index) + " (matmul): " + msg);
  };
  const isa::MatMulFields &mm = inst.matmul;
  auto layoutOr = isa::getWeightBlockLayout(config, mm.n, mm.kGroups);
  if (!layoutOr)
    return fail(llvm::toString(layoutOr.takeError()));
  const isa::WeightBlockLayout &l = *layoutOr;
  bool mx = quant::isMXType(config.dtype);
  if (!mx && config.scaleBits == 0)
    return fail("float group scales (scale_bits=0) are not a hardware "
                "format");
  const uint8_t *block = wgt.data() + mm.wgtOffset;
  uint32_t G = config.groupSize;
  uint64_t kPad = uint64_t(mm.kGroups) * G;

  // Unpack the block into the datapath's view.
  std::vector<uint8_t> codes(uint64_t(mm.n) * kPad);
  for (uint32_t r = 0; r < mm.n; ++r) {
    const uint8_t *row = block + l.codesOffset + uint64_t(r) * l.codeRowBytes;
    for (uint64_t k = 0; k < kPad; ++k) {
      uint64_t bit = k * l.codeBits;
      uint32_t code = 0;
      for (unsigned b = 0; b < l.codeBits; ++b)
        code |= uint32_t((row[(bit + b) / 8] >> ((bit + b) % 8)) & 1) << b;
      codes[r * kPad + k] = uint8_t(code);
    }
  }
  uint64_t entries = uint64_t(mm.n) * mm.kGroups;
  std::vector<int8_t> scales(entries);
  std::memcpy(scales.data(), block + l.scalesOffset, entries);
  std::vector<uint8_t> selectors, zeroPoints;
  if (l.selectorsBytes) {
    selectors.resize(entries);
    uint32_t rowBytes = (mm.kGroups + 3) / 4;
    for (uint32_t r = 0; r < mm.n; ++r)
      for (uint32_t g = 0; g < mm.kGroups; ++g)
        selectors[uint64_t(r) * mm.kGroups + g] =
            (block[l.selectorsOffset + uint64_t(r) * rowBytes + g / 4] >>
             (2 * (g % 4))) &
            3;
  }
  if (l.zeroPointsBytes)
    zeroPoints.assign(block + l.zeroPointsOffset,
                      block + l.zeroPointsOffset + entries);
  std::vector<float> channelScales;
  if (l.channelScalesBytes) {
    channelScales.resize(mm.n);
    std::memcpy(channelScales.data(), block + l.channelScalesOffset, 4 * mm.n);
  }
  QuantizedMatrixView view;
  view.dtype = config.dtype;
  view.rows = mm.n;
  view.cols = uint32_t(kPad);
  view.groupSize = G;
  view.codes = codes.data();
  view.codeRowStride = kPad;
  view.groupScales = scales.data();
  view.scaleKind = mx ? GroupScaleKind::Pow2 : GroupScaleKind::IntCode;
  view.selectors = selectors.empty() ? nullptr : selectors.data();
  view.zeroPoints = zeroPoints.empty() ? nullptr : zeroPoints.data();
  view.channelScales = channelScales.empty() ? nullptr : channelScales.data();

  std::vector<uint16_t> x(uint64_t(mm.m) * kPad);
  for (uint32_t r = 0; r < mm.m; ++r)
    std::memcpy(x.data() + r * kPad,
                act.data() + mm.actOffset + uint64_t(r) * mm.actPitch,
                kPad * 2);
  DatapathOptions opts;
  if (quant::hasSpecialValue(config.dtype) ||
      quant::hasSelector(config.dtype)) {
    SpecialValueFile sv;
    for (unsigned i = 0; i < 4; ++i)
      sv.values[i] = config.sv[i];
    if (Error e = sv.validate())
      return fail("SV register file: " + llvm::toString(std::move(e)));
    opts.specialValues = sv;
  }
  std::vector<float> y(uint64_t(mm.m) * mm.n);
  DatapathStats local;
  if (Error e =
          golden ? golden::groupedMatmul(x.data(), mm.m, view, y.data(), opts)
                 : groupedMatmul(x.data(), mm.m, view, y.data(), opts, &local))
    return fail(llvm::toString(std::move(e)));
  stats.termSteps += local.termSteps;
  stats.groupDequants += local.groupDequants;

  bool f32 = mm.outFormat == isa::OutFormat::F32;
  for (uint32_t r = 0; r < mm.m; ++r)
    for (uint32_t c = 0; c < mm.n; ++c) {
      uint8_t *dst = act.data() + mm.outOffset + uint64_t(r) * mm.outPitch +
                     uint64_t(c) * (f32 ? 4 : 2);
      float v = y[uint64_t(r) * mm.n + c];
      if (mm.accumulate) {
        float old;
        if (f32) {
          std::memcpy(&old, dst, 4);
        } else {
          uint16_t h;
          std::memcpy(&h, dst, 2);
          old = halfToFloat(h);
        }
        v = old + v;
      }
      if (f32) {
        std::memcpy(dst, &v, 4);
      } else {
        uint16_t h = floatToHalf(v);
        std::memcpy(dst, &h, 2);
      }
    }
  return Error::success();
}

} // namespace

Expected<ExecResult>
sim::execute(const isa::Program &p, const AccelConfig &cfg,
             const llvm::StringMap<std::vector<float>> &inputs,
             const ExecOptions &options) {
  if (Error e = isa::verifyProgram(p))
    return std::move(e);
  if (Error e = cfg.validate())
    return std::move(e);
  if (cfg.actBufferBytes < p.actBufferBytes ||
      cfg.wgtBufferBytes < p.wgtBufferBytes)
    return makeError("the accelerator's buffers are smaller than the "
                     "program's");
  ExecResult result;
  auto timing = simulateTiming(p, cfg);
  if (!timing)
    return timing.takeError();
  result.timing = std::move(*timing);
  if (options.timingOnly)
    return result;

  Machine m(p);
  m.golden = options.golden;
  if (Error e = m.init(inputs))
    return std::move(e);
  const isa::ConfigFields *config = nullptr;
  for (size_t i = 0; i < p.instructions.size(); ++i) {
    if (p.instructions[i].opcode == Opcode::Config)
      config = &p.instructions[i].config;
    if (Error e = m.step(i, config))
      return std::move(e);
    ++result.instructionsExecuted;
  }
  for (const isa::Symbol &s : p.symbols)
    if (s.kind == isa::SymbolKind::Output)
      result.outputs[s.name] = m.readSymbol(s);
  result.datapath = m.stats;
  return result;
}
