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
// Conversion to isa::Instruction
//===----------------------------------------------------------------------===//

template <typename OpTy> static isa::TokenFlags getTokens(OpTy op) {
  isa::TokenFlags t;
  t.popPrev = op.getPopPrev();
  t.popNext = op.getPopNext();
  t.pushPrev = op.getPushPrev();
  t.pushNext = op.getPushNext();
  return t;
}

isa::Instruction ConfigOp::toInstruction() {
  isa::Instruction inst;
  inst.opcode = isa::Opcode::Config;
  inst.tokens = getTokens(*this);
  isa::ConfigFields &c = inst.config;
  c.dtype = toQuantType(getDtype());
  c.groupSize = uint32_t(getGroupSize());
  c.scaleBits = uint32_t(getScaleBits());
  ArrayRef<int8_t> sv = getSv();
  for (unsigned i = 0; i < 4 && i < sv.size(); ++i)
    c.sv[i] = sv[i];
  c.tokenLanes = uint32_t(getTokenLanes());
  c.channelLanes = uint32_t(getChannelLanes());
  return inst;
}

template <typename OpTy> static isa::DmaFields getDma(OpTy op) {
  isa::DmaFields d;
  d.dramAddr = uint64_t(op.getDram());
  d.bufOffset = uint32_t(op.getBuf());
  d.rows = uint32_t(op.getRows());
  d.rowBytes = uint32_t(op.getRowBytes());
  d.dramStride = uint32_t(op.getStride());
  d.bufPitch = uint32_t(op.getPitch());
  return d;
}

isa::Instruction LoadActOp::toInstruction() {
  isa::Instruction inst;
  inst.opcode = isa::Opcode::LoadAct;
  inst.tokens = getTokens(*this);
  inst.dma = getDma(*this);
  return inst;
}

isa::Instruction StoreOp::toInstruction() {
  isa::Instruction inst;
  inst.opcode = isa::Opcode::Store;
  inst.tokens = getTokens(*this);
  inst.dma = getDma(*this);
  return inst;
}

isa::Instruction LoadWgtOp::toInstruction() {
  isa::Instruction inst;
  inst.opcode = isa::Opcode::LoadWgt;
  inst.tokens = getTokens(*this);
  inst.loadWgt.dramAddr = uint64_t(getDram());
  inst.loadWgt.bufOffset = uint32_t(getBuf());
  inst.loadWgt.bytes = uint32_t(getBytes());
  return inst;
}

isa::Instruction MatmulOp::toInstruction() {
  isa::Instruction inst;
  inst.opcode = isa::Opcode::MatMul;
  inst.tokens = getTokens(*this);
  isa::MatMulFields &m = inst.matmul;
  m.actOffset = uint32_t(getAct());
  m.actPitch = uint32_t(getActPitch());
  m.wgtOffset = uint32_t(getWgt());
  m.outOffset = uint32_t(getOut());
  m.outPitch = uint32_t(getOutPitch());
  m.m = uint32_t(getM());
  m.n = uint32_t(getN());
  m.kGroups = uint32_t(getKgroups());
  m.accumulate = getAccumulate();
  m.outFormat = getOutF16() ? isa::OutFormat::F16 : isa::OutFormat::F32;
  return inst;
}

isa::Instruction SyncOp::toInstruction() {
  isa::Instruction inst;
  inst.opcode = isa::Opcode::Sync;
  inst.tokens = getTokens(*this);
  inst.sync.queue = static_cast<isa::Queue>(getQueue());
  return inst;
}

isa::Instruction HaltOp::toInstruction() {
  isa::Instruction inst;
  inst.opcode = isa::Opcode::Halt;
  inst.tokens = getTokens(*this);
  return inst;
}

bool hw::isInstructionOp(Operation *op) {
  return isa<ConfigOp, LoadActOp, LoadWgtOp, MatmulOp, StoreOp, SyncOp, HaltOp>(
      op);
}

isa::Instruction hw::toInstruction(Operation *op) {
  return llvm::TypeSwitch<Operation *, isa::Instruction>(op)
      .Case<ConfigOp, LoadActOp, LoadWgtOp, MatmulOp, StoreOp, SyncOp, HaltOp>(
          [](auto inst) { return inst.toInstruction(); })
      .Default([](Operation *) -> isa::Instruction {
        llvm_unreachable("not a bitmod_hw instruction op");
      });
}

//===----------------------------------------------------------------------===//
// Instruction verifiers
//===----------------------------------------------------------------------===//

/// Fields are stored as i64; the encoding holds unsigned values of at most
/// 36 (DRAM addresses) or 32 bits. Checked before the conversion so that a
/// negative or huge value is not truncated into a valid one.
static LogicalResult verifyFieldRanges(Operation *op) {
  for (NamedAttribute na : op->getAttrs()) {
    auto i = dyn_cast<IntegerAttr>(na.getValue());
    if (!i || !i.getType().isInteger(64))
      continue;
    int64_t v = i.getInt();
    if (v < 0)
      return op->emitOpError("field '")
             << na.getName().getValue() << "' must be non-negative, got " << v;
    if (na.getName() != "dram" && na.getName() != "cycles" &&
        uint64_t(v) > UINT32_MAX)
      return op->emitOpError("field '")
             << na.getName().getValue() << "' = " << v << " exceeds 32 bits";
  }
  return success();
}

/// One source of truth for the encoding limits: isa::verifyInstruction.
static LogicalResult verifyEncoding(Operation *op) {
  if (failed(verifyFieldRanges(op)))
    return failure();
  if (llvm::Error e = isa::verifyInstruction(toInstruction(op)))
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
  uint64_t begin = op.getBuf();
  uint64_t end = begin + (op.getRows() - 1) * op.getPitch() + op.getPitch();
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
      return emitOpError("block must be [n0, n, g0, kgroups], got ")
             << block->size() << " entries";
    if (llvm::any_of(*block, [](int64_t v) { return v < 0; }) ||
        (*block)[1] == 0 || (*block)[3] == 0)
      return emitOpError("block entries must be non-negative with n and "
                         "kgroups positive");
  }
  ::bitmod::arch::AccelConfig cfg = getAccelConfig(*this);
  uint64_t begin = getBuf(), end = begin + getBytes();
  if (end > cfg.wgtBufferBytes)
    return emitRangeError(*this, "weight", begin, end, cfg.wgtBufferBytes);
  return success();
}

LogicalResult MatmulOp::verify() {
  if (failed(verifyEncoding(*this)))
    return failure();
  ::bitmod::arch::AccelConfig cfg = getAccelConfig(*this);
  uint64_t elem = getOutF16() ? 2 : 4;
  if (uint64_t(getOutPitch()) < getN() * elem)
    return emitOpError("out pitch ")
           << getOutPitch() << " is smaller than a row of " << getN()
           << " outputs (" << getN() * elem << " bytes)";
  uint64_t begin = getOut();
  uint64_t end = begin + (getM() - 1) * getOutPitch() + getN() * elem;
  if (end > cfg.actBufferBytes)
    return emitRangeError(*this, "activation", begin, end, cfg.actBufferBytes);
  if (uint64_t(getWgt()) >= cfg.wgtBufferBytes)
    return emitOpError("weight offset ")
           << hex(getWgt()) << " is outside the " << cfg.wgtBufferBytes
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
