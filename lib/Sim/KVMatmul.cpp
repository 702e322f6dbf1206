//===- KVMatmul.cpp - Attention matmuls on runtime INT8 K/V ---------------===//

#include "bitmod/Sim/KVMatmul.h"

#include "bitmod/ISA/LinearProgram.h"
#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/Executor.h"
#include "bitmod/Support/Error.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

using namespace bitmod;
using namespace bitmod::sim;
using llvm::Error;
using llvm::Expected;

static uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

Error sim::verifyKVMatmulShape(const KVMatmulShape &s) {
  if (!s.batch || !s.heads || !s.kvHeads || !s.rows || !s.context || !s.headDim)
    return makeError("kv_matmul: every dimension must be positive");
  if (s.heads % s.kvHeads)
    return makeError(llvm::formatv(
        "kv_matmul: query heads ({0}) must be a multiple of the kv heads ({1})",
        s.heads, s.kvHeads));
  if (s.groupSize == 0 || s.groupSize % 8)
    return makeError(llvm::formatv(
        "kv_matmul: group size {0} is not a positive multiple of 8",
        s.groupSize));
  if (s.newPositions > s.context)
    return makeError(
        llvm::formatv("kv_matmul: {0} new positions but the context holds {1}",
                      s.newPositions, s.context));
  return Error::success();
}

std::vector<float> sim::getKVMatrix(const KVMatmulShape &s,
                                    llvm::ArrayRef<float> kv, uint64_t b,
                                    uint64_t g) {
  uint64_t T = s.context, D = s.headDim;
  const float *head = kv.data() + (b * s.kvHeads + g) * T * D;
  if (s.kind == KVKind::Key)
    return std::vector<float>(head, head + T * D);
  std::vector<float> vt(D * T);
  for (uint64_t t = 0; t < T; ++t)
    for (uint64_t d = 0; d < D; ++d)
      vt[d * T + t] = head[t * D + d];
  return vt;
}

KVStoreCost sim::getKVStoreCost(const arch::AccelConfig &cfg,
                                const KVMatmulShape &s) {
  KVStoreCost c;
  uint64_t newT = s.newPositions, D = s.headDim, G = s.groupSize;
  if (newT == 0)
    return c;
  uint64_t perHead;
  if (s.kind == KVKind::Key) {
    // Each new position is a row: D codes, ceil(D/G) scale codes, one
    // float32 row scale.
    perHead = newT * (D + ceilDiv(D, G) + 4);
  } else {
    // The new positions' codes, and for every touched group along T its
    // D scale codes; the D float32 row scales are rewritten.
    uint64_t firstGroup = (s.context - newT) / G;
    uint64_t lastGroup = (s.context - 1) / G;
    perHead = newT * D + (lastGroup - firstGroup + 1) * D + D * 4;
  }
  c.bytes = perHead * s.batch * s.kvHeads;
  c.cycles = getDramTransferCycles(cfg, c.bytes);
  c.energyPJ = double(c.bytes) * 8.0 * cfg.dramPJPerBit;
  return c;
}

/// Appends launch timing `t` after everything in `into`.
static void appendTiming(TimingResult &into, const TimingResult &t,
                         double &usefulPESteps, double numPEs) {
  uint64_t offset = into.totalCycles;
  for (LayerTiming lt : t.layers) {
    lt.start += offset;
    lt.end += offset;
    into.layers.push_back(lt);
  }
  into.totalCycles += t.totalCycles;
  for (unsigned q = 0; q < isa::kNumQueues; ++q)
    into.queueBusyCycles[q] += t.queueBusyCycles[q];
  into.dramBusyCycles += t.dramBusyCycles;
  into.macs += t.macs;
  ActivityCounts &a = into.activity;
  a.peActiveCycles += t.activity.peActiveCycles;
  a.actReads += t.activity.actReads;
  a.actWrites += t.activity.actWrites;
  a.wgtReads += t.activity.wgtReads;
  a.wgtWrites += t.activity.wgtWrites;
  a.dramReadBytes += t.activity.dramReadBytes;
  a.dramWriteBytes += t.activity.dramWriteBytes;
  into.energy += t.energy;
  usefulPESteps += t.peUtilization * numPEs * double(t.totalCycles);
  into.peUtilization = into.totalCycles
                           ? usefulPESteps / (numPEs * double(into.totalCycles))
                           : 0.0;
}

