//===- Instruction.h - BitMoD accelerator instructions ----------*- C++ -*-===//
//
// The BitMoD instruction set: fixed-width 128-bit instructions dispatched in
// program order to three queues (load, compute, store) that run concurrently
// and synchronize through dependency tokens (VTA style). docs/isa.md is the
// normative specification; every opcode and field comes from the table in
// bitmod/ISA/Instructions.def, which also documents the fields.
//
// Plain C++ (no MLIR).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_ISA_INSTRUCTION_H
#define BITMOD_ISA_INSTRUCTION_H

#include "bitmod/ISA/Instructions.def"
#include "bitmod/Quant/DataType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <optional>
#include <type_traits>

namespace bitmod {
namespace isa {

/// Bytes per encoded instruction.
constexpr unsigned kInstructionBytes = 16;
/// On-chip buffer addresses and pitches are multiples of this many bytes
/// (they are encoded in these units).
constexpr unsigned kBufferAlign = 16;

enum class Opcode : uint8_t {
#define BITMOD_ISA_OPCODE_ENUM(Name, Code, Mnemonic, Group, Queue) Name = Code,
  BITMOD_ISA_OPCODES(BITMOD_ISA_OPCODE_ENUM)
#undef BITMOD_ISA_OPCODE_ENUM
};
#define BITMOD_ISA_COUNT_OPCODE(...) +1
constexpr unsigned kNumOpcodes = 0 BITMOD_ISA_OPCODES(BITMOD_ISA_COUNT_OPCODE);
#undef BITMOD_ISA_COUNT_OPCODE

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
#define BITMOD_ISA_DECLARE_TOKEN(name, key, Pos, Direction) bool name = false;
  BITMOD_ISA_TOKENS(BITMOD_ISA_DECLARE_TOKEN)
#undef BITMOD_ISA_DECLARE_TOKEN
  bool operator==(const TokenFlags &o) const {
#define BITMOD_ISA_COMPARE_TOKEN(name, ...) &&name == o.name
    return true BITMOD_ISA_TOKENS(BITMOD_ISA_COMPARE_TOKEN);
#undef BITMOD_ISA_COMPARE_TOKEN
  }
  bool operator!=(const TokenFlags &o) const { return !(*this == o); }
};

/// How a field's value is typed, printed and parsed (Instructions.def).
enum class FieldKind : uint8_t {
  UInt,      // unsigned, decimal
  Hex,       // unsigned address or offset, hexadecimal
  Flag,      // bool
  DType,     // quant::DataType
  OutFormat, // isa::OutFormat
  Queue,     // isa::Queue
  Int8x4,    // std::array<int8_t, 4>
};

namespace detail {
constexpr unsigned log2Unit(unsigned unit) {
  unsigned l = 0;
  while ((1u << l) < unit)
    ++l;
  return l;
}
/// Bits of a field's value in its own unit (bytes for buffer offsets).
constexpr unsigned valueBits(unsigned bits, unsigned unit) {
  return bits + log2Unit(unit);
}
constexpr uint64_t maxOfBits(unsigned bits) {
  return bits >= 64 ? UINT64_MAX : (uint64_t(1) << bits) - 1;
}
/// C++ type of an unsigned field: 32 bits unless the values need more.
template <unsigned Bits, unsigned Unit>
using UIntField =
    std::conditional_t<(valueBits(Bits, Unit) > 32), uint64_t, uint32_t>;
} // namespace detail

// The C++ type of each field kind.
#define BITMOD_ISA_CTYPE_UInt(Bits, Unit) detail::UIntField<Bits, Unit>
#define BITMOD_ISA_CTYPE_Hex(Bits, Unit) detail::UIntField<Bits, Unit>
#define BITMOD_ISA_CTYPE_Flag(Bits, Unit) bool
#define BITMOD_ISA_CTYPE_DType(Bits, Unit) ::bitmod::quant::DataType
#define BITMOD_ISA_CTYPE_OutFormat(Bits, Unit) ::bitmod::isa::OutFormat
#define BITMOD_ISA_CTYPE_Queue(Bits, Unit) ::bitmod::isa::Queue
#define BITMOD_ISA_CTYPE_Int8x4(Bits, Unit) std::array<int8_t, 4>

/// One struct per field group (ConfigFields, DmaFields, ...), one member
/// per field of BITMOD_ISA_FIELDS_<group>, with the table's defaults.
#define BITMOD_ISA_DECLARE_FIELD(C, name, key, Pos, Bits, Unit, Min, Max,      \
                                 Kind, Init)                                   \
  BITMOD_ISA_CTYPE_##Kind(Bits, Unit) name = Init;
