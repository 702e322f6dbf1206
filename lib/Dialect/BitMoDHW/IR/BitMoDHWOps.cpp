//===- BitMoDHWOps.cpp - bitmod_hw operations -------------------*- C++ -*-===//

#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWOps.h"
#include "bitmod/ISA/WeightBlock.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::hw;
namespace isa = ::bitmod::isa;

//===----------------------------------------------------------------------===//
// Custom directives
//===----------------------------------------------------------------------===//

/// `[pop_prev, push_next]`: the set token flags (nothing when none is set).
static ParseResult parseTokens(OpAsmParser &parser, UnitAttr &popPrev,
                               UnitAttr &popNext, UnitAttr &pushPrev,
                               UnitAttr &pushNext) {
  if (failed(parser.parseOptionalLSquare()))
    return success();
  Builder b(parser.getContext());
  auto parseOne = [&]() -> ParseResult {
    StringRef key;
    SMLoc loc = parser.getCurrentLocation();
    if (parser.parseKeyword(&key))
      return failure();
    UnitAttr *slot = llvm::StringSwitch<UnitAttr *>(key)
                         .Case("pop_prev", &popPrev)
                         .Case("pop_next", &popNext)
                         .Case("push_prev", &pushPrev)
                         .Case("push_next", &pushNext)
                         .Default(nullptr);
    if (!slot)
      return parser.emitError(loc, "unknown token flag '")
             << key << "' (expected pop_prev, pop_next, push_prev, push_next)";
    if (*slot)
      return parser.emitError(loc, "token flag '") << key << "' repeated";
    *slot = b.getUnitAttr();
    return success();
  };
  if (parser.parseCommaSeparatedList(parseOne) || parser.parseRSquare())
    return failure();
  return success();
}

static void printTokens(OpAsmPrinter &p, Operation *, UnitAttr popPrev,
                        UnitAttr popNext, UnitAttr pushPrev,
                        UnitAttr pushNext) {
  SmallVector<StringRef, 4> set;
  if (popPrev)
    set.push_back("pop_prev");
  if (popNext)
    set.push_back("pop_next");
  if (pushPrev)
    set.push_back("push_prev");
  if (pushNext)
    set.push_back("push_next");
  if (set.empty())
    return;
  p << "[";
  llvm::interleaveComma(set, p);
  p << "]";
}

/// An address printed in hexadecimal, parsed as any integer.
static ParseResult parseHex(OpAsmParser &parser, IntegerAttr &attr) {
  int64_t v;
  if (parser.parseInteger(v))
    return failure();
  attr = parser.getBuilder().getI64IntegerAttr(v);
  return success();
}

static void printHex(OpAsmPrinter &p, Operation *, IntegerAttr attr) {
  int64_t v = attr.getInt();
  if (v < 0)
    p << v;
  else
    p << "0x" << llvm::format_hex_no_prefix(uint64_t(v), 1);
}

/// A data type keyword, e.g. `bitmod3`.
static ParseResult parseDType(OpAsmParser &parser, DTypeAttr &attr) {
  StringRef key;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseKeyword(&key))
    return failure();
  std::optional<DType> t = symbolizeDType(key);
  if (!t)
    return parser.emitError(loc, "unknown data type '") << key << "'";
  attr = DTypeAttr::get(parser.getContext(), *t);
  return success();
}

static void printDType(OpAsmPrinter &p, Operation *, DTypeAttr attr) {
  p << stringifyDType(attr.getValue());
}

#define GET_OP_CLASSES
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Conversion to and from isa::Instruction
//===----------------------------------------------------------------------===//
//
// Every instruction op holds the fields of its opcode in
// bitmod/ISA/Instructions.def, as properties named by the field keys; the
// functions below are expanded from that table.