Expected<KVMatmulResult> sim::runKVMatmul(const arch::AccelConfig &cfg,
                                          const KVMatmulShape &s,
                                          llvm::ArrayRef<float> lhs,
                                          llvm::ArrayRef<float> kv,
                                          bool timingOnly) {
  if (Error e = verifyKVMatmulShape(s))
    return std::move(e);
  if (!timingOnly &&
      (lhs.size() != s.getLhsElements() || kv.size() != s.getKVElements()))
    return makeError(llvm::formatv(
        "kv_matmul: got {0} lhs / {1} kv elements, the shape needs {2} / {3}",
        lhs.size(), kv.size(), s.getLhsElements(), s.getKVElements()));
  uint64_t R = s.getReduction(), N = s.getQuantRows(), rep = s.getHeadsPerKV();
  uint64_t M = s.rows * rep; // the query rows of every head sharing a KV head

  quant::QuantConfig qc;
  qc.dtype = quant::DataType::int8;
  qc.groupSize = s.groupSize;
  qc.scaleBits = 8;
  qc.numThreads = 1;
  WeightSpec spec = getBitMoDAttentionSpec(cfg, s.groupSize);
  arch::ArrayArrangement arrangement =
      cfg.arrangement == arch::ArrayArrangement::Auto
          ? selectArrangement(cfg, AcceleratorKind::BitMoD, {M, N, R}, spec)
          : cfg.arrangement;
  arch::ArrayShape lanes = cfg.getArrayShape(arrangement);
  isa::LinearProgramOptions opt;
  opt.tokenLanes = lanes.tokenLanes;
  opt.channelLanes = lanes.channelLanes;
  opt.actBufferBytes = uint32_t(cfg.actBufferBytes);
  opt.wgtBufferBytes = uint32_t(cfg.wgtBufferBytes);
  opt.layerName = s.kind == KVKind::Key ? "attn.qk" : "attn.pv";
  // One pass of channels per K/V block: LOAD_WGT of block i+1 overlaps the
  // MATMUL of block i (the stream is DRAM bound in decode).
  opt.blockChannels = lanes.channelLanes;
  // Query rows per launch: the MATMUL m field, and x[rows, Kpad] (FP16) plus
  // two FP32 output tiles must fit the activation buffer.
  uint64_t kPad = ceilDiv(R, s.groupSize) * s.groupSize;
  uint64_t fit = cfg.actBufferBytes / (kPad * 2 + 2 * opt.blockChannels * 4);
  uint64_t maxRows =
      std::min<uint64_t>(512, fit / lanes.tokenLanes * lanes.tokenLanes);
  if (maxRows == 0)
    return makeError(llvm::formatv(
        "kv_matmul: a reduction of {0} does not fit the {1}-byte activation "
        "buffer",
        R, cfg.actBufferBytes));

  KVMatmulResult out;
  if (!timingOnly)
    out.result.assign(s.getResultElements(), 0.0f);
  double usefulPESteps = 0;
  std::vector<float> zeros;
  for (uint64_t b = 0; b < s.batch; ++b)
    for (uint64_t g = 0; g < s.kvHeads; ++g) {
      std::vector<float> matrix;
      if (timingOnly)
        zeros.assign(N * R, 0.0f);
      else
        matrix = getKVMatrix(s, kv, b, g);
      qc.tensorName = llvm::formatv("{0}[{1}, {2}]",
                                    s.kind == KVKind::Key ? "K" : "V", b, g);
      auto packed = quant::quantize(timingOnly ? zeros : matrix, int64_t(N),
                                    int64_t(R), qc);
      if (!packed)
        return packed.takeError();
      // Rows [m0, m0 + rows) of x[(h, m), r] over the query heads h of KV
      // head g.
      uint64_t base = (b * s.heads + g * rep) * s.rows;
      for (uint64_t m0 = 0; m0 < M; m0 += maxRows) {
        uint64_t rows = std::min(maxRows, M - m0);
        auto program = isa::buildLinearProgram(*packed, uint32_t(rows), opt);
        if (!program)
          return makeError("kv_matmul: " + llvm::toString(program.takeError()));
        llvm::StringMap<std::vector<float>> inputs;
        if (!timingOnly) {
          const float *src = lhs.data() + (base + m0) * R;
          inputs[opt.inputName].assign(src, src + rows * R);
        }
        sim::ExecOptions eo;
        eo.timingOnly = timingOnly;
        auto r = sim::execute(*program, cfg, inputs, eo);
        if (!r)
          return makeError("kv_matmul: " + llvm::toString(r.takeError()));
        if (!timingOnly) {
          const std::vector<float> &y = r->outputs[opt.outputName];
          std::copy(y.begin(), y.end(), out.result.begin() + (base + m0) * N);
        }
        for (const isa::Instruction &inst : program->instructions)
          if (inst.opcode == isa::Opcode::LoadWgt)
            out.kvReadBytes += inst.loadWgt.bytes;
        appendTiming(out.timing, r->timing, usefulPESteps,
                     double(cfg.getNumPEs()));
        ++out.launches;
        out.instructions += program->instructions.size();
      }
    }
  out.store = getKVStoreCost(cfg, s);
  return out;
}
