//===- KVMatmul.h - Attention matmuls on runtime INT8 K/V -------*- C++ -*-===//
//
// The accelerator execution of bitmod.kv_matmul (docs/attention.md): the
// score matmul Q K^T and the value matmul P V with the K/V cache quantized
// at run time to INT8 per group of G along the reduction axis (the weight
// path's scale hierarchy, quant::quantize with int8). Per (batch, KV head)
// the quantized matrix ([T, D] rows of K, [D, T] rows of V^T) is packed in
// the weight-block layout and written to DRAM (the store-quantize path),
// and one instruction stream (isa::buildLinearProgram: LOAD_ACT of the
// query rows of every query head sharing that KV head, LOAD_WGT of the K/V
// blocks, MATMUL on the INT8 Booth datapath, STORE) runs through the
// executor: bit-exact functional result, cycle-level timing and energy.
//
// Plain C++ (no MLIR).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_KVMATMUL_H
#define BITMOD_SIM_KVMATMUL_H

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/ISA/Program.h"
#include "bitmod/Sim/Timing.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace bitmod {
namespace sim {

enum class KVKind : uint8_t { Key, Value };

/// lhs [B, H, M, R], kv [B, Hkv, T, D]; R = D for Key (result [B, H, M, T]),
/// R = T for Value (result [B, H, M, D]).
struct KVMatmulShape {
  KVKind kind = KVKind::Key;
  uint64_t batch = 1, heads = 1, kvHeads = 1, rows = 1, context = 1,
           headDim = 1;
  unsigned groupSize = 128;
  /// Context positions produced by this step (the last `newPositions` of
  /// T): the store-quantize path writes their codes and scales to DRAM.
  uint64_t newPositions = 0;

  uint64_t getReduction() const {
    return kind == KVKind::Key ? headDim : context;
  }
  /// Rows of the quantized matrix of one KV head.
  uint64_t getQuantRows() const {
    return kind == KVKind::Key ? context : headDim;
  }
  uint64_t getHeadsPerKV() const { return heads / kvHeads; }
  uint64_t getLhsElements() const {
    return batch * heads * rows * getReduction();
  }
  uint64_t getKVElements() const { return batch * kvHeads * context * headDim; }
  uint64_t getResultElements() const {
    return batch * heads * rows * getQuantRows();
  }
};

/// Errors for a zero dimension, H not a multiple of Hkv, a group size that
/// is not a positive multiple of 8.
llvm::Error verifyKVMatmulShape(const KVMatmulShape &shape);

/// The quantized matrix of KV head (b, g) in row-major [rows, reduction]
/// order: K[b, g] itself for Key, its transpose V[b, g]^T for Value.
std::vector<float> getKVMatrix(const KVMatmulShape &shape,
                               llvm::ArrayRef<float> kv, uint64_t b,
                               uint64_t g);

/// The store-quantize path of the K/V entries a step produces: bytes
/// written to DRAM (INT8 codes + int8 group scales + float32 row scales of
/// the new entries; for Value every group the new positions fall into is
/// rewritten), its DRAM cycles and energy.
struct KVStoreCost {
  uint64_t bytes = 0;
  uint64_t cycles = 0;
  double energyPJ = 0;
};
KVStoreCost getKVStoreCost(const arch::AccelConfig &cfg,
                           const KVMatmulShape &shape);

struct KVMatmulResult {
  std::vector<float> result; // [B, H, M, rows]
  /// The launches (one per batch and KV head) merged in execution order.
  TimingResult timing;
  uint64_t launches = 0;
  uint64_t instructions = 0;
  /// DRAM bytes of the packed K/V blocks the launches read (LOAD_WGT).
  uint64_t kvReadBytes = 0;
  KVStoreCost store;
};

/// Runs the matmul on the accelerator model (timingOnly: no data, only the
/// timing of the same instruction streams; lhs and kv may then be empty).
llvm::Expected<KVMatmulResult> runKVMatmul(const arch::AccelConfig &cfg,
                                           const KVMatmulShape &shape,
                                           llvm::ArrayRef<float> lhs,
                                           llvm::ArrayRef<float> kv,
                                           bool timingOnly = false);

} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_KVMATMUL_H
