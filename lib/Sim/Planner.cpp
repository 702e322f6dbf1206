//===- Planner.cpp - GEMM plan search on the timing model -----------------===//
//
// Moved here from the bitmod_hw passes (TilingUtils, Schedule, Tile) so that
// sim::estimate schedules every accelerator with the same planner.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Sim/Planner.h"

#include "bitmod/ISA/WeightBlock.h"
#include "bitmod/Sim/Baselines.h"
#include "bitmod/Sim/Timing.h"
#include "bitmod/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace bitmod;
using namespace bitmod::sim;
using arch::AccelConfig;
using arch::ArrayArrangement;
using bitmod::makeError;
using llvm::ArrayRef;
using llvm::SmallVector;

static uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
static uint64_t alignTo16(uint64_t v) { return (v + 15) / 16 * 16; }

llvm::StringRef sim::getPlanOrderName(PlanOrder o) {
  switch (o) {
  case PlanOrder::ActResident:
    return "act_resident";
  case PlanOrder::WgtResident:
    return "wgt_resident";
  case PlanOrder::OutBlock:
    break;
  }
  return "out_block";
}

llvm::Expected<PlanGemm> sim::getPlanGemm(const AccelConfig &cfg,
                                          AcceleratorKind kind,
                                          const GemmShape &shape,
                                          const WeightSpec &spec,
                                          unsigned outElem) {
  PlanGemm g;
  g.kind = kind;
  g.M = shape.M;
  g.N = shape.N;
  g.K = shape.K;
  g.spec = spec;
  g.outElem = outElem;
  if (kind == AcceleratorKind::BitMoD) {
    if (!spec.dtype)
      return makeError("planner: the BitMoD weight spec names no data type");
    g.G = spec.groupSize;
    g.config.dtype = *spec.dtype;
    g.config.groupSize = g.G;
    g.config.scaleBits = quant::isMXType(*spec.dtype) ? 0 : cfg.scaleBits;
    g.config.sv = isa::getDefaultSpecialValues(*spec.dtype);
  } else {
    // Per-channel weights: K is cut into chunks of a power of two up to
    // 128 that divides it (the MATMUL k field counts such chunks).
    g.G = 128;
    while (g.K % g.G)
      g.G /= 2;
    g.config.dtype = quant::DataType::int8; // unused by bit-parallel timing
    g.config.groupSize = g.G;
    g.config.scaleBits = cfg.scaleBits;
    g.channelScaleBytes = kind == AcceleratorKind::FP16 ? 0 : 2;
  }
  if (g.G == 0)
    return makeError("planner: group size must be positive");
  g.numGroups = ceilDiv(g.K, g.G);
  return g;
}

arch::ArrayShape sim::getPlanShape(const AccelConfig &cfg, const PlanGemm &g,
                                   ArrayArrangement arrangement) {
  return getAcceleratorShape(cfg, g.kind,
                             arrangement == ArrayArrangement::Generative
                                 ? ArrayArrangement::Generative
                                 : ArrayArrangement::Discriminative);
}

llvm::Expected<uint64_t> sim::getPlanBlockBytes(const PlanGemm &g, uint64_t n,
                                                uint64_t g0, uint64_t kGroups) {
  if (g.kind == AcceleratorKind::BitMoD) {
    auto l =
        isa::getWeightBlockLayout(g.config, uint32_t(n), uint32_t(kGroups));
    if (!l)
      return l.takeError();
    return uint64_t(l->totalBytes);
  }
  uint64_t kElems = std::min(kGroups * g.G, g.K - std::min(g.K, g0 * g.G));
  uint64_t codes =
      ceilDiv(uint64_t(std::ceil(
                  double(n) * double(kElems) * g.spec.bitsPerWeight - 1e-6)),
              8);
  uint64_t scales = g0 == 0 ? n * g.channelScaleBytes : 0;
  return alignTo16(codes + scales);
}

std::string sim::describePlan(const PlanCandidate &c) {
  return llvm::formatv("{0} {1} block_tokens={2} block_channels={3} "
                       "block_groups={4}: {5} cycles, {6} DRAM bytes, "
                       "{7:f1} nJ",
                       c.b.arrangement == ArrayArrangement::Generative ? "gen"
                                                                       : "disc",
                       getPlanOrderName(c.b.order), c.b.blockTokens,
                       c.b.blockChannels, c.b.blockGroups, c.cost.cycles,
                       c.cost.dramBytes, c.cost.energyPJ / 1000)
      .str();
}

