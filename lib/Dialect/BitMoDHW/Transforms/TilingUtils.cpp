//===- TilingUtils.cpp - Shared blocking arithmetic of the HW passes ------===//

#include "TilingUtils.h"

#include "bitmod/ISA/WeightBlock.h"
#include "bitmod/Support/Error.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::hw;
namespace isa = ::bitmod::isa;
namespace arch = ::bitmod::arch;
namespace sim = ::bitmod::sim;
using ::bitmod::makeError;

llvm::Expected<GemmInfo> hw::getGemmInfo(GroupedMatmulOp op, StringRef name,
                                         const arch::AccelConfig &cfg) {
  GemmInfo g;
  g.name = name.str();
  auto inTy = op.getInput().getType();
  auto outTy = op.getResult().getType();
  auto wTy = op.getWeights().getType();
  if (!inTy.hasStaticShape() || !outTy.hasStaticShape())
    return makeError("dynamic shapes cannot be tiled");
  g.K = uint64_t(wTy.getCols());
  g.N = uint64_t(wTy.getRows());
  g.M = 1;
  for (int64_t d : inTy.getShape().drop_back())
    g.M *= uint64_t(d);
  if (g.M == 0 || g.N == 0 || g.K == 0)
    return makeError("empty GEMM");
  Type elem = outTy.getElementType();
  if (!elem.isF32() && !elem.isF16())
    return makeError("result element type must be f32 or f16");
  g.outElem = elem.isF16() ? 2 : 4;
  ::bitmod::quant::DataType dtype = toQuantType(wTy.getDtype());
  if (dtype == ::bitmod::quant::DataType::fp16)
    return makeError("fp16 weights cannot run on the bit-serial array");
  g.G = wTy.getGroupSize();
  g.numGroups = uint64_t(wTy.getNumGroups());
  g.config.dtype = dtype;
  g.config.groupSize = g.G;
  g.config.scaleBits = wTy.getScaleBits();
  g.config.sv = wTy.getSpecialValueSet();
  auto spec = sim::getBitMoDWeightSpec(cfg, dtype, g.G);
  if (!spec)
    return spec.takeError();
  g.spec = *spec;
  // The cost model assumes cfg.scaleBits-bit group scales; float scales
  // (scale_bits = 0) are 32 bits.
  if (!::bitmod::quant::isMXType(dtype)) {
    unsigned bits = wTy.getScaleBits() ? wTy.getScaleBits() : 32;
    g.spec.bitsPerWeight += (double(bits) - double(cfg.scaleBits)) / g.G;
  }
  return g;
}

arch::ArrayShape hw::getShape(const arch::AccelConfig &cfg,
                              Arrangement arrangement) {
  return cfg.getArrayShape(arrangement == Arrangement::gen
                               ? arch::ArrayArrangement::Generative
                               : arch::ArrayArrangement::Discriminative);
}

std::vector<std::pair<uint64_t, uint64_t>>
hw::getTokenBlocks(uint64_t M, uint64_t blockTokens, uint64_t tokenLanes) {
  std::vector<std::pair<uint64_t, uint64_t>> blocks;
  uint64_t Mb = std::min(blockTokens, M);
  uint64_t nb = ceilDiv(M, Mb), tiles = ceilDiv(M, tokenLanes);
  if (nb == 1 || Mb % tokenLanes != 0 || tiles < nb) {
    for (uint64_t m0 = 0; m0 < M; m0 += Mb)
      blocks.push_back({m0, std::min(Mb, M - m0)});
    return blocks;
  }
  // Block i gets ceil((i+1) t / nb) - ceil(i t / nb) tiles: at most Mb / T,
  // the shorter blocks spread out (each follows a full one).
  for (uint64_t i = 0; i < nb; ++i) {
    uint64_t t0 = ceilDiv(i * tiles, nb), t1 = ceilDiv((i + 1) * tiles, nb);
    uint64_t m0 = t0 * tokenLanes;
    blocks.push_back({m0, std::min(t1 * tokenLanes, M) - m0});
  }
  return blocks;
}

