//===- Instruction.cpp - BitMoD instruction encoding ----------------------===//
//
// Encode, decode and verify are driven by the field table
// (bitmod/ISA/Instructions.def); only the checks that relate several fields
// are written out here. Bit layout of every opcode: docs/isa.md, "Encoding".
//
//===----------------------------------------------------------------------===//

#include "bitmod/ISA/Instruction.h"
#include "bitmod/Support/Error.h"

#include "llvm/Support/FormatVariadic.h"

using namespace bitmod;
using namespace bitmod::isa;
using llvm::Error;
using llvm::Expected;

namespace {

/// A 128-bit little-endian instruction word.
class Word {
public:
  Word() = default;
  explicit Word(llvm::ArrayRef<uint8_t> bytes) {
    for (unsigned i = 0; i < 16; ++i)
      bits[i / 8] |= uint64_t(bytes[i]) << (8 * (i % 8));
  }

  void set(unsigned pos, unsigned width, uint64_t value) {
    for (unsigned i = 0; i < width; ++i) {
      unsigned b = pos + i;
      uint64_t bit = (value >> i) & 1;
      bits[b / 64] &= ~(uint64_t(1) << (b % 64));
      bits[b / 64] |= bit << (b % 64);
    }
  }
  uint64_t get(unsigned pos, unsigned width) const {
    uint64_t v = 0;
    for (unsigned i = 0; i < width; ++i) {
      unsigned b = pos + i;
      v |= ((bits[b / 64] >> (b % 64)) & 1) << i;
    }
    return v;
  }
  EncodedInstruction toBytes() const {
    EncodedInstruction out;
    for (unsigned i = 0; i < 16; ++i)
      out[i] = uint8_t(bits[i / 8] >> (8 * (i % 8)));
    return out;
  }

private:
  uint64_t bits[2] = {0, 0};
};

constexpr unsigned kOpcodePos = 0, kOpcodeBits = 4;
/// First bit after the header (opcode and token flags).
constexpr unsigned kHeaderEnd = 8;

/// First reserved bit of `op`: everything after its last field.
unsigned getBodyEnd(Opcode op) {
  unsigned end = kHeaderEnd;
  for (const FieldInfo &f : getFields(op))
    end = std::max(end, f.pos + f.bits);
  return end;
}

/// The range of kFieldTable holding `group`.
constexpr std::pair<unsigned, unsigned> getGroupRange(FieldGroup group) {
  unsigned begin = 0;
  while (begin < std::size(kFieldTable) && kFieldTable[begin].group != group)
    ++begin;
  unsigned end = begin;
  while (end < std::size(kFieldTable) && kFieldTable[end].group == group)
    ++end;
  return {begin, end};
}

// Conversions between member types and field values.
uint64_t toValue(uint32_t v) { return v; }
uint64_t toValue(uint64_t v) { return v; }
uint64_t toValue(bool v) { return v; }
uint64_t toValue(quant::DataType v) { return uint64_t(v); }
uint64_t toValue(OutFormat v) { return uint64_t(v); }
uint64_t toValue(Queue v) { return uint64_t(v); }
uint64_t toValue(const std::array<int8_t, 4> &v) {
  uint64_t packed = 0;
  for (unsigned i = 0; i < 4; ++i)
    packed |= uint64_t(uint8_t(v[i])) << (8 * i);
  return packed;
}

void fromValue(uint64_t value, uint32_t &v) { v = uint32_t(value); }
void fromValue(uint64_t value, uint64_t &v) { v = value; }
void fromValue(uint64_t value, bool &v) { v = value & 1; }
template <typename EnumT,
          typename = std::enable_if_t<std::is_enum<EnumT>::value>>
void fromValue(uint64_t value, EnumT &v) {
  v = EnumT(std::underlying_type_t<EnumT>(value));
}
void fromValue(uint64_t value, std::array<int8_t, 4> &v) {
  for (unsigned i = 0; i < 4; ++i)
    v[i] = int8_t(uint8_t(value >> (8 * i)));
}

Error fieldError(Opcode op, llvm::StringRef field, uint64_t value,
                 const llvm::Twine &requirement) {
  return makeError(getMnemonic(op) + ": field '" + field +
                   "' = " + llvm::Twine(value) + " " + requirement);
}

/// The checks the table implies: unit, minimum and maximum.
Error verifyField(Opcode op, const FieldInfo &f, uint64_t v) {
  if (f.unit > 1 && v % f.unit)
    return fieldError(op, f.key, v,
                      "is not a multiple of " + llvm::Twine(f.unit));
  if (v >= f.min && v <= f.max)
    return Error::success();
  if (f.min == 0)
    return fieldError(op, f.key, v,
                      "exceeds the maximum " + llvm::Twine(f.max));
  return fieldError(op, f.key, v,
                    llvm::formatv("is outside [{0}, {1}]", f.min, f.max).str());
}

/// The checks that relate several fields (or go beyond a range).
Error verifySemantics(const Instruction &inst) {
  Opcode op = inst.opcode;
  switch (op) {
  case Opcode::Config:
    if (inst.config.groupSize % 8)
      return fieldError(op, "group_size", inst.config.groupSize,
                        "is not a multiple of 8");
    return Error::success();
  case Opcode::LoadAct:
  case Opcode::Store: {
    const DmaFields &d = inst.dma;
    if (d.rows > 1 && d.dramStride < d.rowBytes)
      return fieldError(op, "dram_stride", d.dramStride,
                        "is smaller than row_bytes with rows > 1");
    if (d.bufPitch < d.rowBytes)
      return fieldError(op, "buf_pitch", d.bufPitch,
                        "is smaller than row_bytes");
    return Error::success();
  }
  case Opcode::MatMul: {
    const MatMulFields &m = inst.matmul;
    uint64_t outRow = uint64_t(m.n) * (m.outFormat == OutFormat::F32 ? 4 : 2);
    if (m.outPitch < outRow)
      return fieldError(op, "out_pitch", m.outPitch,
                        "is smaller than an output row (" +
                            llvm::Twine(outRow) + " bytes)");
    return Error::success();
  }
  case Opcode::LoadWgt:
  case Opcode::Sync:
  case Opcode::Halt:
    return Error::success();
  }
  return Error::success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Table access
//===----------------------------------------------------------------------===//

FieldGroup isa::getFieldGroup(Opcode op) {
  switch (op) {
#define BITMOD_ISA_OPCODE_GROUP(Name, Code, Mnemonic, Group, Queue)            \
  case Opcode::Name:                                                           \
    return FieldGroup::Group;
    BITMOD_ISA_OPCODES(BITMOD_ISA_OPCODE_GROUP)
#undef BITMOD_ISA_OPCODE_GROUP
  }
  return FieldGroup::none;
}

llvm::ArrayRef<FieldInfo> isa::getFields(Opcode op) {
  auto [begin, end] = getGroupRange(getFieldGroup(op));
  return llvm::ArrayRef<FieldInfo>(kFieldTable).slice(begin, end - begin);
}

const FieldInfo *isa::findField(Opcode op, llvm::StringRef key) {
  for (const FieldInfo &f : getFields(op))
    if (f.key == key)
      return &f;
  return nullptr;
}

uint64_t isa::getFieldValue(const Instruction &inst, const FieldInfo &field) {
  switch (field.id) {
#define BITMOD_ISA_GET_FIELD(C, name, ...)                                     \
  case FieldId::C##_##name:                                                    \
    return toValue(inst.C.name);
#define BITMOD_ISA_GET_GROUP(Type, member)                                     \
  BITMOD_ISA_FIELDS_##member(BITMOD_ISA_GET_FIELD, member)
    BITMOD_ISA_FIELD_GROUPS(BITMOD_ISA_GET_GROUP)
#undef BITMOD_ISA_GET_GROUP
#undef BITMOD_ISA_GET_FIELD
  }
  return 0;
}

void isa::setFieldValue(Instruction &inst, const FieldInfo &field,
                        uint64_t value) {
  switch (field.id) {
#define BITMOD_ISA_SET_FIELD(C, name, ...)                                     \
  case FieldId::C##_##name:                                                    \
    return fromValue(value, inst.C.name);
#define BITMOD_ISA_SET_GROUP(Type, member)                                     \
  BITMOD_ISA_FIELDS_##member(BITMOD_ISA_SET_FIELD, member)
    BITMOD_ISA_FIELD_GROUPS(BITMOD_ISA_SET_GROUP)
#undef BITMOD_ISA_SET_GROUP
#undef BITMOD_ISA_SET_FIELD
  }
}

//===----------------------------------------------------------------------===//
// Instruction
//===----------------------------------------------------------------------===//

namespace {
// The fixed queue of an opcode (FromField: named by a field).
constexpr std::optional<Queue> kQueueLoad = Queue::Load;
constexpr std::optional<Queue> kQueueCompute = Queue::Compute;
constexpr std::optional<Queue> kQueueStore = Queue::Store;
constexpr std::optional<Queue> kQueueFromField = std::nullopt;
} // namespace

Queue Instruction::getQueue() const {
  std::optional<Queue> fixed;
  switch (opcode) {
#define BITMOD_ISA_OPCODE_QUEUE(Name, Code, Mnemonic, Group, Queue)            \
  case Opcode::Name:                                                           \
    fixed = kQueue##Queue;                                                     \
    break;
    BITMOD_ISA_OPCODES(BITMOD_ISA_OPCODE_QUEUE)
#undef BITMOD_ISA_OPCODE_QUEUE
  }
  if (fixed)
    return *fixed;
  for (const FieldInfo &f : getFields(opcode))
    if (f.kind == FieldKind::Queue)
      return Queue(getFieldValue(*this, f));
  return Queue::Compute;
}

bool Instruction::operator==(const Instruction &o) const {
  if (opcode != o.opcode || tokens != o.tokens)
    return false;
  return llvm::all_of(getFields(opcode), [&](const FieldInfo &f) {
    return getFieldValue(*this, f) == getFieldValue(o, f);
  });
}

llvm::StringRef isa::getMnemonic(Opcode op) {
  switch (op) {
#define BITMOD_ISA_OPCODE_MNEMONIC(Name, Code, Mnemonic, Group, Queue)         \
  case Opcode::Name:                                                           \
    return Mnemonic;
    BITMOD_ISA_OPCODES(BITMOD_ISA_OPCODE_MNEMONIC)
#undef BITMOD_ISA_OPCODE_MNEMONIC
  }
  return "<invalid>";
}

std::optional<Opcode> isa::parseMnemonic(llvm::StringRef name) {
  for (unsigned op = 0; op < kNumOpcodes; ++op)
    if (getMnemonic(Opcode(op)) == name)
      return Opcode(op);
  return std::nullopt;
}

llvm::StringRef isa::getQueueName(Queue q) {
  switch (q) {
  case Queue::Load:
    return "load";
  case Queue::Compute:
    return "compute";
  case Queue::Store:
    return "store";
  }
  return "<invalid>";
}

std::optional<Queue> isa::parseQueueName(llvm::StringRef name) {
  for (unsigned q = 0; q < kNumQueues; ++q)
    if (getQueueName(Queue(q)) == name)
      return Queue(q);
  return std::nullopt;
}

llvm::StringRef isa::getOutFormatName(OutFormat f) {
  return f == OutFormat::F16 ? "f16" : "f32";
}

std::optional<OutFormat> isa::parseOutFormatName(llvm::StringRef name) {
  if (name == "f32")
    return OutFormat::F32;
  if (name == "f16")
    return OutFormat::F16;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Verify, encode, decode
//===----------------------------------------------------------------------===//

Error isa::verifyInstruction(const Instruction &inst) {
  Opcode op = inst.opcode;
  if (unsigned(op) >= kNumOpcodes)
    return makeError("invalid opcode " + llvm::Twine(unsigned(op)));
  for (const FieldInfo &f : getFields(op))
    if (Error e = verifyField(op, f, getFieldValue(inst, f)))
      return e;
  Queue q = inst.getQueue();
  const TokenFlags &t = inst.tokens;
  if (q == Queue::Load && (t.popPrev || t.pushPrev))
    return makeError(getMnemonic(op) +
                     ": the load queue has no previous queue (pop_prev/"
                     "push_prev must be 0)");
  if (q == Queue::Store && (t.popNext || t.pushNext))
    return makeError(getMnemonic(op) +
                     ": the store queue has no next queue (pop_next/push_next "
                     "must be 0)");
  if (op == Opcode::Halt && t != TokenFlags())
    return makeError("halt: token flags must be 0");
  return verifySemantics(inst);
}

EncodedInstruction isa::encode(const Instruction &inst) {
  Word w;
  w.set(kOpcodePos, kOpcodeBits, unsigned(inst.opcode));
#define BITMOD_ISA_ENCODE_TOKEN(name, key, Pos, Direction)                     \
  w.set(Pos, 1, inst.tokens.name);
  BITMOD_ISA_TOKENS(BITMOD_ISA_ENCODE_TOKEN)
#undef BITMOD_ISA_ENCODE_TOKEN
  for (const FieldInfo &f : getFields(inst.opcode))
    w.set(f.pos, f.bits, getFieldValue(inst, f) / f.unit);
  return w.toBytes();
}

Expected<EncodedInstruction> isa::encodeChecked(const Instruction &inst) {
  if (Error e = verifyInstruction(inst))
    return std::move(e);
  return encode(inst);
}

Expected<Instruction> isa::decodeUnverified(llvm::ArrayRef<uint8_t> bytes) {
  if (bytes.size() != kInstructionBytes)
    return makeError("instruction has " + llvm::Twine(bytes.size()) +
                     " bytes, expected 16");
  Word w(bytes);
  unsigned rawOp = w.get(kOpcodePos, kOpcodeBits);
  if (rawOp >= kNumOpcodes)
    return makeError("invalid opcode " + llvm::Twine(rawOp));
  Instruction inst;
  inst.opcode = Opcode(rawOp);
  for (unsigned pos = getBodyEnd(inst.opcode); pos < 128; ++pos)
    if (w.get(pos, 1))
      return makeError(getMnemonic(inst.opcode) + ": reserved bit " +
                       llvm::Twine(pos) + " is set");
#define BITMOD_ISA_DECODE_TOKEN(name, key, Pos, Direction)                     \
  inst.tokens.name = w.get(Pos, 1);
  BITMOD_ISA_TOKENS(BITMOD_ISA_DECODE_TOKEN)
#undef BITMOD_ISA_DECODE_TOKEN
  for (const FieldInfo &f : getFields(inst.opcode)) {
    uint64_t code = w.get(f.pos, f.bits);
    bool isEnum = f.kind == FieldKind::DType || f.kind == FieldKind::Queue ||
                  f.kind == FieldKind::OutFormat;
    if (isEnum && code > f.max)
      return makeError(getMnemonic(inst.opcode) + ": invalid " + f.key +
                       " code " + llvm::Twine(code));
    setFieldValue(inst, f, code * f.unit);
  }
  return inst;
}

Expected<Instruction> isa::decode(llvm::ArrayRef<uint8_t> bytes) {
  Expected<Instruction> inst = decodeUnverified(bytes);
  if (!inst)
    return inst.takeError();
  if (Error e = verifyInstruction(*inst))
    return std::move(e);
  return inst;
}