#define BITMOD_ISA_COMPARE_FIELD(C, name, ...) &&name == o.name
// clang-format off
#define BITMOD_ISA_DECLARE_GROUP(Type, member)                                 \
  struct Type {                                                                \
    BITMOD_ISA_FIELDS_##member(BITMOD_ISA_DECLARE_FIELD, member)               \
    bool operator==(const Type &o) const {                                     \
      return true BITMOD_ISA_FIELDS_##member(BITMOD_ISA_COMPARE_FIELD, member);\
    }                                                                          \
    bool operator!=(const Type &o) const { return !(*this == o); }             \
  };
// clang-format on
BITMOD_ISA_FIELD_GROUPS(BITMOD_ISA_DECLARE_GROUP)
#undef BITMOD_ISA_DECLARE_GROUP
#undef BITMOD_ISA_COMPARE_FIELD
#undef BITMOD_ISA_DECLARE_FIELD
#undef BITMOD_ISA_CTYPE_UInt
#undef BITMOD_ISA_CTYPE_Hex
#undef BITMOD_ISA_CTYPE_Flag
#undef BITMOD_ISA_CTYPE_DType
#undef BITMOD_ISA_CTYPE_OutFormat
#undef BITMOD_ISA_CTYPE_Queue
#undef BITMOD_ISA_CTYPE_Int8x4

/// One decoded instruction. Only the field group of `opcode` is meaningful;
/// the others keep their default values (decode() leaves them so).
struct Instruction {
  Opcode opcode = Opcode::Halt;
  TokenFlags tokens;
#define BITMOD_ISA_GROUP_MEMBER(Type, member) Type member;
  BITMOD_ISA_FIELD_GROUPS(BITMOD_ISA_GROUP_MEMBER)
#undef BITMOD_ISA_GROUP_MEMBER

  /// The queue this instruction is dispatched to.
  Queue getQueue() const;

  bool operator==(const Instruction &o) const;
  bool operator!=(const Instruction &o) const { return !(*this == o); }
};

//===----------------------------------------------------------------------===//
// Field-generic view of the table
//===----------------------------------------------------------------------===//

/// The field groups (isa::Instruction members); `none` for HALT.
enum class FieldGroup : uint8_t {
#define BITMOD_ISA_GROUP_ENUM(Type, member) member,
  BITMOD_ISA_FIELD_GROUPS(BITMOD_ISA_GROUP_ENUM)
#undef BITMOD_ISA_GROUP_ENUM
      none
};

/// Every field, named <group>_<member> (e.g. FieldId::dma_dramAddr).
enum class FieldId : uint8_t {
#define BITMOD_ISA_FIELD_ENUM(C, name, ...) C##_##name,
#define BITMOD_ISA_GROUP_FIELD_ENUMS(Type, member)                             \
  BITMOD_ISA_FIELDS_##member(BITMOD_ISA_FIELD_ENUM, member)
  BITMOD_ISA_FIELD_GROUPS(BITMOD_ISA_GROUP_FIELD_ENUMS)
#undef BITMOD_ISA_GROUP_FIELD_ENUMS
#undef BITMOD_ISA_FIELD_ENUM
};

/// One row of Instructions.def. Values are in the field's own unit (bytes
/// for buffer offsets); the encoding holds value / unit in `bits` bits at
/// `pos`. Enumerations, flags and Int8x4 (packed little-endian, entry 0 in
/// the low byte) use their raw codes as values.
struct FieldInfo {
  FieldId id;
  FieldGroup group;
  llvm::StringLiteral name; // C++ member
  llvm::StringLiteral key;  // assembler key and bitmod_hw attribute
  unsigned pos, bits, unit;
  uint64_t min, max;  // admissible values, max capped by the encoding
  uint64_t maxStored; // largest value the C++ member holds
  FieldKind kind;
};

namespace detail {
constexpr uint64_t cappedMax(uint64_t declared, unsigned bits, unsigned unit) {
  uint64_t encodable = maxOfBits(bits) * unit;
  return declared < encodable ? declared : encodable;
}
constexpr uint64_t maxStored(FieldKind kind, unsigned bits, unsigned unit,
                             uint64_t max) {
  if (kind == FieldKind::UInt || kind == FieldKind::Hex)
    return valueBits(bits, unit) > 32 ? UINT64_MAX : UINT32_MAX;
  return kind == FieldKind::Int8x4 ? UINT32_MAX : max;
}
} // namespace detail

#define BITMOD_ISA_FIELD_INFO(C, name, key, Pos, Bits, Unit, Min, Max, Kind,   \
                              Init)                                            \
  FieldInfo{FieldId::C##_##name,                                               \
            FieldGroup::C,                                                     \
            #name,                                                             \
            #key,                                                              \
            Pos,                                                               \
            Bits,                                                              \
            Unit,                                                              \
            Min,                                                               \
            detail::cappedMax(Max, Bits, Unit),                                \
            detail::maxStored(FieldKind::Kind, Bits, Unit,                     \
                              detail::cappedMax(Max, Bits, Unit)),             \
            FieldKind::Kind},