llvm::Expected<BufferPlan> hw::planBuffers(const GemmInfo &g, const Blocking &b,
                                           const arch::AccelConfig &cfg) {
  const uint64_t maxM = (1u << isa::kMatMulMBits) - 1;
  const uint64_t maxN = (1u << isa::kMatMulNBits) - 1;
  const uint64_t maxKG = (1u << isa::kMatMulKGroupsBits) - 1;
  if (b.blockTokens == 0 || b.blockTokens > maxM)
    return makeError(llvm::formatv("block of {0} tokens outside the MATMUL m "
                                   "field range 1..{1}",
                                   b.blockTokens, maxM));
  if (b.blockChannels == 0 || b.blockChannels > maxN)
    return makeError(llvm::formatv("block of {0} channels outside the MATMUL "
                                   "n field range 1..{1}",
                                   b.blockChannels, maxN));
  if (b.blockGroups == 0 || b.blockGroups > maxKG)
    return makeError(llvm::formatv("block of {0} groups outside the MATMUL "
                                   "kgroups field range 1..{1}",
                                   b.blockGroups, maxKG));
  isa::ConfigFields config = g.config;
  BufferPlan p;
  uint64_t Mb = std::min(b.blockTokens, g.M);
  uint64_t Nb = std::min(b.blockChannels, g.N);
  uint64_t kg = std::min(b.blockGroups, g.numGroups);
  p.outPitch = alignTo16(Nb * g.outElem);
  p.outSlotBytes = alignTo16(Mb * p.outPitch);
  if (Nb * g.outElem > (1u << isa::kDmaRowBytesBits) - 1)
    return makeError(llvm::formatv("an output row of {0} bytes exceeds the "
                                   "STORE row_bytes field",
                                   Nb * g.outElem));
  auto blockBytes = [&](uint64_t n, uint64_t k) -> llvm::Expected<uint64_t> {
    auto l = isa::getWeightBlockLayout(config, uint32_t(n), uint32_t(k));
    if (!l)
      return l.takeError();
    return uint64_t(l->totalBytes);
  };
  const uint64_t half = cfg.wgtBufferBytes / 2 / 16 * 16;
  // A streamed weight block of Nb x kg, at most half the weight buffer.
  auto streamedBlockBytes = [&]() -> llvm::Expected<uint64_t> {
    auto bytes = blockBytes(Nb, kg);
    if (bytes && *bytes > half)
      return makeError(llvm::formatv(
          "a weight block of {0} channels x {1} groups needs {2} bytes, more "
          "than half the {3}-byte weight buffer",
          Nb, kg, *bytes, cfg.wgtBufferBytes));
    return bytes;
  };
  if (b.order == BlockingOrder::act_resident) {
    // X[Mb, K] resident as K chunks of kg groups in a ring of slots.
    const uint64_t kBlocks = ceilDiv(g.numGroups, kg);
    const uint64_t chunkElems = std::min(kg * g.G, g.K);
    p.xPitch = alignTo16(kg * g.G * 2);
    if (chunkElems * 2 > (1u << isa::kDmaRowBytesBits) - 1)
      return makeError(llvm::formatv("an activation row of {0} bytes exceeds "
                                     "the LOAD_ACT row_bytes field",
                                     chunkElems * 2));
    p.xSlotBytes = Mb * p.xPitch;
    uint64_t chunks = ceilDiv(g.M, Mb) * kBlocks;
    uint64_t free = cfg.actBufferBytes > 2 * p.outSlotBytes
                        ? cfg.actBufferBytes - 2 * p.outSlotBytes
                        : 0;
    p.numXSlots =
        unsigned(std::max(kBlocks, std::min(chunks, free / p.xSlotBytes)));
    auto bytes = streamedBlockBytes();
    if (!bytes)
      return bytes.takeError();
    uint64_t loads = ceilDiv(g.N, Nb) * kBlocks * ceilDiv(g.M, Mb);
    uint64_t fit = cfg.wgtBufferBytes / alignTo16(*bytes);
    p.numWgtSlots = unsigned(std::max<uint64_t>(2, std::min(fit, loads)));
    p.wgtSlotBytes = cfg.wgtBufferBytes / p.numWgtSlots / 16 * 16;
    p.wgtBytesUsed = p.numWgtSlots * p.wgtSlotBytes;
  } else if (b.order == BlockingOrder::out_block) {
    // K-split: X chunks and weight blocks of kg groups both streamed through
    // two slots each; the output tile stays on chip across the K chunks.
    const uint64_t chunkElems = std::min(kg * g.G, g.K);
    if (chunkElems * 2 > (1u << isa::kDmaRowBytesBits) - 1)
      return makeError(llvm::formatv("an activation row of {0} bytes exceeds "
                                     "the LOAD_ACT row_bytes field",
                                     chunkElems * 2));
    p.numXSlots = 2;
    p.xPitch = alignTo16(kg * g.G * 2);
    p.xSlotBytes = Mb * p.xPitch;
    auto bytes = streamedBlockBytes();
    if (!bytes)
      return bytes.takeError();
    p.numWgtSlots = 2;
    p.wgtSlotBytes = half;
    p.wgtBytesUsed = 2 * half;
  } else {
    p.numXSlots = 2;
    p.xPitch = alignTo16(kg * g.G * 2);
    p.xSlotBytes = Mb * p.xPitch;
    uint64_t kBlocks = ceilDiv(g.numGroups, kg), off = 0;
    for (uint64_t kb = 0; kb < kBlocks; ++kb) {
      auto bytes = blockBytes(Nb, std::min(kg, g.numGroups - kb * kg));
      if (!bytes)
        return bytes.takeError();
      p.wgtBlockOffsets.push_back(off);
      p.wgtBlockBytes.push_back(*bytes);
      off += *bytes;
    }
    if (off > cfg.wgtBufferBytes)
      return makeError(llvm::formatv(
          "{0} resident channels x {1} groups need {2} bytes, more than the "
          "{3}-byte weight buffer",
          Nb, g.numGroups, off, cfg.wgtBufferBytes));
    p.wgtCopyBytes = alignTo16(off);
    if (ceilDiv(g.N, Nb) > 1 && 2 * p.wgtCopyBytes <= cfg.wgtBufferBytes)
      p.numWgtCopies = 2;
    p.wgtBytesUsed = (p.numWgtCopies - 1) * p.wgtCopyBytes + off;
  }
  if (p.xPitch > isa::kMaxPitch || p.outPitch > isa::kMaxPitch)
    return makeError(llvm::formatv("a buffer row pitch of {0} bytes exceeds "
                                   "the {1}-byte pitch field",
                                   std::max(p.xPitch, p.outPitch),
                                   isa::kMaxPitch));
  p.outBase = alignTo16(p.numXSlots * p.xSlotBytes);
  p.actBytesUsed = p.outBase + 2 * p.outSlotBytes;
  if (p.actBytesUsed > cfg.actBufferBytes &&
      b.order == BlockingOrder::out_block) {
    p.numOutSlots = 1;
    p.actBytesUsed = p.outBase + p.outSlotBytes;
  }
  if (p.actBytesUsed > cfg.actBufferBytes)
    return makeError(llvm::formatv(
        "{0} activation slot(s) of {1} rows x {2} bytes and {6} output "
        "tile(s) of {1} x {3} bytes need {4} bytes, more than the {5}-byte "
        "activation buffer",
        p.numXSlots, Mb, p.xPitch, p.outPitch, p.actBytesUsed,
        cfg.actBufferBytes, p.numOutSlots));
  if (p.actBytesUsed > isa::kMaxBufferOffset + 16 ||
      p.wgtBytesUsed > isa::kMaxBufferOffset + 16)
    return makeError("buffer offsets exceed the 18-bit offset field");
  return p;
}