// Field attribute -> instruction member, per member type.
static void readField(IntegerAttr a, uint32_t &v) { v = uint32_t(a.getInt()); }
static void readField(IntegerAttr a, uint64_t &v) { v = uint64_t(a.getInt()); }
static void readField(UnitAttr a, bool &v) { v = bool(a); }
static void readField(DTypeAttr a, ::bitmod::quant::DataType &v) {
  v = toQuantType(a.getValue());
}
static void readField(OutFormatAttr a, isa::OutFormat &v) {
  v = static_cast<isa::OutFormat>(a.getValue());
}
static void readField(QueueAttr a, isa::Queue &v) {
  v = static_cast<isa::Queue>(a.getValue());
}
static void readField(DenseI8ArrayAttr a, std::array<int8_t, 4> &v) {
  ArrayRef<int8_t> values = a.asArrayRef();
  v = {};
  for (unsigned i = 0; i < 4 && i < values.size(); ++i)
    v[i] = values[i];
}

// Instruction member -> field attribute.
static void writeField(Builder &b, uint64_t v, IntegerAttr &a) {
  a = b.getI64IntegerAttr(int64_t(v));
}
static void writeField(Builder &b, bool v, UnitAttr &a) {
  a = v ? b.getUnitAttr() : UnitAttr();
}
static void writeField(Builder &b, ::bitmod::quant::DataType v, DTypeAttr &a) {
  a = DTypeAttr::get(b.getContext(), fromQuantType(v));
}
static void writeField(Builder &b, isa::OutFormat v, OutFormatAttr &a) {
  a = OutFormatAttr::get(b.getContext(), static_cast<OutFormat>(v));
}
static void writeField(Builder &b, isa::Queue v, QueueAttr &a) {
  a = QueueAttr::get(b.getContext(), static_cast<Queue>(v));
}
static void writeField(Builder &b, const std::array<int8_t, 4> &v,
                       DenseI8ArrayAttr &a) {
  a = b.getDenseI8ArrayAttr(ArrayRef<int8_t>(v.data(), v.size()));
}

/// Fields are stored as i64; the instruction members are 32 bits wide (64
/// for DRAM addresses). Checked before the conversion so that a negative or
/// huge value is not truncated into a valid one.
static LogicalResult checkStoredValue(Operation *op, const isa::FieldInfo &f,
                                      Attribute attr) {
  if (f.kind != isa::FieldKind::UInt && f.kind != isa::FieldKind::Hex)
    return success();
  int64_t v = cast<IntegerAttr>(attr).getInt();
  if (v < 0)
    return op->emitOpError("field '")
           << f.key << "' must be non-negative, got " << v;
  if (uint64_t(v) > f.maxStored)
    return op->emitOpError("field '")
           << f.key << "' = " << v << " exceeds "
           << llvm::Log2_64(f.maxStored) + 1 << " bits";
  return success();
}

template <typename OpTy> static isa::TokenFlags getTokens(OpTy op) {
  isa::TokenFlags t;
  t.popPrev = op.getPopPrev();
  t.popNext = op.getPopNext();
  t.pushPrev = op.getPushPrev();
  t.pushNext = op.getPushNext();
  return t;
}

template <typename PropertiesT>
static void setTokens(Builder &b, PropertiesT &props,
                      const isa::TokenFlags &t) {
  writeField(b, t.popPrev, props.pop_prev);
  writeField(b, t.popNext, props.pop_next);
  writeField(b, t.pushPrev, props.push_prev);
  writeField(b, t.pushNext, props.push_next);
}

#define BITMOD_HW_READ_FIELD(C, name, key, ...)                                \
  readField(props.key, inst.C.name);
#define BITMOD_HW_WRITE_FIELD(C, name, key, ...)                               \
  writeField(b, inst.C.name, props.key);
