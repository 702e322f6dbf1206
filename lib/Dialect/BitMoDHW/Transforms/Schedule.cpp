//===- Schedule.cpp - --bitmod-bit-serial-schedule ------------------------===//
//
// Expands every tiled grouped matmul into a bitmod_hw.launch holding its
// instruction sequence. The schedule is built as a list of instructions with
// data dependencies (buffer read-after-write and write-after-read hazards);
// dependency tokens are then derived from the dependencies, channel by
// channel, so that the k-th pop of a queue consumes the k-th push of its
// neighbour (docs/hw-dialect.md, "Tokens").
//
//===----------------------------------------------------------------------===//

#include "TilingUtils.h"

#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h"
#include "bitmod/ISA/WeightBlock.h"
#include "bitmod/Sim/Timing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"

#include <array>

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODBITSERIALSCHEDULE
#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::hw;
namespace isa = ::bitmod::isa;
namespace arch = ::bitmod::arch;
namespace sim = ::bitmod::sim;

namespace {

/// One weight block of the blob.
struct WeightBlockRef {
  uint64_t n0, n, g0, kGroups;
  uint64_t offset; // in the launch's part of the blob
  uint64_t bytes;
};

struct SchedInst {
  isa::Instruction inst;
  std::optional<std::array<int64_t, 4>> block;
  uint64_t cycles = 0;
  SmallVector<int, 3> deps; // instructions that must complete first
};

/// The instruction list of one launch.
class LaunchSchedule {
public:
  LaunchSchedule(const GemmInfo &g, const Blocking &b, const BufferPlan &p,
                 const arch::AccelConfig &cfg)
      : g(g), b(b), p(p), cfg(cfg), shape(getShape(cfg, b.arrangement)) {
    uint64_t Nb = std::min(b.blockChannels, g.N);
    uint64_t kg = std::min(b.blockGroups, g.numGroups);
    uint64_t off = 0;
    for (uint64_t n0 = 0; n0 < g.N; n0 += Nb)
      for (uint64_t g0 = 0; g0 < g.numGroups; g0 += kg) {
        WeightBlockRef r{n0,  std::min(Nb, g.N - n0),
                         g0,  std::min(kg, g.numGroups - g0),
                         off, 0};
        auto l = isa::getWeightBlockLayout(g.config, uint32_t(r.n),
                                           uint32_t(r.kGroups));
        // planBuffers() already accepted every block shape.
        r.bytes = l ? l->totalBytes : 0;
        if (!l)
          llvm::consumeError(l.takeError());
        off += r.bytes;
        blocks.push_back(r);
      }
    blobBytes = off;
  }

  uint64_t getBlobBytes() const { return blobBytes; }

  /// Builds the instructions for DRAM addresses of the weight blob part,
  /// the input and the output.
  void build(uint64_t weightBase, uint64_t xAddr, uint64_t yAddr);

  std::vector<SchedInst> insts;

private:
  int add(SchedInst s) {
    insts.push_back(std::move(s));
    return int(insts.size()) - 1;
  }
  uint64_t dmaCycles(uint64_t bytes) const {
    return cfg.dramLatencyCycles + sim::getDramTransferCycles(cfg, bytes);
  }
  int addConfig();
  int addLoadAct(uint64_t m0, uint64_t rows, uint64_t k0, uint64_t kElems,
                 uint64_t buf);
  int addLoadWgt(const WeightBlockRef &r, uint64_t buf);
  int addMatmul(uint64_t act, uint64_t wgt, uint64_t out, uint64_t m,
                const WeightBlockRef &r, bool accumulate);
  int addStore(uint64_t m0, uint64_t rows, uint64_t n0, uint64_t n,
               uint64_t buf);
  void addBarrier(int lastStore);
  void assignTokens();

  const GemmInfo &g;
  const Blocking &b;
  const BufferPlan &p;
  const arch::AccelConfig &cfg;
  arch::ArrayShape shape;
  std::vector<WeightBlockRef> blocks;
  uint64_t blobBytes = 0;
  uint64_t weightBase = 0, xAddr = 0, yAddr = 0;
};

} // namespace

int LaunchSchedule::addConfig() {
  SchedInst s;
  s.inst.opcode = isa::Opcode::Config;
  s.inst.config = g.config;
  s.inst.config.tokenLanes = shape.tokenLanes;
  s.inst.config.channelLanes = shape.channelLanes;
  s.cycles = 1;
  return add(s);
}

