//===- LinearProgram.cpp - Reference code generator for one GEMM ----------===//

#include "bitmod/ISA/LinearProgram.h"
#include "bitmod/ISA/WeightBlock.h"

#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Support/Error.h"

#include "llvm/Support/FormatVariadic.h"

using namespace bitmod;
using namespace bitmod::isa;
using llvm::Expected;

static uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

Expected<Program> isa::buildLinearProgram(const quant::PackedWeights &w,
                                          uint32_t M,
                                          const LinearProgramOptions &opt) {
  auto configOr = getConfigForWeights(w);
  if (!configOr)
    return configOr.takeError();
  ConfigFields config = *configOr;
  config.tokenLanes = opt.tokenLanes;
  config.channelLanes = opt.channelLanes;
  if (M == 0 || M > (1u << kMatMulMBits) - 1)
    return makeError(
        llvm::formatv("M = {0} outside 1..{1}", M, (1u << kMatMulMBits) - 1));
  uint64_t N = w.rows, K = w.cols;
  uint32_t G = config.groupSize;
  uint64_t numGroups = w.getNumGroups();
  uint64_t kPad = numGroups * G;
  uint32_t outElem = opt.outFormat == OutFormat::F32 ? 4 : 2;

  // Block shape.
  uint32_t kg = opt.blockGroups
                    ? opt.blockGroups
                    : uint32_t(std::min<uint64_t>(
                          numGroups, (1u << kMatMulKGroupsBits) - 1));
  uint32_t slotBytes = opt.wgtBufferBytes / 2 / 16 * 16;
  uint32_t nb = opt.blockChannels;
  if (nb == 0) {
    uint64_t maxN = std::min<uint64_t>(N, (1u << kMatMulNBits) - 1);
    for (;;) {
      uint32_t lanes = std::max<uint32_t>(1, config.channelLanes);
      auto l = getWeightBlockLayout(config, lanes, kg);
      if (!l)
        return l.takeError();
      if (l->totalBytes <= slotBytes || kg == 1)
        break;
      kg = (kg + 1) / 2;
    }
    nb = 0;
    for (uint64_t cand = config.channelLanes;
         cand <= maxN + config.channelLanes; cand += config.channelLanes) {
      uint32_t c = uint32_t(std::min<uint64_t>(cand, maxN));
      auto l = getWeightBlockLayout(config, c, kg);
      if (!l || l->totalBytes > slotBytes)
        break;
      nb = c;
      if (c == maxN)
        break;
    }
    if (nb == 0)
      return makeError("no weight block fits half the weight buffer");
  }
  uint64_t nBlocks = (N + nb - 1) / nb, kBlocks = (numGroups + kg - 1) / kg;

  // Activation buffer: x at 0, two output slots after it.
  uint64_t actPitch = alignUp(kPad * 2, 16);
  uint64_t xBytes = uint64_t(M) * actPitch;
  uint64_t outPitch = alignUp(uint64_t(nb) * outElem, 16);
  uint64_t outSlot = alignUp(uint64_t(M) * outPitch, 16);
  if (xBytes + 2 * outSlot > opt.actBufferBytes)
    return makeError(llvm::formatv(
        "x [{0}, {1}] and two output tiles need {2} bytes, more than the "
        "{3}-byte activation buffer",
        M, kPad, xBytes + 2 * outSlot, opt.actBufferBytes));
  if (actPitch > kMaxPitch || outPitch > kMaxPitch)
    return makeError("row pitch exceeds the 12-bit pitch field");

  Program p;
  p.actBufferBytes = opt.actBufferBytes;
  p.wgtBufferBytes = opt.wgtBufferBytes;
  p.accelConfig = opt.accelConfig;
  p.weightBase = 0;

  // Weight blob: blocks in (n block, k block) order.
  struct BlockRef {
    uint64_t dram;
    uint32_t bytes, n, kGroups;
  };
  std::vector<BlockRef> blocks;
  for (uint64_t nbI = 0; nbI < nBlocks; ++nbI)
    for (uint64_t kbI = 0; kbI < kBlocks; ++kbI) {
      uint32_t n = uint32_t(std::min<uint64_t>(nb, N - nbI * nb));
      uint32_t k = uint32_t(std::min<uint64_t>(kg, numGroups - kbI * kg));
      auto bytes = packWeightBlock(w, config, nbI * nb, n, kbI * kg, k);
      if (!bytes)
        return bytes.takeError();
      blocks.push_back({p.weights.size(), uint32_t(bytes->size()), n, k});
      p.weights.insert(p.weights.end(), bytes->begin(), bytes->end());
    }
  uint64_t xAddr = alignUp(p.weights.size(), 64);
  uint64_t xDramBytes = uint64_t(M) * K * 2;
  uint64_t yAddr = alignUp(xAddr + xDramBytes, 64);
  uint64_t yBytes = uint64_t(M) * N * outElem;
  p.dramSize = alignUp(yAddr + yBytes, 64);
  p.symbols.push_back({opt.inputName,
                       SymbolKind::Input,
                       ElemType::F16,
                       {int64_t(M), int64_t(K)},
                       xAddr,
                       xDramBytes});
  p.symbols.push_back(
      {opt.outputName,
       SymbolKind::Output,
       opt.outFormat == OutFormat::F32 ? ElemType::F32 : ElemType::F16,
       {int64_t(M), int64_t(N)},
       yAddr,
       yBytes});

  auto &insts = p.instructions;
  Instruction cfg;
  cfg.opcode = Opcode::Config;
  cfg.config = config;
  insts.push_back(cfg);

  Instruction ld;
  ld.opcode = Opcode::LoadAct;
  ld.dma = {xAddr, 0, M, uint32_t(K * 2), uint32_t(K * 2), uint32_t(actPitch)};
  insts.push_back(ld);

  uint64_t total = blocks.size();
  for (uint64_t nbI = 0, i = 0; nbI < nBlocks; ++nbI) {
    uint32_t outOff = uint32_t(xBytes + (nbI % 2) * outSlot);
    for (uint64_t kbI = 0; kbI < kBlocks; ++kbI, ++i) {
      const BlockRef &b = blocks[i];
      uint32_t wOff = uint32_t((i % 2) * slotBytes);
      Instruction lw;
      lw.opcode = Opcode::LoadWgt;
      lw.loadWgt = {b.dram, wOff, b.bytes};
      lw.tokens.popNext = i >= 2; // slot freed by MATMUL i-2
      lw.tokens.pushNext = true;  // block i ready
      insts.push_back(lw);

      Instruction mm;
      mm.opcode = Opcode::MatMul;
      mm.matmul.actOffset = uint32_t(kbI * kg * G * 2);
      mm.matmul.actPitch = uint32_t(actPitch);
      mm.matmul.wgtOffset = wOff;
      mm.matmul.outOffset = outOff;
      mm.matmul.outPitch = uint32_t(outPitch);
      mm.matmul.m = M;
      mm.matmul.n = b.n;
      mm.matmul.kGroups = b.kGroups;
      mm.matmul.accumulate = kbI > 0;
      mm.matmul.outFormat = opt.outFormat;
      mm.tokens.popPrev = true;
      mm.tokens.pushPrev = i + 2 < total;
      // First MATMUL into an output slot waits for its previous store.
      mm.tokens.popNext = kbI == 0 && nbI >= 2;
      bool lastK = kbI + 1 == kBlocks;
      mm.tokens.pushNext = lastK;
      // The activation offset must stay 16-byte aligned.
      if (mm.matmul.actOffset % 16)
        return makeError("K block offset not 16-byte aligned");
      insts.push_back(mm);

      if (lastK) {
        Instruction st;
        st.opcode = Opcode::Store;
        st.dma = {yAddr + nbI * nb * outElem,
                  outOff,
                  M,
                  uint32_t(b.n * outElem),
                  uint32_t(N * outElem),
                  uint32_t(outPitch)};
        st.tokens.popPrev = true;
        st.tokens.pushPrev = nbI + 2 < nBlocks;
        insts.push_back(st);
      }
    }
  }
  Instruction halt;
  halt.opcode = Opcode::Halt;
  insts.push_back(halt);

  LayerRange layer{opt.layerName, 0, uint32_t(insts.size())};
  layer.gemmM = M;
  layer.gemmN = N;
  layer.gemmK = K;
  p.layers.push_back(layer);
  if (llvm::Error e = verifyProgram(p))
    return std::move(e);
  return p;
}