#define BITMOD_HW_CHECK_FIELD(C, name, key, ...)                               \
  if (failed(checkStoredValue(op, isa::getFieldInfo(isa::FieldId::C##_##name), \
                              props.key)))                                     \
    return failure();

/// <Name>Op::toInstruction, the <Name>Op builder from an instruction and
/// checkStoredValues(<Name>Op) for every opcode of the table.
// clang-format off
#define BITMOD_HW_DEFINE_INST_OP(Name, Code, Mnemonic, Group, Queue)           \
  isa::Instruction Name##Op::toInstruction() {                                 \
    isa::Instruction inst;                                                     \
    inst.opcode = isa::Opcode::Name;                                           \
    inst.tokens = getTokens(*this);                                            \
    [[maybe_unused]] Properties &props = getProperties();                      \
    BITMOD_ISA_FIELDS_##Group(BITMOD_HW_READ_FIELD, Group)                     \
    return inst;                                                               \
  }                                                                            \
  void Name##Op::build(OpBuilder &b, OperationState &state,                    \
                       const isa::Instruction &inst,                           \
                       std::optional<uint64_t> cycles) {                       \
    assert(inst.opcode == isa::Opcode::Name && "opcode of another op");        \
    Properties &props = state.getOrAddProperties<Properties>();                \
    BITMOD_ISA_FIELDS_##Group(BITMOD_HW_WRITE_FIELD, Group)                    \
    setTokens(b, props, inst.tokens);                                          \
    if (cycles)                                                                \
      props.cycles = b.getI64IntegerAttr(int64_t(*cycles));                    \
  }                                                                            \
  static LogicalResult checkStoredValues(Name##Op op) {                        \
    [[maybe_unused]] Name##Op::Properties &props = op.getProperties();         \
    BITMOD_ISA_FIELDS_##Group(BITMOD_HW_CHECK_FIELD, Group)                    \
    return success();                                                          \
  }
// clang-format on
BITMOD_ISA_OPCODES(BITMOD_HW_DEFINE_INST_OP)
#undef BITMOD_HW_DEFINE_INST_OP
#undef BITMOD_HW_CHECK_FIELD
#undef BITMOD_HW_WRITE_FIELD
#undef BITMOD_HW_READ_FIELD

bool hw::isInstructionOp(Operation *op) {
#define BITMOD_HW_IS_INST_OP(Name, ...) || isa<Name##Op>(op)
  return false BITMOD_ISA_OPCODES(BITMOD_HW_IS_INST_OP);
#undef BITMOD_HW_IS_INST_OP
}

