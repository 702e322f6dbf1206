//===- Instruction.h - BitMoD accelerator instructions ----------*- C++ -*-===//
//
// The BitMoD instruction set: fixed-width 128-bit instructions dispatched in
// program order to three queues (load, compute, store) that run concurrently
// and synchronize through dependency tokens (VTA style). docs/isa.md is the
// normative specification of every field; this header mirrors it.
//
// Plain C++ (no MLIR).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_ISA_INSTRUCTION_H
#define BITMOD_ISA_INSTRUCTION_H

#include "bitmod/Quant/DataType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <optional>

namespace bitmod {
namespace isa {

/// Bytes per encoded instruction.
constexpr unsigned kInstructionBytes = 16;
/// On-chip buffer addresses and pitches are multiples of this many bytes
/// (they are encoded in these units).
constexpr unsigned kBufferAlign = 16;

/// Field widths (bits) of the encoding; see docs/isa.md.
constexpr unsigned kDramAddrBits = 36;
constexpr unsigned kBufUnitsBits = 18;   // buffer offsets in 16-byte units
constexpr unsigned kPitchUnitsBits = 12; // pitches in 16-byte units
constexpr unsigned kDmaRowsBits = 12;
constexpr unsigned kDmaRowBytesBits = 16;
constexpr unsigned kDmaStrideBits = 24;
constexpr unsigned kWgtBytesBits = 24;
constexpr unsigned kMatMulMBits = 10;
constexpr unsigned kMatMulNBits = 12;
constexpr unsigned kMatMulKGroupsBits = 10;
constexpr unsigned kGroupSizeBits = 12;
constexpr unsigned kArrayDimBits = 10;

/// Largest values representable in the encoding.
constexpr uint64_t kMaxDramAddr = (uint64_t(1) << kDramAddrBits) - 1;
constexpr uint64_t kMaxBufferOffset =
    ((uint64_t(1) << kBufUnitsBits) - 1) * kBufferAlign;
constexpr uint64_t kMaxPitch =
    ((uint64_t(1) << kPitchUnitsBits) - 1) * kBufferAlign;

enum class Opcode : uint8_t {
  Config = 0,
  LoadAct = 1,
  LoadWgt = 2,
  MatMul = 3,
  Store = 4,
  Sync = 5,
  Halt = 6,
};
constexpr unsigned kNumOpcodes = 7;

/// The three instruction queues, in pipeline order (load -> compute ->
/// store). "prev"/"next" token directions refer to this order.
enum class Queue : uint8_t { Load = 0, Compute = 1, Store = 2 };
constexpr unsigned kNumQueues = 3;

/// Output element format of MATMUL in the activation buffer.
enum class OutFormat : uint8_t { F32 = 0, F16 = 1 };

/// Dependency-token flags. pop_* waits for (and consumes) one token sent by
/// the neighbouring queue before the instruction starts; push_* sends one
/// token to the neighbouring queue after the instruction completes.
struct TokenFlags {
  bool popPrev = false;
  bool popNext = false;
  bool pushPrev = false;
  bool pushNext = false;
  bool operator==(const TokenFlags &o) const {
    return popPrev == o.popPrev && popNext == o.popNext &&
           pushPrev == o.pushPrev && pushNext == o.pushNext;
  }
  bool operator!=(const TokenFlags &o) const { return !(*this == o); }
};

/// CONFIG: programs the datapath for the following MATMULs (compute queue).
struct ConfigFields {
  quant::DataType dtype = quant::DataType::int8;
  uint32_t groupSize = 128; // weights per group along K; multiple of 8
  uint32_t scaleBits = 8;   // 1..8: int8 group scales; 0: fp32 group scales
  /// Special-value register file in selector order (er_pos, er_neg, ea_pos,
  /// ea_neg), in the integer scaling of DataType.h.
  std::array<int8_t, 4> sv = {0, 0, 0, 0};
  /// Array arrangement (arch::AccelConfig orientation): PE rows hold tokens,
  /// PE columns hold output channels. Must be one of the accelerator's
  /// arrangements (32x32 discriminative, 16x64 generative by default).
  uint32_t tokenLanes = 32;   // PE rows: tokens per pass
  uint32_t channelLanes = 32; // PE columns: output channels per pass
};

/// LOAD_ACT (DRAM -> activation buffer, load queue) and STORE (activation
/// buffer -> DRAM, store queue): a 2-D transfer of `rows` rows of `rowBytes`
/// bytes. DRAM rows are `dramStride` bytes apart; buffer rows are `bufPitch`
/// bytes apart. LOAD_ACT zero-fills the bytes [rowBytes, bufPitch) of every
/// buffer row (K padding).
struct DmaFields {
  uint64_t dramAddr = 0;
  uint32_t bufOffset = 0; // bytes, multiple of 16
  uint32_t rows = 1;
  uint32_t rowBytes = 16;
  uint32_t dramStride = 0; // bytes; >= rowBytes when rows > 1
  uint32_t bufPitch = 16;  // bytes, multiple of 16, >= rowBytes
};

/// LOAD_WGT: contiguous copy of one weight block (docs/isa.md "Weight block
/// layout") from DRAM into the weight buffer (load queue).
struct LoadWgtFields {
  uint64_t dramAddr = 0;
  uint32_t bufOffset = 0; // bytes, multiple of 16
  uint32_t bytes = 16;
};

/// MATMUL: out[m, n] (+)= act[m, kGroups*G] x dequant(W_block[n, kGroups*G])^T
/// on the PE array (compute queue). Includes per-group dequantization and the
/// channel scale; the result is written to the activation buffer.
struct MatMulFields {
  uint32_t actOffset = 0;  // bytes, multiple of 16
  uint32_t actPitch = 16;  // bytes between activation rows (FP16 row-major)
  uint32_t wgtOffset = 0;  // bytes, multiple of 16: start of the weight block
  uint32_t outOffset = 0;  // bytes, multiple of 16
  uint32_t outPitch = 16;  // bytes between output rows
  uint32_t m = 1;          // activation rows (tokens)
  uint32_t n = 1;          // output channels (rows of the weight block)
  uint32_t kGroups = 1;    // groups of G along K
  bool accumulate = false; // add to the values already in the output tile
  OutFormat outFormat = OutFormat::F32;
};

/// SYNC: a no-op in `queue` that only pops/pushes its tokens.
struct SyncFields {
  Queue queue = Queue::Compute;
};

/// One decoded instruction. Only the field group of `opcode` is meaningful;
/// the others keep their default values (decode() leaves them so).
struct Instruction {
  Opcode opcode = Opcode::Halt;
  TokenFlags tokens;
  ConfigFields config;
  DmaFields dma; // LoadAct and Store
  LoadWgtFields loadWgt;
  MatMulFields matmul;
  SyncFields sync;