#define BITMOD_ISA_GROUP_FIELD_INFOS(Type, member)                             \
  BITMOD_ISA_FIELDS_##member(BITMOD_ISA_FIELD_INFO, member)
/// All fields, group by group, in bit order; indexed by FieldId.
inline constexpr FieldInfo kFieldTable[] = {
    BITMOD_ISA_FIELD_GROUPS(BITMOD_ISA_GROUP_FIELD_INFOS)};
#undef BITMOD_ISA_GROUP_FIELD_INFOS
#undef BITMOD_ISA_FIELD_INFO

constexpr const FieldInfo &getFieldInfo(FieldId id) {
  return kFieldTable[unsigned(id)];
}

/// The fields of `op`, in bit order (empty for HALT).
llvm::ArrayRef<FieldInfo> getFields(Opcode op);
/// The field group of `op`.
FieldGroup getFieldGroup(Opcode op);
/// The field of `op` with assembler key `key`, if any.
const FieldInfo *findField(Opcode op, llvm::StringRef key);

/// A field's value (see FieldInfo) and its setter; setFieldValue stores the
/// value as the member's type (out-of-range values are truncated).
uint64_t getFieldValue(const Instruction &inst, const FieldInfo &field);
void setFieldValue(Instruction &inst, const FieldInfo &field, uint64_t value);

/// Field widths and limits used by planners and generators.
constexpr unsigned kDramAddrBits = getFieldInfo(FieldId::dma_dramAddr).bits;
constexpr unsigned kBufUnitsBits = getFieldInfo(FieldId::dma_bufOffset).bits;
constexpr unsigned kPitchUnitsBits = getFieldInfo(FieldId::dma_bufPitch).bits;
constexpr unsigned kDmaRowsBits = getFieldInfo(FieldId::dma_rows).bits;
constexpr unsigned kDmaRowBytesBits = getFieldInfo(FieldId::dma_rowBytes).bits;
constexpr unsigned kDmaStrideBits = getFieldInfo(FieldId::dma_dramStride).bits;
constexpr unsigned kWgtBytesBits = getFieldInfo(FieldId::loadWgt_bytes).bits;
constexpr unsigned kMatMulMBits = getFieldInfo(FieldId::matmul_m).bits;
constexpr unsigned kMatMulNBits = getFieldInfo(FieldId::matmul_n).bits;
constexpr unsigned kMatMulKGroupsBits =
    getFieldInfo(FieldId::matmul_kGroups).bits;
constexpr unsigned kGroupSizeBits =
    getFieldInfo(FieldId::config_groupSize).bits;
constexpr unsigned kArrayDimBits =
    getFieldInfo(FieldId::config_tokenLanes).bits;

/// Largest values representable in the encoding.
constexpr uint64_t kMaxDramAddr = getFieldInfo(FieldId::dma_dramAddr).max;
constexpr uint64_t kMaxBufferOffset = getFieldInfo(FieldId::dma_bufOffset).max;
constexpr uint64_t kMaxPitch = getFieldInfo(FieldId::dma_bufPitch).max;

using EncodedInstruction = std::array<uint8_t, kInstructionBytes>;

/// Mnemonic ("load.act", "matmul", ...), queue names ("load", ...) and
/// output format names ("f32", "f16").
llvm::StringRef getMnemonic(Opcode op);
std::optional<Opcode> parseMnemonic(llvm::StringRef name);
llvm::StringRef getQueueName(Queue q);
std::optional<Queue> parseQueueName(llvm::StringRef name);
llvm::StringRef getOutFormatName(OutFormat f);
std::optional<OutFormat> parseOutFormatName(llvm::StringRef name);

/// Checks every field of `inst` against the encoding (ranges, units,
/// non-zero sizes, pitches covering rows, token directions that exist for
/// the instruction's queue). encode() requires this to succeed.
llvm::Error verifyInstruction(const Instruction &inst);

/// Encodes a verified instruction (fields out of range are truncated; call
/// verifyInstruction() first, as writeBmod() does).
EncodedInstruction encode(const Instruction &inst);

/// Encodes after verification.
llvm::Expected<EncodedInstruction> encodeChecked(const Instruction &inst);

/// Decodes 16 bytes. Rejects unknown opcodes, non-zero reserved bits and
/// fields that violate verifyInstruction().
llvm::Expected<Instruction> decode(llvm::ArrayRef<uint8_t> bytes);

/// decode() without verifyInstruction(): rejects only a wrong size, unknown
/// opcodes, non-zero reserved bits and undefined enumeration codes.
llvm::Expected<Instruction> decodeUnverified(llvm::ArrayRef<uint8_t> bytes);

} // namespace isa
} // namespace bitmod

#endif // BITMOD_ISA_INSTRUCTION_H