isa::Instruction hw::toInstruction(Operation *op) {
#define BITMOD_HW_TO_INSTRUCTION(Name, ...)                                    \
  if (auto instOp = dyn_cast<Name##Op>(op))                                    \
    return instOp.toInstruction();
  BITMOD_ISA_OPCODES(BITMOD_HW_TO_INSTRUCTION)
#undef BITMOD_HW_TO_INSTRUCTION
  llvm_unreachable("not a bitmod_hw instruction op");
}

//===----------------------------------------------------------------------===//
// Instruction verifiers
//===----------------------------------------------------------------------===//

/// One source of truth for the encoding limits: isa::verifyInstruction.
template <typename OpTy> static LogicalResult verifyEncoding(OpTy op) {
  if (failed(checkStoredValues(op)))
    return failure();
  if (llvm::Error e = isa::verifyInstruction(op.toInstruction()))
    return op->emitOpError("violates the instruction encoding: ")
           << llvm::toString(std::move(e));
  return success();
}

static std::string hex(uint64_t v) {
  return "0x" + llvm::utohexstr(v, /*LowerCase=*/true);
}

static InFlightDiagnostic emitRangeError(Operation *op, StringRef buffer,
                                         uint64_t begin, uint64_t end,
                                         uint64_t size) {
  return op->emitOpError() << buffer << " buffer range [" << hex(begin) << ", "
                           << hex(end) << ") exceeds the " << size << "-byte "
                           << buffer << " buffer";
}

template <typename OpTy> static LogicalResult verifyDma(OpTy op) {
  if (failed(verifyEncoding(op)))
    return failure();
  ::bitmod::arch::AccelConfig cfg = getAccelConfig(op);
  const isa::DmaFields d = op.toInstruction().dma;
  uint64_t begin = d.bufOffset;
  uint64_t end = begin + uint64_t(d.rows - 1) * d.bufPitch + d.bufPitch;
  if (end > cfg.actBufferBytes)
    return emitRangeError(op, "activation", begin, end, cfg.actBufferBytes);
  return success();
}

LogicalResult ConfigOp::verify() {
  if (getSv().size() != 4)
    return emitOpError("special-value register file needs 4 entries, got ")
           << getSv().size();
  if (failed(verifyEncoding(*this)))
    return failure();
  ::bitmod::arch::AccelConfig cfg = getAccelConfig(*this);
  auto disc =
      cfg.getArrayShape(::bitmod::arch::ArrayArrangement::Discriminative);
  auto gen = cfg.getArrayShape(::bitmod::arch::ArrayArrangement::Generative);
  uint64_t t = getTokenLanes(), c = getChannelLanes();
  if (!(t == disc.tokenLanes && c == disc.channelLanes) &&
      !(t == gen.tokenLanes && c == gen.channelLanes))
    return emitOpError("lanes (")
           << t << ", " << c << ") are not an arrangement of the accelerator ("
           << disc.tokenLanes << ", " << disc.channelLanes << ") or ("
           << gen.tokenLanes << ", " << gen.channelLanes << ")";
  return success();
}

LogicalResult LoadActOp::verify() { return verifyDma(*this); }
LogicalResult StoreOp::verify() { return verifyDma(*this); }

LogicalResult LoadWgtOp::verify() {
  if (failed(verifyEncoding(*this)))
    return failure();
  if (std::optional<ArrayRef<int64_t>> block = getBlock()) {
    if (block->size() != 4)
      return emitOpError("block must be [n0, n, g0, k_groups], got ")
             << block->size() << " entries";
    if (llvm::any_of(*block, [](int64_t v) { return v < 0; }) ||
        (*block)[1] == 0 || (*block)[3] == 0)
      return emitOpError("block entries must be non-negative with n and "
                         "k_groups positive");
  }
  ::bitmod::arch::AccelConfig cfg = getAccelConfig(*this);
  uint64_t begin = getBufOffset(), end = begin + getBytes();
  if (end > cfg.wgtBufferBytes)
    return emitRangeError(*this, "weight", begin, end, cfg.wgtBufferBytes);
  return success();
}

LogicalResult MatMulOp::verify() {
  if (failed(verifyEncoding(*this)))
    return failure();
  ::bitmod::arch::AccelConfig cfg = getAccelConfig(*this);
  uint64_t elem = getOutFormat() == OutFormat::f16 ? 2 : 4;
  if (uint64_t(getOutPitch()) < getN() * elem)
    return emitOpError("out pitch ")
           << getOutPitch() << " is smaller than a row of " << getN()
           << " outputs (" << getN() * elem << " bytes)";
  uint64_t begin = getOutOffset();
  uint64_t end = begin + (getM() - 1) * getOutPitch() + getN() * elem;
  if (end > cfg.actBufferBytes)
    return emitRangeError(*this, "activation", begin, end, cfg.actBufferBytes);
  if (uint64_t(getWgtOffset()) >= cfg.wgtBufferBytes)
    return emitOpError("weight offset ")
           << hex(getWgtOffset()) << " is outside the " << cfg.wgtBufferBytes
           << "-byte weight buffer";
  return success();
}

LogicalResult SyncOp::verify() { return verifyEncoding(*this); }
LogicalResult HaltOp::verify() { return verifyEncoding(*this); }

//===----------------------------------------------------------------------===//
// LaunchOp
//===----------------------------------------------------------------------===//

LogicalResult LaunchOp::verify() {
  auto inTy = getInput().getType();
  auto outTy = getResult().getType();
  auto wTy = getWeights().getType();
  if (inTy.getRank() != 2 || outTy.getRank() != 2 || !inTy.hasStaticShape() ||
      !outTy.hasStaticShape())
    return emitOpError("input and result must be static 2-D tensors [M, K] "
                       "and [M, N]");
  if (inTy.getDimSize(1) != wTy.getCols())
    return emitOpError("input has K = ")
           << inTy.getDimSize(1)
           << " but the weights have K = " << wTy.getCols();
  if (outTy.getDimSize(0) != inTy.getDimSize(0) ||
      outTy.getDimSize(1) != wTy.getRows())
    return emitOpError("result shape must be [")
           << inTy.getDimSize(0) << ", " << wTy.getRows() << "]";
  if (!outTy.getElementType().isF32() && !outTy.getElementType().isF16())
    return emitOpError("result element type must be f32 or f16");
  return success();
}

LogicalResult LaunchOp::verifyRegions() {
  ::bitmod::arch::AccelConfig cfg = getAccelConfig(*this);
  Block &body = getBody().front();
  // Tokens per channel: [from queue][to queue] pushed and popped.
  int64_t pushed[3][3] = {}, popped[3][3] = {};
  std::optional<isa::ConfigFields> config;
  auto wTy = getWeights().getType();
  for (Operation &op : body) {
    if (!isInstructionOp(&op))
      return op.emitOpError("is not a bitmod_hw instruction; a launch body "
                            "holds instruction ops only");
    if (isa<HaltOp>(op) && &op != &body.back())
      return op.emitOpError("must be the last instruction of the launch");
    isa::Instruction inst = toInstruction(&op);
    unsigned q = unsigned(inst.getQueue());
    if (inst.tokens.pushPrev && q > 0)
      ++pushed[q][q - 1];
    if (inst.tokens.pushNext && q < 2)
      ++pushed[q][q + 1];
    if (inst.tokens.popPrev && q > 0)
      ++popped[q - 1][q];
    if (inst.tokens.popNext && q < 2)
      ++popped[q + 1][q];
    if (inst.opcode == isa::Opcode::Config) {
      config = inst.config;
      if (toQuantType(wTy.getDtype()) != config->dtype ||
          wTy.getGroupSize() != config->groupSize)
        return op.emitOpError("dtype/group (")
               << stringifyDType(fromQuantType(config->dtype)) << ", "
               << config->groupSize << ") do not match the launch weights ("
               << stringifyDType(wTy.getDtype()) << ", " << wTy.getGroupSize()
               << ")";
      continue;
    }
    if (inst.opcode != isa::Opcode::MatMul)
      continue;
    if (!config)
      return op.emitOpError("needs a preceding bitmod_hw.config");
    const isa::MatMulFields &m = inst.matmul;
    uint64_t kBytes = uint64_t(m.kGroups) * config->groupSize * 2;
    uint64_t actEnd =
        uint64_t(m.actOffset) + uint64_t(m.m - 1) * m.actPitch + kBytes;
    if (m.m > 1 && m.actPitch < kBytes)
      return op.emitOpError("act pitch ")
             << m.actPitch << " is smaller than the " << kBytes
             << " bytes of kgroups * G activations";
    if (actEnd > cfg.actBufferBytes)
      return emitRangeError(&op, "activation", m.actOffset, actEnd,
                            cfg.actBufferBytes);
    auto layout = isa::getWeightBlockLayout(*config, m.n, m.kGroups);
    if (!layout)
      return op.emitOpError("invalid weight block: ")
             << llvm::toString(layout.takeError());
    uint64_t wEnd = uint64_t(m.wgtOffset) + layout->totalBytes;
    if (wEnd > cfg.wgtBufferBytes)
      return emitRangeError(&op, "weight", m.wgtOffset, wEnd,
                            cfg.wgtBufferBytes);
  }
  static const char *names[3] = {"load", "compute", "store"};
  for (unsigned from = 0; from < 3; ++from)
    for (unsigned to = 0; to < 3; ++to)
      if (pushed[from][to] != popped[from][to])
        return emitOpError("unbalanced tokens from the ")
               << names[from] << " queue to the " << names[to]
               << " queue: " << pushed[from][to] << " pushed, "
               << popped[from][to] << " popped";
  return success();
}