  /// The queue this instruction is dispatched to.
  Queue getQueue() const;

  bool operator==(const Instruction &o) const;
  bool operator!=(const Instruction &o) const { return !(*this == o); }
};

using EncodedInstruction = std::array<uint8_t, kInstructionBytes>;

/// Mnemonic ("load.act", "matmul", ...) and queue names ("load", ...).
llvm::StringRef getMnemonic(Opcode op);
std::optional<Opcode> parseMnemonic(llvm::StringRef name);
llvm::StringRef getQueueName(Queue q);
std::optional<Queue> parseQueueName(llvm::StringRef name);

/// Checks every field of `inst` against the encoding (ranges, alignment,
/// non-zero sizes, pitches covering rows, token directions that exist for the
/// instruction's queue). encode() requires this to succeed.
llvm::Error verifyInstruction(const Instruction &inst);

/// Encodes a verified instruction (fields out of range are truncated; call
/// verifyInstruction() first, as writeBmod() does).
EncodedInstruction encode(const Instruction &inst);

/// Encodes after verification.
llvm::Expected<EncodedInstruction> encodeChecked(const Instruction &inst);

/// Decodes 16 bytes. Rejects unknown opcodes, non-zero reserved bits and
/// fields that violate verifyInstruction().
llvm::Expected<Instruction> decode(llvm::ArrayRef<uint8_t> bytes);

} // namespace isa
} // namespace bitmod

#endif // BITMOD_ISA_INSTRUCTION_H