std::vector<std::pair<uint64_t, uint64_t>>
sim::getTokenBlocks(uint64_t M, uint64_t blockTokens, uint64_t tokenLanes) {
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

llvm::Expected<BufferPlan> sim::planBuffers(const PlanGemm &g,
                                            const PlanBlocking &b,
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
  // The first K chunk of a channel block is the largest (channel scales).
  auto blockBytes = [&](uint64_t n, uint64_t k) {
    return getPlanBlockBytes(g, n, 0, k);
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
  if (b.order == PlanOrder::ActResident) {
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
  } else if (b.order == PlanOrder::OutBlock) {
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
      auto bytes = getPlanBlockBytes(g, Nb, kb * kg,
                                     std::min(kg, g.numGroups - kb * kg));
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
  if (p.actBytesUsed > cfg.actBufferBytes && b.order == PlanOrder::OutBlock) {
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

//===----------------------------------------------------------------------===//
// Launch schedule
//===----------------------------------------------------------------------===//

LaunchSchedule::LaunchSchedule(const PlanGemm &g, const PlanBlocking &b,
                               const BufferPlan &p, const AccelConfig &cfg)
    : g(g), b(b), p(p), cfg(cfg), shape(getPlanShape(cfg, g, b.arrangement)) {
  uint64_t Nb = std::min(b.blockChannels, g.N);
  uint64_t kg = std::min(b.blockGroups, g.numGroups);
  uint64_t off = 0;
  for (uint64_t n0 = 0; n0 < g.N; n0 += Nb)
    for (uint64_t g0 = 0; g0 < g.numGroups; g0 += kg) {
      BlockRef r{n0,  std::min(Nb, g.N - n0),
                 g0,  std::min(kg, g.numGroups - g0),
                 off, 0};
      auto bytes = getPlanBlockBytes(g, r.n, r.g0, r.kGroups);
      // planBuffers() already accepted every block shape.
      r.bytes = bytes ? *bytes : 0;
      if (!bytes)
        llvm::consumeError(bytes.takeError());
      off += r.bytes;
      blocks.push_back(r);
    }
  blobBytes = off;
}

uint64_t LaunchSchedule::dmaCycles(uint64_t bytes) const {
  return cfg.dramLatencyCycles + getDramTransferCycles(cfg, bytes);
}

int LaunchSchedule::addConfig() {
  PlannedInst s;
  s.inst.opcode = isa::Opcode::Config;
  s.inst.config = g.config;
  s.inst.config.tokenLanes = shape.tokenLanes;
  s.inst.config.channelLanes = shape.channelLanes;
  s.cycles = 1;
  return add(s);
}

int LaunchSchedule::addLoadAct(uint64_t m0, uint64_t rows, uint64_t k0,
                               uint64_t kElems, uint64_t buf) {
  PlannedInst s;
  s.inst.opcode = isa::Opcode::LoadAct;
  s.inst.dma.dramAddr = xAddr + (m0 * g.K + k0) * 2;
  s.inst.dma.bufOffset = uint32_t(buf);
  s.inst.dma.rows = uint32_t(rows);
  s.inst.dma.rowBytes = uint32_t(kElems * 2);
  s.inst.dma.dramStride = uint32_t(g.K * 2);
  s.inst.dma.bufPitch = uint32_t(p.xPitch);
  s.cycles = dmaCycles(rows * kElems * 2);
  return add(s);
}

int LaunchSchedule::addLoadWgt(const BlockRef &r, uint64_t buf) {
  PlannedInst s;
  s.inst.opcode = isa::Opcode::LoadWgt;
  s.inst.loadWgt.dramAddr = weightBase + r.offset;
  s.inst.loadWgt.bufOffset = uint32_t(buf);
  s.inst.loadWgt.bytes = uint32_t(r.bytes);
  s.block = std::array<int64_t, 4>{int64_t(r.n0), int64_t(r.n), int64_t(r.g0),
                                   int64_t(r.kGroups)};
  s.cycles = dmaCycles(r.bytes);
  return add(s);
}

int LaunchSchedule::addMatmul(uint64_t act, uint64_t wgt, uint64_t out,
                              uint64_t m, const BlockRef &r, bool accumulate) {
  PlannedInst s;
  s.inst.opcode = isa::Opcode::MatMul;
  isa::MatMulFields &f = s.inst.matmul;
  f.actOffset = uint32_t(act);
  f.actPitch = uint32_t(p.xPitch);
  f.wgtOffset = uint32_t(wgt);
  f.outOffset = uint32_t(out);
  f.outPitch = uint32_t(p.outPitch);
  f.m = uint32_t(m);
  f.n = uint32_t(r.n);
  f.kGroups = uint32_t(r.kGroups);
  f.accumulate = accumulate;
  f.outFormat = g.outElem == 2 ? isa::OutFormat::F16 : isa::OutFormat::F32;
  s.cycles = ceilDiv(m, shape.tokenLanes) * ceilDiv(r.n, shape.channelLanes) *
             getPassCycles(cfg, g.kind, r.kGroups * g.G, g.spec);
  return add(s);
}

int LaunchSchedule::addStore(uint64_t m0, uint64_t rows, uint64_t n0,
                             uint64_t n, uint64_t buf) {
  PlannedInst s;
  s.inst.opcode = isa::Opcode::Store;
  s.inst.dma.dramAddr = yAddr + (m0 * g.N + n0) * g.outElem;
  s.inst.dma.bufOffset = uint32_t(buf);
  s.inst.dma.rows = uint32_t(rows);
  s.inst.dma.rowBytes = uint32_t(n * g.outElem);
  s.inst.dma.dramStride = uint32_t(g.N * g.outElem);
  s.inst.dma.bufPitch = uint32_t(p.outPitch);
  s.cycles = dmaCycles(rows * n * g.outElem);
  return add(s);
}

/// Quiesces the launch: the compute queue waits for the last store, the load
/// queue for the compute queue, so the next launch's loads cannot overwrite
/// buffers this launch still reads.
void LaunchSchedule::addBarrier(int lastStore) {
  PlannedInst c;
  c.inst.opcode = isa::Opcode::Sync;
  c.inst.sync.queue = isa::Queue::Compute;
  c.cycles = 1;
  c.deps.push_back(lastStore);
  int ci = add(c);
  PlannedInst l;
  l.inst.opcode = isa::Opcode::Sync;
  l.inst.sync.queue = isa::Queue::Load;
  l.cycles = 1;
  l.deps.push_back(ci);
  add(l);
}

void LaunchSchedule::build(uint64_t wBase, uint64_t x, uint64_t y) {
  weightBase = wBase;
  xAddr = x;
  yAddr = y;
  insts.clear();
  const uint64_t Mb = std::min(b.blockTokens, g.M);
  const uint64_t numKBlocks = ceilDiv(g.numGroups, b.blockGroups);
  addConfig();
  std::vector<int> stores;
  auto outSlot = [&](size_t tile) {
    return p.outBase + (tile % 2) * p.outSlotBytes;
  };
  if (b.order == PlanOrder::ActResident) {
    // X[Mb, K] resident as K chunks (one per weight K block) in a ring of
    // p.numXSlots slots; weights streamed through a ring of p.numWgtSlots
    // slots. Chunks of the next token block whose slot was freed before the
    // current token block are prefetched half way through it; the others
    // (their slot is freed by the last column of the current block) are
    // loaded just before the weight block they pair with, so the in-order
    // load queue does not hold back weight loads behind them.
    auto tokenBlocks = getTokenBlocks(g.M, Mb, shape.tokenLanes);
    const size_t numTB = tokenBlocks.size();
    const size_t numCols = blocks.size() / numKBlocks;
    const size_t R = p.numXSlots;
    std::vector<int> lastReader(numTB * numKBlocks, -1); // per X chunk
    std::vector<int> xLoad(numTB * numKBlocks, -1);
    auto xSlot = [&](size_t j) { return (j % R) * p.xSlotBytes; };
    // The chunk whose slot chunk j reuses, if any.
    auto prevUser = [&](size_t j) -> int64_t {
      return j >= R ? int64_t(j - R) : -1;
    };
    auto emitX = [&](size_t j) {
      if (xLoad[j] >= 0)
        return;
      size_t tb = j / numKBlocks, kb = j % numKBlocks;
      uint64_t k0 = kb * b.blockGroups * g.G;
      uint64_t kElems = std::min(b.blockGroups * g.G, g.K - k0);
      int la = addLoadAct(tokenBlocks[tb].first, tokenBlocks[tb].second, k0,
                          kElems, xSlot(j));
      if (int64_t pu = prevUser(j); pu >= 0)
        insts[la].deps.push_back(lastReader[pu]);
      xLoad[j] = la;
    };
    std::vector<int> lastReaderOfLoad; // latest MATMUL reading weight load i
    std::vector<int> loadInst;         // instruction of weight load i
    std::vector<int> loadOfBlock(blocks.size(), -1); // latest load of a block
    // Whole columns still in the weight ring at the end of a token block:
    // the next token block starts with them (columns in rotated order, so
    // the ring stays first in, first out) instead of loading them again.
    const size_t reuseCols =
        numCols > 1 ? std::min<size_t>(p.numWgtSlots / numKBlocks, numCols - 1)
                    : 0;
    size_t firstCol = 0;
    size_t numLoads = 0;
    for (size_t tb = 0; tb < numTB; ++tb) {
      uint64_t rows = tokenBlocks[tb].second;
      if (tb > 0)
        firstCol = (firstCol + numCols - reuseCols) % numCols;
      for (size_t ci = 0; ci < numCols; ++ci) {
        size_t col = (firstCol + ci) % numCols;
        size_t bi = col * numKBlocks;
        // Prefetch the chunks of the next token block whose slots are free.
        if (tb + 1 < numTB && ci == numCols / 2)
          for (size_t kb = 0; kb < numKBlocks; ++kb) {
            size_t j = (tb + 1) * numKBlocks + kb;
            int64_t pu = prevUser(j);
            if (pu < 0 || size_t(pu) / numKBlocks < tb)
              emitX(j);
          }
        size_t tile = stores.size();
        int mm = -1;
        for (uint64_t kb = 0; kb < numKBlocks; ++kb) {
          const BlockRef &r = blocks[bi + kb];
          size_t j = tb * numKBlocks + kb;
          emitX(j);
          // Reuse the block if it is among the last numWgtSlots loads.
          int li = loadOfBlock[bi + kb];
          bool resident = tb > 0 && ci < reuseCols && li >= 0 &&
                          numLoads - size_t(li) <= p.numWgtSlots;
          if (!resident) {
            size_t i = numLoads++;
            uint64_t slot = (i % p.numWgtSlots) * p.wgtSlotBytes;
            int lw = addLoadWgt(r, slot);
            if (i >= p.numWgtSlots)
              insts[lw].deps.push_back(lastReaderOfLoad[i - p.numWgtSlots]);
            li = int(i);
            loadOfBlock[bi + kb] = li;
            loadInst.push_back(lw);
            lastReaderOfLoad.push_back(-1);
          }
          uint64_t slot = (size_t(li) % p.numWgtSlots) * p.wgtSlotBytes;
          mm = addMatmul(xSlot(j), slot, outSlot(tile), rows, r, kb > 0);
          insts[mm].deps.append({loadInst[li], xLoad[j]});
          if (kb == 0 && tile >= 2)
            insts[mm].deps.push_back(stores[tile - 2]);
          lastReaderOfLoad[li] = mm;
          lastReader[j] = mm;
        }
        int st = addStore(tokenBlocks[tb].first, rows, blocks[bi].n0,
                          blocks[bi].n, outSlot(tile));
        insts[st].deps.push_back(mm);
        stores.push_back(st);
      }
    }
  } else if (b.order == PlanOrder::OutBlock) {
    // K-split: per output tile, every K chunk loads its X chunk and weight
    // block into the next of two slots each (the load of chunk j waits only
    // for the MATMUL of chunk j - 2) and accumulates into the tile. With one
    // output slot the tile is stored in row pieces of tokenLanes rows and
    // the tile's last K chunk runs piece by piece, each piece's store
    // starting while the later pieces compute; the next tile's first K chunk
    // also runs piece by piece, each piece after the store of the rows it
    // overwrites.
    const bool oneOutSlot = p.numOutSlots == 1;
    const uint64_t pieceRows = shape.tokenLanes;
    // Leading K chunks of a tile run piece by piece behind the previous
    // tile's stores (one: a second would wait for its slot, which the
    // previous tile's last chunk holds).
    const uint64_t kLeadChunks = 1;
    std::vector<int> mmOfChunk;  // last MATMUL of streamed chunk j
    std::vector<int> lastPieces; // store pieces of the previous tile
    for (uint64_t m0 = 0; m0 < g.M; m0 += Mb) {
      uint64_t rows = std::min(Mb, g.M - m0);
      for (size_t bi = 0; bi < blocks.size(); bi += numKBlocks) {
        size_t tile = stores.size();
        uint64_t out = oneOutSlot ? p.outBase : outSlot(tile);
        int mm = -1;
        // Loads of chunk j into slot j % 2 (after the MATMUL of chunk j - 2).
        auto loadChunk = [&](const BlockRef &r, size_t j) {
          uint64_t k0 = r.g0 * g.G;
          uint64_t kElems = std::min(r.kGroups * g.G, g.K - k0);
          int la = addLoadAct(m0, rows, k0, kElems, (j % 2) * p.xSlotBytes);
          int lw = addLoadWgt(r, (j % 2) * p.wgtSlotBytes);
          if (j >= 2) {
            insts[la].deps.push_back(mmOfChunk[j - 2]);
            insts[lw].deps.push_back(mmOfChunk[j - 2]);
          }
          return std::make_pair(la, lw);
        };
        // With one output slot: the last MATMUL writing each row piece.
        const uint64_t numPieces = ceilDiv(rows, pieceRows);
        std::vector<int> pieceLast(numPieces, -1);
        uint64_t firstKb = 0;
        if (oneOutSlot && !lastPieces.empty()) {
          uint64_t lead = std::min<uint64_t>(kLeadChunks, numKBlocks);
          SmallVector<std::pair<int, int>, 2> loads;
          size_t j0 = mmOfChunk.size();
          for (uint64_t kb = 0; kb < lead; ++kb)
            loads.push_back(loadChunk(blocks[bi + kb], j0 + kb));
          SmallVector<int, 2> lastOf(lead, -1);
          for (uint64_t pi = 0; pi < numPieces; ++pi) {
            uint64_t r0 = pi * pieceRows;
            for (uint64_t kb = 0; kb < lead; ++kb) {
              size_t j = j0 + kb;
              mm = addMatmul((j % 2) * p.xSlotBytes + r0 * p.xPitch,
                             (j % 2) * p.wgtSlotBytes, out + r0 * p.outPitch,
                             std::min(pieceRows, rows - r0), blocks[bi + kb],
                             kb > 0);
              insts[mm].deps.append({loads[kb].first, loads[kb].second});
              if (kb == 0)
                insts[mm].deps.push_back(lastPieces[pi]);
              lastOf[kb] = mm;
            }
            pieceLast[pi] = mm;
          }
          for (uint64_t kb = 0; kb < lead; ++kb)
            mmOfChunk.push_back(lastOf[kb]);
          firstKb = lead;
        }
        for (uint64_t kb = firstKb; kb < numKBlocks; ++kb) {
          const BlockRef &r = blocks[bi + kb];
          size_t j = mmOfChunk.size();
          auto [la, lw] = loadChunk(r, j);
          uint64_t xSlot = (j % 2) * p.xSlotBytes;
          uint64_t wSlot = (j % 2) * p.wgtSlotBytes;
          if (oneOutSlot && kb + 1 == numKBlocks) {
            // The last chunk piece by piece: each piece's store starts
            // while the later pieces compute.
            for (uint64_t pi = 0; pi < numPieces; ++pi) {
              uint64_t r0 = pi * pieceRows;
              mm =
                  addMatmul(xSlot + r0 * p.xPitch, wSlot, out + r0 * p.outPitch,
                            std::min(pieceRows, rows - r0), r, kb > 0);
              insts[mm].deps.append({la, lw});
              pieceLast[pi] = mm;
            }
          } else {
            mm = addMatmul(xSlot, wSlot, out, rows, r, kb > 0);
            insts[mm].deps.append({la, lw});
            if (kb == 0 && !oneOutSlot && tile >= 2)
              insts[mm].deps.push_back(stores[tile - 2]);
          }
          mmOfChunk.push_back(mm);
        }
        if (!oneOutSlot) {
          int st = addStore(m0, rows, blocks[bi].n0, blocks[bi].n, out);
          insts[st].deps.push_back(mm);
          stores.push_back(st);
          continue;
        }
        // The next tile has as many rows or fewer (only the last token
        // block is short), so its pieces are a prefix of these.
        lastPieces.clear();
        for (uint64_t pi = 0; pi < numPieces; ++pi) {
          uint64_t r0 = pi * pieceRows;
          int st = addStore(m0 + r0, std::min(pieceRows, rows - r0),
                            blocks[bi].n0, blocks[bi].n, out + r0 * p.outPitch);
          insts[st].deps.push_back(pieceLast[pi]);
          lastPieces.push_back(st);
        }
        stores.push_back(lastPieces.back());
      }
    }
  } else {
    // With two resident copies, channel block c loads into copy c % 2 once
    // block c - 2 is done with it; its loads are issued after the first
    // token block of block c - 1, so they overlap block c - 1's matmuls.
    const size_t numCols = blocks.size() / numKBlocks;
    std::vector<int> mmOfX;                       // MATMUL reading X chunk j
    std::vector<int> lastMMOf;                    // last MATMUL of block c
    std::vector<SmallVector<int>> lwsOf(numCols); // weight loads of block c
    auto emitWeights = [&](size_t cb) {
      if (!lwsOf[cb].empty())
        return;
      uint64_t copy = (cb % p.numWgtCopies) * p.wgtCopyBytes;
      for (uint64_t kb = 0; kb < numKBlocks; ++kb) {
        int lw = addLoadWgt(blocks[cb * numKBlocks + kb],
                            copy + p.wgtBlockOffsets[kb]);
        if (cb >= p.numWgtCopies) // resident copy replaced
          insts[lw].deps.push_back(lastMMOf[cb - p.numWgtCopies]);
        lwsOf[cb].push_back(lw);
      }
    };
    for (size_t bi = 0; bi < blocks.size(); bi += numKBlocks) {
      size_t cb = bi / numKBlocks;
      uint64_t copy = (cb % p.numWgtCopies) * p.wgtCopyBytes;
      emitWeights(cb);
      const SmallVector<int> &lws = lwsOf[cb];
      for (uint64_t m0 = 0; m0 < g.M; m0 += Mb) {
        uint64_t rows = std::min(Mb, g.M - m0);
        size_t tile = stores.size();
        int mm = -1;
        for (uint64_t kb = 0; kb < numKBlocks; ++kb) {
          const BlockRef &r = blocks[bi + kb];
          size_t j = mmOfX.size();
          uint64_t xSlot = (j % 2) * p.xSlotBytes;
          uint64_t k0 = r.g0 * g.G;
          uint64_t kElems = std::min(r.kGroups * g.G, g.K - k0);
          int la = addLoadAct(m0, rows, k0, kElems, xSlot);
          if (j >= 2)
            insts[la].deps.push_back(mmOfX[j - 2]);
          mm = addMatmul(xSlot, copy + p.wgtBlockOffsets[kb], outSlot(tile),
                         rows, r, kb > 0);
          insts[mm].deps.append({la, lws[kb]});
          if (kb == 0 && tile >= 2)
            insts[mm].deps.push_back(stores[tile - 2]);
          mmOfX.push_back(mm);
        }
        int st = addStore(m0, rows, blocks[bi].n0, blocks[bi].n, outSlot(tile));
        insts[st].deps.push_back(mm);
        stores.push_back(st);
        if (m0 == 0 && p.numWgtCopies > 1 && cb + 1 < numCols)
          emitWeights(cb + 1);
      }
      lastMMOf.push_back(mmOfX.back());
    }
  }
  addBarrier(stores.back());
  assignTokens();
}

namespace {
/// Lends this thread's instruction list to a schedule for the scope. A plan
/// search builds ~100 candidates of similar length, each of up to 1e5
/// instructions: reusing one buffer keeps its pages mapped, where a fresh
/// vector per candidate spent more time in page faults (and in copying
/// PlannedInst as it grew) than the timing model spent simulating.
class BorrowedInsts {
public:
  explicit BorrowedInsts(LaunchSchedule &s) : s(s) {
    s.insts.swap(buffer());
    s.insts.clear();
  }
  ~BorrowedInsts() { buffer().swap(s.insts); }
  BorrowedInsts(const BorrowedInsts &) = delete;
  BorrowedInsts &operator=(const BorrowedInsts &) = delete;

private:
  static std::vector<PlannedInst> &buffer() {
    static thread_local std::vector<PlannedInst> insts;
    return insts;
  }
  LaunchSchedule &s;
};
} // namespace

llvm::Expected<PlanCost> sim::simulatePlan(const PlanGemm &g,
                                           const PlanBlocking &b,
                                           const BufferPlan &p,
                                           const arch::AccelConfig &cfg) {
  static thread_local isa::Program prog; // see BorrowedInsts
  LaunchSchedule s(g, b, p, cfg);
  BorrowedInsts borrowed(s);
  uint64_t xAddr = (s.getBlobBytes() + 63) / 64 * 64;
  uint64_t yAddr = (xAddr + g.M * g.K * 2 + 63) / 64 * 64;
  s.build(0, xAddr, yAddr);
  prog.instructions.clear();
  prog.instructions.reserve(s.insts.size() + 1);
  for (const PlannedInst &si : s.insts)
    prog.instructions.push_back(si.inst);
  isa::Instruction halt;
  halt.opcode = isa::Opcode::Halt;
  prog.instructions.push_back(halt);
  TimingTarget target;
  target.kind = g.kind;
  target.bitsPerWeight = g.spec.bitsPerWeight;
  auto t = simulateTiming(prog, cfg, target);
  if (!t)
    return t.takeError();
  PlanCost c;
  c.cycles = t->totalCycles;
  c.dramReadBytes = t->activity.dramReadBytes;
  c.dramWriteBytes = t->activity.dramWriteBytes;
  c.dramBytes = c.dramReadBytes + c.dramWriteBytes;
  c.activity = t->activity;
  c.energy = t->energy;
  c.energyPJ = t->energy.getTotalPJ();
  c.numInsts = prog.instructions.size();
  return c;
}

/// Per channel (producer queue -> consumer queue), walks the consumers in
/// program order; a consumer pops only when its latest producer is later
/// than everything the channel already waited for, and that producer pushes.
/// Pops and pushes are then both increasing in program order, so the k-th
/// pop consumes exactly the k-th push.
void LaunchSchedule::assignTokens() {
  int lastWaited[3][3];
  for (auto &row : lastWaited)
    for (int &v : row)
      v = -1;
  for (size_t i = 0; i < insts.size(); ++i) {
    unsigned q = unsigned(insts[i].inst.getQueue());
    int latest[3] = {-1, -1, -1};
    for (int d : insts[i].deps) {
      unsigned fq = unsigned(insts[d].inst.getQueue());
      if (fq != q)
        latest[fq] = std::max(latest[fq], d);
    }
    for (unsigned fq = 0; fq < 3; ++fq) {
      int d = latest[fq];
      if (d < 0 || d <= lastWaited[fq][q])
        continue;
      assert((fq + 1 == q || q + 1 == fq) && "dependency between queues that "
                                             "do not share a token channel");
      lastWaited[fq][q] = d;
      if (fq < q) {
        insts[i].inst.tokens.popPrev = true;
        insts[d].inst.tokens.pushNext = true;
      } else {
        insts[i].inst.tokens.popNext = true;
        insts[d].inst.tokens.pushPrev = true;
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Plan search
//===----------------------------------------------------------------------===//

/// Channel counts to try, largest first: `start`, then multiples of `lanes`
/// below it, down to min(lanes, start).
static SmallVector<uint64_t> channelCandidates(uint64_t start, uint64_t lanes) {
  SmallVector<uint64_t> c{start};
  for (uint64_t n = (start - 1) / lanes * lanes; n >= lanes && n > 0;
       n -= lanes)
    c.push_back(n);
  return c;
}

/// Token-block sizes to try, largest first: min(start, M) clamped to the
/// MATMUL m field, then multiples of `lanes` below it.
static SmallVector<uint64_t> tokenCandidates(uint64_t start, uint64_t M,
                                             uint64_t lanes) {
  const uint64_t maxM = (1u << isa::kMatMulMBits) - 1;
  uint64_t mb0 = std::min<uint64_t>(std::max<uint64_t>(start, 1), M);
  if (mb0 > maxM)
    mb0 = std::max<uint64_t>(maxM / lanes * lanes, 1);
  SmallVector<uint64_t> c{mb0};
  for (uint64_t m = (mb0 - 1) / lanes * lanes; m >= lanes && m > 0; m -= lanes)
    c.push_back(m);
  return c;
}

/// Shrinks the cost model's blocking until planBuffers() accepts it.
static std::optional<PlanBlocking> fitBlocking(const PlanGemm &g,
                                               const BlockingPlan &plan,
                                               ArrayArrangement arrangement,
                                               const arch::AccelConfig &cfg,
                                               std::string &lastError) {
  arch::ArrayShape shape = getPlanShape(cfg, g, arrangement);
  const uint64_t T = shape.tokenLanes, C = shape.channelLanes;
  const uint64_t maxN = (1u << isa::kMatMulNBits) - 1;
  const uint64_t maxKG = (1u << isa::kMatMulKGroupsBits) - 1;
  PlanBlocking b;
  b.arrangement = arrangement;
  b.order = plan.order == BlockingOrder::WgtResident ? PlanOrder::WgtResident
                                                     : PlanOrder::ActResident;
  SmallVector<uint64_t> mbs = tokenCandidates(plan.blockTokens, g.M, T);
  uint64_t mb0 = mbs.front();
  uint64_t nStart = std::min(g.N, maxN > C ? maxN / C * C : maxN);
  auto tryIt = [&](uint64_t mb, uint64_t nb, uint64_t kg) {
    PlanBlocking t = b;
    t.blockTokens = mb;
    t.blockChannels = nb;
    t.blockGroups = kg;
    auto p = planBuffers(g, t, cfg);
    if (p) {
      b = t;
      return true;
    }
    lastError = llvm::toString(p.takeError());
    return false;
  };
  uint64_t kgAll = std::min(g.numGroups, maxKG);
  if (b.order == PlanOrder::ActResident) {
    // X resident, weights streamed in blocks of all K (or as much as fits).
    // One channel-lane column of weights per block: the smallest block that
    // keeps the array busy, so weight loads overlap the matmuls.
    uint64_t nb = std::min(g.N, C);
    // K blocks of about a quarter of K (when K has 8 groups or more): the
    // resident X is then loaded and replaced chunk by chunk, and the first
    // and last weight blocks (not overlapped with compute) are short.
    uint64_t kgPref =
        g.numGroups >= 8 ? std::min(kgAll, ceilDiv(g.numGroups, 4)) : kgAll;
    for (uint64_t kg = kgPref; kg >= 1; kg = kg / 2) {
      for (uint64_t mb : mbs)
        if (tryIt(mb, nb, kg))
          return b;
      if (kg == 1)
        break;
    }
    return std::nullopt;
  }
  // Weights resident for a block of channels over all K, X streamed in
  // chunks of kg groups: keep the channel block as large as possible.
  uint64_t nb0 =
      std::min<uint64_t>(std::max<uint64_t>(plan.blockChannels, 1), nStart);
  for (uint64_t nb : channelCandidates(nb0, C))
    for (uint64_t kg = kgAll; kg >= 1; --kg)
      if (tryIt(mb0, nb, kg))
        return b;
  return std::nullopt;
}

/// The largest number of groups per K block that makes `t` fit (field
/// limits included; with `twoOutSlots` only layouts that keep two output
/// slots), or 0.
static uint64_t largestGroups(const PlanGemm &g, PlanBlocking t,
                              const arch::AccelConfig &cfg,
                              std::string &lastError,
                              bool twoOutSlots = false) {
  const uint64_t maxKG = (1u << isa::kMatMulKGroupsBits) - 1;
  uint64_t lo = 1, hi = std::min(g.numGroups, maxKG), best = 0;
  while (lo <= hi) {
    t.blockGroups = (lo + hi) / 2;
    auto p = planBuffers(g, t, cfg);
    if (p && twoOutSlots && p->numOutSlots != 2) {
      lastError = "two output slots do not fit";
      hi = t.blockGroups - 1;
    } else if (p) {
      best = t.blockGroups;
      lo = t.blockGroups + 1;
    } else {
      lastError = llvm::toString(p.takeError());
      hi = t.blockGroups - 1;
    }
  }
  return best;
}

/// The largest multiple of `lanes` channels (up to `limit`) that fits as an
/// out_block tile of `t.blockTokens` tokens with `groups` groups per K chunk,
/// with one or (`twoOutSlots`) two output slots, spread evenly over N: the
/// same number of channel blocks, each a multiple of the lanes. 0 if none
/// fits.
static uint64_t widestChannelBlock(const PlanGemm &g, PlanBlocking t,
                                   uint64_t lanes, uint64_t limit,
                                   const arch::AccelConfig &cfg,
                                   bool twoOutSlots, uint64_t groups) {
  t.blockGroups = groups;
  auto fits = [&](uint64_t nb) {
    t.blockChannels = nb;
    auto p = planBuffers(g, t, cfg);
    if (!p) {
      llvm::consumeError(p.takeError());
      return false;
    }
    return !twoOutSlots || p->numOutSlots == 2;
  };
  uint64_t lo = 1, hi = limit / lanes, best = 0;
  while (lo <= hi) {
    uint64_t mid = (lo + hi) / 2;
    if (fits(mid * lanes)) {
      best = mid * lanes;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (!best)
    return 0;
  uint64_t blocks = ceilDiv(g.N, best);
  return std::min(best, ceilDiv(ceilDiv(g.N, blocks), lanes) * lanes);
}

/// K-split (out_block) blockings: an output tile of Mb tokens x Nb channels
/// stays on chip while X chunks and weight blocks of as many groups as fit
/// stream through double buffers. Mb and Nb range over powers of two times
/// the lanes (down to one channel for tiny buffers), plus per Mb the widest
/// tile that fits with K chunks of 128 and of 256 elements (one and two
/// groups at G = 128; a longer chunk gives a one-slot tile's store more
/// compute to hide behind), with one output slot and with two, so
/// that the traffic X * N/Nb + W * M/Mb can be traded against the buffer
/// space; each (Mb, Nb) with the most groups per chunk that fit, and when
/// that leaves one output slot, also with the most that keep two.
static SmallVector<PlanBlocking> kSplitCandidates(const PlanGemm &g,
                                                  ArrayArrangement arrangement,
                                                  const arch::AccelConfig &cfg,
                                                  std::string &lastError) {
  arch::ArrayShape shape = getPlanShape(cfg, g, arrangement);
  const uint64_t T = shape.tokenLanes, C = shape.channelLanes;
  const uint64_t maxM = (1u << isa::kMatMulMBits) - 1;
  const uint64_t maxN = (1u << isa::kMatMulNBits) - 1;
  SmallVector<uint64_t> mbs, nbs;
  for (uint64_t m = T; m < 2 * g.M && m <= maxM; m *= 2)
    mbs.push_back(std::min(m, g.M));
  if (mbs.empty())
    mbs.push_back(std::min(g.M, maxM / T * T));
  for (uint64_t n = C; n < 2 * g.N && n <= maxN; n *= 2)
    nbs.push_back(std::min(n, g.N));
  for (uint64_t n = std::min(g.N, C) / 2; n >= 1; n /= 2)
    nbs.push_back(n);
  SmallVector<PlanBlocking> out;
  for (uint64_t mb : mbs) {
    PlanBlocking t;
    t.arrangement = arrangement;
    t.order = PlanOrder::OutBlock;
    t.blockTokens = mb;
    SmallVector<uint64_t> tileNbs(nbs);
    if (g.N > C)
      for (bool two : {false, true})
        for (uint64_t chunkElems : {128, 256}) {
          uint64_t groups = ceilDiv(chunkElems, g.G);
          if (groups > g.numGroups)
            continue;
          if (uint64_t nb = widestChannelBlock(g, t, C, std::min(g.N, maxN),
                                               cfg, two, groups);
              nb && !llvm::is_contained(tileNbs, nb))
            tileNbs.push_back(nb);
        }
    for (uint64_t nb : tileNbs) {
      t.blockChannels = nb;
      t.blockGroups = largestGroups(g, t, cfg, lastError);
      if (!t.blockGroups)
        continue;
      out.push_back(t);
      auto p = planBuffers(g, t, cfg);
      bool one = p && p->numOutSlots == 1;
      if (!p)
        llvm::consumeError(p.takeError());
      if (one)
        if ((t.blockGroups =
                 largestGroups(g, t, cfg, lastError, /*twoOutSlots=*/true)))
          out.push_back(t);
    }
  }
  return out;
}

/// Plans up to this many instructions are simulated; larger ones (tiny
/// blocks of huge layers) are not worth the compile time.
static constexpr uint64_t kMaxSimulatedInsts = 400000;

bool sim::isSamePlanGemm(const PlanGemm &a, const PlanGemm &b) {
  return a.kind == b.kind && a.M == b.M && a.N == b.N && a.K == b.K &&
         a.G == b.G && a.numGroups == b.numGroups && a.config == b.config &&
         a.spec.bitsPerWeight == b.spec.bitsPerWeight &&
         a.spec.termsPerWeight == b.spec.termsPerWeight &&
         a.spec.groupSize == b.spec.groupSize && a.spec.dtype == b.spec.dtype &&
         a.outElem == b.outElem && a.channelScaleBytes == b.channelScaleBytes;
}

std::vector<PlanCandidate>
sim::searchPlans(const PlanGemm &g, ArrayRef<ArrayArrangement> arrangements,
                 const AccelConfig &cfg, std::string &lastError, bool prune) {
  SmallVector<PlanBlocking> blockings;
  for (ArrayArrangement arr : arrangements) {
    arr = arr == ArrayArrangement::Generative
              ? ArrayArrangement::Generative
              : ArrayArrangement::Discriminative;
    GemmShape shape{g.M, g.N, g.K};
    BlockingPlan plan = planBlocking(cfg, g.kind, shape, g.spec, arr);
    // Both resident orders, the cost model's first.
    BlockingPlan other = plan;
    other.order = plan.order == BlockingOrder::WgtResident
                      ? BlockingOrder::ActResident
                      : BlockingOrder::WgtResident;
    other.blockTokens = g.M;
    other.blockChannels = g.N;
    for (const BlockingPlan &p : {plan, other}) {
      std::string err;
      std::optional<PlanBlocking> b = fitBlocking(g, p, arr, cfg, err);
      if (b)
        blockings.push_back(*b);
      else if (lastError.empty())
        lastError = err;
    }
    std::string err;
    blockings.append(kSplitCandidates(g, arr, cfg, err));
    if (blockings.empty())
      lastError += "; split along K: " + err;
  }
  // The candidates to simulate, in search order (plans of more than
  // kMaxSimulatedInsts instructions only while nothing else was taken).
  struct Todo {
    PlanBlocking b;
    BufferPlan p;
    uint64_t lowerBound = 0;
  };
  std::vector<Todo> todo;
  for (const PlanBlocking &b : blockings) {
    uint64_t Mb = std::min(b.blockTokens, g.M);
    uint64_t Nb = std::min(b.blockChannels, g.N);
    uint64_t kg = std::min(b.blockGroups, g.numGroups);
    uint64_t insts =
        3 * ceilDiv(g.M, Mb) * ceilDiv(g.N, Nb) * ceilDiv(g.numGroups, kg);
    if (insts > kMaxSimulatedInsts && !todo.empty())
      continue;
    auto p = planBuffers(g, b, cfg);
    if (!p) {
      llvm::consumeError(p.takeError());
      continue;
    }
    todo.push_back({b, *p, 0});
  }
  std::vector<size_t> order(todo.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  if (prune) {
    // A plan takes at least its MATMUL issue cycles (one array) and its DRAM
    // bus cycles (one bus): simulate in that bound's order and skip plans
    // whose bound is beyond the tie window of the fastest plan so far (they
    // can be neither the fastest nor within its window).
    for (Todo &t : todo) {
      LaunchSchedule ls(g, t.b, t.p, cfg);
      BorrowedInsts borrowed(ls);
      ls.build(0, 0, 0);
      uint64_t mm = 0, bytes = 0;
      for (const PlannedInst &pi : ls.insts) {
        if (pi.inst.opcode == isa::Opcode::MatMul)
          mm += pi.cycles;
        else if (pi.inst.opcode == isa::Opcode::LoadWgt)
          bytes += pi.inst.loadWgt.bytes;
        else if (pi.inst.opcode == isa::Opcode::LoadAct ||
                 pi.inst.opcode == isa::Opcode::Store)
          bytes += uint64_t(pi.inst.dma.rows) * pi.inst.dma.rowBytes;
      }
      t.lowerBound = std::max(mm, getDramTransferCycles(cfg, bytes));
    }
    llvm::stable_sort(order, [&](size_t a, size_t b) {
      return todo[a].lowerBound < todo[b].lowerBound;
    });
  }
  std::vector<std::pair<size_t, PlanCandidate>> sims;
  uint64_t best = UINT64_MAX;
  for (size_t i : order) {
    const Todo &t = todo[i];
    if (prune && best != UINT64_MAX &&
        double(t.lowerBound) > double(best) * (1 + kPlanTieWindow))
      continue;
    auto cost = simulatePlan(g, t.b, t.p, cfg);
    if (!cost) {
      lastError = llvm::toString(cost.takeError());
      continue;
    }
    best = std::min(best, cost->cycles);
    sims.push_back({i, {t.b, *cost}});
  }
  // Search order again, so that exact ties rank as without pruning.
  llvm::sort(sims,
             [](const auto &a, const auto &b) { return a.first < b.first; });
  std::vector<PlanCandidate> cands;
  for (auto &s : sims)
    cands.push_back(std::move(s.second));
  if (cands.empty())
    return cands;
  uint64_t fastest = cands.front().cost.cycles;
  for (const PlanCandidate &c : cands)
    fastest = std::min(fastest, c.cost.cycles);
  auto tie = [&](uint64_t cycles) {
    return double(cycles) <= double(fastest) * (1 + kPlanTieWindow);
  };
  llvm::stable_sort(cands, [&](const PlanCandidate &a, const PlanCandidate &b) {
    bool ta = tie(a.cost.cycles), tb = tie(b.cost.cycles);
    if (ta != tb)
      return ta;
    if (ta && a.cost.energyPJ != b.cost.energyPJ)
      return a.cost.energyPJ < b.cost.energyPJ;
    return a.cost.cycles < b.cost.cycles;
  });
  return cands;
}