int LaunchSchedule::addLoadAct(uint64_t m0, uint64_t rows, uint64_t k0,
                               uint64_t kElems, uint64_t buf) {
  SchedInst s;
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

int LaunchSchedule::addLoadWgt(const WeightBlockRef &r, uint64_t buf) {
  SchedInst s;
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
                              uint64_t m, const WeightBlockRef &r,
                              bool accumulate) {
  SchedInst s;
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
             sim::getPassCycles(cfg, sim::AcceleratorKind::BitMoD,
                                r.kGroups * g.G, g.spec);
  return add(s);
}

int LaunchSchedule::addStore(uint64_t m0, uint64_t rows, uint64_t n0,
                             uint64_t n, uint64_t buf) {
  SchedInst s;
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
  SchedInst c;
  c.inst.opcode = isa::Opcode::Sync;
  c.inst.sync.queue = isa::Queue::Compute;
  c.cycles = 1;
  c.deps.push_back(lastStore);
  int ci = add(c);
  SchedInst l;
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
  if (b.order == BlockingOrder::act_resident) {
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
          const WeightBlockRef &r = blocks[bi + kb];
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
  } else if (b.order == BlockingOrder::out_block) {
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
        auto loadChunk = [&](const WeightBlockRef &r, size_t j) {
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
          const WeightBlockRef &r = blocks[bi + kb];
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
          const WeightBlockRef &r = blocks[bi + kb];
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

llvm::Expected<PlanCost> hw::simulatePlan(const GemmInfo &g, const Blocking &b,
                                          const BufferPlan &p,
                                          const arch::AccelConfig &cfg) {
  LaunchSchedule s(g, b, p, cfg);
  uint64_t xAddr = (s.getBlobBytes() + 63) / 64 * 64;
  uint64_t yAddr = (xAddr + g.M * g.K * 2 + 63) / 64 * 64;
  s.build(0, xAddr, yAddr);
  isa::Program prog;
  prog.instructions.reserve(s.insts.size() + 1);
  for (const SchedInst &si : s.insts)
    prog.instructions.push_back(si.inst);
  isa::Instruction halt;
  halt.opcode = isa::Opcode::Halt;
  prog.instructions.push_back(halt);
  auto t = sim::simulateTiming(prog, cfg);
  if (!t)
    return t.takeError();
  PlanCost c;
  c.cycles = t->totalCycles;
  for (const sim::InstTiming &it : t->insts)
    c.dramBytes += it.dramBytes;
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
// IR construction
//===----------------------------------------------------------------------===//

/// The instruction op of `s`, built with the op's ODS builder from the ISA
/// instruction.
static void buildInstOp(OpBuilder &b, Location loc, const SchedInst &s) {
  const isa::Instruction &inst = s.inst;
  switch (inst.opcode) {
  case isa::Opcode::Config:
    ConfigOp::create(b, loc, inst, s.cycles);
    return;
  case isa::Opcode::LoadAct:
    LoadActOp::create(b, loc, inst, s.cycles);
    return;
  case isa::Opcode::LoadWgt: {
    auto op = LoadWgtOp::create(b, loc, inst, s.cycles);
    if (s.block)
      op.setBlock(ArrayRef<int64_t>(*s.block));
    return;
  }
  case isa::Opcode::MatMul:
    MatMulOp::create(b, loc, inst, s.cycles);
    return;
  case isa::Opcode::Store:
    StoreOp::create(b, loc, inst, s.cycles);
    return;
  case isa::Opcode::Sync:
    SyncOp::create(b, loc, inst, s.cycles);
    return;
  case isa::Opcode::Halt:
    HaltOp::create(b, loc, inst, s.cycles);
    return;
  }
}

/// y[..., n] += bias[n] on the host.
static Value addBias(OpBuilder &b, Location loc, Value y, Value bias) {
  auto ty = cast<RankedTensorType>(y.getType());
  unsigned rank = ty.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap last = AffineMap::get(rank, 0, b.getAffineDimExpr(rank - 1), ctx);
  Value init =
      tensor::EmptyOp::create(b, loc, ty.getShape(), ty.getElementType());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{ty}, ValueRange{y, bias}, ValueRange{init},
      ArrayRef<AffineMap>{id, last, id}, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value bv = args[1];
        if (bv.getType() != args[0].getType())
          bv = arith::ExtFOp::create(nb, nl, args[0].getType(), bv);
        Value sum = arith::AddFOp::create(nb, nl, args[0], bv);
        linalg::YieldOp::create(nb, nl, sum);
      });
  return generic.getResult(0);
}

namespace {
struct Pending {
  GroupedMatmulOp op;
  GemmInfo info;
  Blocking blocking;
  BufferPlan buffers;
  std::unique_ptr<LaunchSchedule> schedule;
  uint64_t weightBase = 0, xAddr = 0, yAddr = 0;
  std::string name;
};

struct SchedulePass
    : public mlir::bitmod::impl::BitMoDBitSerialScheduleBase<SchedulePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    arch::AccelConfig cfg = getAccelConfig(module);
    if (!module->getAttr(kAccelAttrName))
      module->setAttr(kAccelAttrName, getAccelAttr(&getContext(), cfg));
    bool alreadyScheduled = false;
    module.walk([&](LaunchOp) { alreadyScheduled = true; });
    if (alreadyScheduled) {
      module.emitError("the module already holds bitmod_hw.launch ops; "
                       "--bitmod-bit-serial-schedule plans DRAM for the whole "
                       "module and runs once");
      return signalPassFailure();
    }

    // Phase 1: schedules and weight blob sizes.
    std::vector<Pending> pending;
    llvm::StringSet<> names;
    bool failedAny = false;
    module.walk([&](GroupedMatmulOp op) {
      auto tiling = op->getAttrOfType<TilingAttr>(kTilingAttrName);
      if (!tiling)
        return;
      Pending pd;
      pd.op = op;
      std::string base = op.getName() ? op.getName()->str() : "gemm";
      pd.name = base;
      for (unsigned i = 1; names.contains(pd.name); ++i)
        pd.name = base + "_" + std::to_string(i);
      names.insert(pd.name);
      auto info = getGemmInfo(op, pd.name, cfg);
      if (!info) {
        op.emitOpError() << "layer '" << pd.name
                         << "': " << llvm::toString(info.takeError());
        failedAny = true;
        return;
      }
      pd.info = *info;
      if (tiling.getM() != info->M || tiling.getN() != info->N ||
          tiling.getK() != info->K) {
        op.emitOpError() << "layer '" << pd.name
                         << "': tiling is for a different GEMM shape";
        failedAny = true;
        return;
      }
      arch::ArrayShape s = getShape(cfg, tiling.getArrangement());
      if (s.tokenLanes != tiling.getTokenLanes() ||
          s.channelLanes != tiling.getChannelLanes()) {
        op.emitOpError() << "layer '" << pd.name
                         << "': tiling lanes do not match the accelerator";
        failedAny = true;
        return;
      }
      pd.blocking.arrangement = tiling.getArrangement();
      pd.blocking.order = tiling.getOrder();
      pd.blocking.blockTokens = tiling.getBlockTokens();
      pd.blocking.blockChannels = tiling.getBlockChannels();
      pd.blocking.blockGroups = tiling.getBlockGroups();
      auto buffers = planBuffers(pd.info, pd.blocking, cfg);
      if (!buffers) {
        op.emitOpError() << "layer '" << pd.name
                         << "' does not fit the accelerator: "
                         << llvm::toString(buffers.takeError());
        failedAny = true;
        return;
      }
      pd.buffers = *buffers;
      pending.push_back(std::move(pd));
    });
    if (failedAny)
      return signalPassFailure();
    for (Pending &pd : pending)
      pd.schedule = std::make_unique<LaunchSchedule>(pd.info, pd.blocking,
                                                     pd.buffers, cfg);

    // Phase 2: DRAM plan (bump allocator): the weight blob, then every
    // launch's input and output, 64-byte aligned.
    auto align64 = [](uint64_t v) { return (v + 63) / 64 * 64; };
    uint64_t cursor = 0;
    for (Pending &pd : pending) {
      pd.weightBase = cursor;
      cursor = alignTo16(cursor + pd.schedule->getBlobBytes());
    }
    uint64_t weightBytes = cursor;
    cursor = align64(cursor);
    for (Pending &pd : pending) {
      pd.xAddr = cursor;
      cursor = align64(cursor + pd.info.M * pd.info.K * 2);
      pd.yAddr = cursor;
      cursor = align64(cursor + pd.info.M * pd.info.N * pd.info.outElem);
    }
    if (cursor > isa::kMaxDramAddr) {
      module.emitError() << "the DRAM image needs " << cursor
                         << " bytes, more than the 36-bit address space";
      return signalPassFailure();
    }

    // Phase 3: IR.
    for (Pending &pd : pending) {
      pd.schedule->build(pd.weightBase, pd.xAddr, pd.yAddr);
      if (failed(materialize(pd, cfg)))
        return signalPassFailure();
    }
    OpBuilder b(&getContext());
    module->setAttr(
        kMemoryAttrName,
        b.getDictionaryAttr(
            {b.getNamedAttr("weight_bytes", b.getI64IntegerAttr(weightBytes)),
             b.getNamedAttr("dram_bytes", b.getI64IntegerAttr(cursor))}));
  }

  LogicalResult materialize(Pending &pd, const arch::AccelConfig &cfg) {
    GroupedMatmulOp op = pd.op;
    OpBuilder b(op);
    Location loc = op.getLoc();
    const GemmInfo &g = pd.info;
    auto inTy = op.getInput().getType();
    auto outTy = op.getResult().getType();
    Value x = op.getInput();
    int64_t rank = inTy.getRank();
    auto flatIn = RankedTensorType::get({int64_t(g.M), int64_t(g.K)},
                                        inTy.getElementType());
    auto flatOut = RankedTensorType::get({int64_t(g.M), int64_t(g.N)},
                                         outTy.getElementType());
    if (rank > 2) {
      SmallVector<ReassociationIndices> re{{}, {rank - 1}};
      for (int64_t d = 0; d + 1 < rank; ++d)
        re[0].push_back(d);
      x = tensor::CollapseShapeOp::create(b, loc, flatIn, x, re);
    } else if (rank == 1) {
      x = tensor::ExpandShapeOp::create(
          b, loc, flatIn, x, SmallVector<ReassociationIndices>{{0, 1}});
    }
    auto estimate = sim::estimate(cfg, sim::AcceleratorKind::BitMoD,
                                  {g.M, g.N, g.K}, g.spec,
                                  pd.blocking.arrangement == Arrangement::gen
                                      ? arch::ArrayArrangement::Generative
                                      : arch::ArrayArrangement::Discriminative);
    if (!estimate)
      return op.emitOpError()
             << "layer '" << pd.name
             << "': cost model: " << llvm::toString(estimate.takeError());
    // The estimate is the timing model run on this launch's plan (the same
    // figure --bitmod-tile chose the plan by); compute and DRAM cycles stay
    // the analytic bounds of the cost model.
    auto planned = simulatePlan(g, pd.blocking, pd.buffers, cfg);
    if (!planned)
      return op.emitOpError()
             << "layer '" << pd.name
             << "': timing model: " << llvm::toString(planned.takeError());
    auto i64 = [&](uint64_t v) { return b.getI64IntegerAttr(int64_t(v)); };
    auto launch = LaunchOp::create(
        b, loc, flatOut, pd.name, x, op.getWeights(),
        op->getAttrOfType<TilingAttr>(kTilingAttrName),
        /*dram_input=*/i64(pd.xAddr), /*dram_output=*/i64(pd.yAddr),
        /*weight_base=*/i64(pd.weightBase),
        /*weight_bytes=*/i64(pd.schedule->getBlobBytes()),
        /*estimate=*/i64(planned->cycles),
        /*compute_cycles=*/i64(estimate->computeCycles),
        /*dram_cycles=*/i64(estimate->dramCycles));
    Block &body = launch.getBody().emplaceBlock();
    OpBuilder ib = OpBuilder::atBlockEnd(&body);
    for (const SchedInst &s : pd.schedule->insts)
      buildInstOp(ib, loc, s);
    if (failed(mlir::verify(launch)))
      return failure();

    Value y = launch.getResult();
    if (rank != 2) {
      SmallVector<ReassociationIndices> re;
      if (rank == 1) {
        re.push_back({0, 1});
      } else {
        re.push_back({});
        for (int64_t d = 0; d + 1 < rank; ++d)
          re[0].push_back(d);
        re.push_back({rank - 1});
      }
      y = tensor::ExpandShapeOp::create(b, loc, outTy, y, re);
    }
    if (Value bias = op.getBias())
      y = addBias(b, loc, y, bias);
    op.replaceAllUsesWith(y);
    op.erase();
    return success();
  }
};
} // namespace
