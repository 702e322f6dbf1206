//===- Instruction.cpp - BitMoD instruction encoding ----------------------===//
//
// Bit layout of every opcode: docs/isa.md, "Encoding".
//
//===----------------------------------------------------------------------===//

#include "bitmod/ISA/Instruction.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace bitmod;
using namespace bitmod::isa;
using llvm::createStringError;
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

// Common header.
constexpr unsigned kOpPos = 0, kOpBits = 4;
constexpr unsigned kPopPrevPos = 4, kPopNextPos = 5, kPushPrevPos = 6,
                   kPushNextPos = 7;
constexpr unsigned kBodyPos = 8;

// CONFIG.
constexpr unsigned kCfgDtypePos = 8, kCfgDtypeBits = 5;
constexpr unsigned kCfgGroupPos = 13;
constexpr unsigned kCfgScaleBitsPos = 25, kCfgScaleBitsBits = 4;
constexpr unsigned kCfgSvPos = 29; // 4 x 8 bits
constexpr unsigned kCfgRowsPos = 61, kCfgColsPos = 71;
constexpr unsigned kCfgEnd = 81;

// LOAD_ACT / STORE.
constexpr unsigned kDmaDramPos = 8, kDmaBufPos = 44, kDmaRowsPos = 62,
                   kDmaRowBytesPos = 74, kDmaStridePos = 90, kDmaPitchPos = 114,
                   kDmaEnd = 126;

// LOAD_WGT.
constexpr unsigned kWgtDramPos = 8, kWgtBufPos = 44, kWgtBytesPos = 62,
                   kWgtEnd = 86;

// MATMUL.
constexpr unsigned kMmActPos = 8, kMmActPitchPos = 26, kMmWgtPos = 38,
                   kMmOutPos = 56, kMmOutPitchPos = 74, kMmMPos = 86,
                   kMmNPos = 96, kMmKPos = 108, kMmAccPos = 118,
                   kMmOutFmtPos = 119, kMmEnd = 120;

// SYNC.
constexpr unsigned kSyncQueuePos = 8, kSyncQueueBits = 2, kSyncEnd = 10;

// HALT.
constexpr unsigned kHaltEnd = 8;

unsigned getBodyEnd(Opcode op) {
  switch (op) {
  case Opcode::Config:
    return kCfgEnd;
  case Opcode::LoadAct:
  case Opcode::Store:
    return kDmaEnd;
  case Opcode::LoadWgt:
    return kWgtEnd;
  case Opcode::MatMul:
    return kMmEnd;
  case Opcode::Sync:
    return kSyncEnd;
  case Opcode::Halt:
    return kHaltEnd;
  }
  return kBodyPos;
}

constexpr uint64_t maxOf(unsigned bits) { return (uint64_t(1) << bits) - 1; }

Error fieldError(Opcode op, llvm::StringRef field, uint64_t value,
                 llvm::StringRef requirement) {
  return createStringError(llvm::inconvertibleErrorCode(),
                           llvm::formatv("{0}: field '{1}' = {2} {3}",
                                         getMnemonic(op), field, value,
                                         requirement)
                               .str());
}

Error checkMax(Opcode op, llvm::StringRef field, uint64_t value, uint64_t max) {
  if (value > max)
    return fieldError(op, field, value,
                      llvm::formatv("exceeds the maximum {0}", max).str());
  return Error::success();
}

Error checkRange(Opcode op, llvm::StringRef field, uint64_t value, uint64_t min,
                 uint64_t max) {
  if (value < min || value > max)
    return fieldError(op, field, value,
                      llvm::formatv("is outside [{0}, {1}]", min, max).str());
  return Error::success();
}

Error checkBufAddr(Opcode op, llvm::StringRef field, uint64_t value,
                   unsigned unitBits) {
  if (value % kBufferAlign)
    return fieldError(op, field, value, "is not a multiple of 16");
  return checkMax(op, field, value, maxOf(unitBits) * kBufferAlign);
}

} // namespace

Queue Instruction::getQueue() const {
  switch (opcode) {
  case Opcode::LoadAct:
  case Opcode::LoadWgt:
    return Queue::Load;
  case Opcode::Store:
    return Queue::Store;
  case Opcode::Sync:
    return sync.queue;
  case Opcode::Config:
  case Opcode::MatMul:
  case Opcode::Halt:
    return Queue::Compute;
  }
  return Queue::Compute;
}

bool Instruction::operator==(const Instruction &o) const {
  if (opcode != o.opcode || tokens != o.tokens)
    return false;
  switch (opcode) {
  case Opcode::Config:
    return config.dtype == o.config.dtype &&
           config.groupSize == o.config.groupSize &&
           config.scaleBits == o.config.scaleBits && config.sv == o.config.sv &&
           config.tokenLanes == o.config.tokenLanes &&
           config.channelLanes == o.config.channelLanes;
  case Opcode::LoadAct:
  case Opcode::Store:
    return dma.dramAddr == o.dma.dramAddr && dma.bufOffset == o.dma.bufOffset &&
           dma.rows == o.dma.rows && dma.rowBytes == o.dma.rowBytes &&
           dma.dramStride == o.dma.dramStride && dma.bufPitch == o.dma.bufPitch;
  case Opcode::LoadWgt:
    return loadWgt.dramAddr == o.loadWgt.dramAddr &&
           loadWgt.bufOffset == o.loadWgt.bufOffset &&
           loadWgt.bytes == o.loadWgt.bytes;
  case Opcode::MatMul:
    return matmul.actOffset == o.matmul.actOffset &&
           matmul.actPitch == o.matmul.actPitch &&
           matmul.wgtOffset == o.matmul.wgtOffset &&
           matmul.outOffset == o.matmul.outOffset &&
           matmul.outPitch == o.matmul.outPitch && matmul.m == o.matmul.m &&
           matmul.n == o.matmul.n && matmul.kGroups == o.matmul.kGroups &&
           matmul.accumulate == o.matmul.accumulate &&
           matmul.outFormat == o.matmul.outFormat;
  case Opcode::Sync:
    return sync.queue == o.sync.queue;
  case Opcode::Halt:
    return true;
  }
  return false;
}

llvm::StringRef isa::getMnemonic(Opcode op) {
  switch (op) {
  case Opcode::Config:
    return "config";
  case Opcode::LoadAct:
    return "load.act";
  case Opcode::LoadWgt:
    return "load.wgt";
  case Opcode::MatMul:
    return "matmul";
  case Opcode::Store:
    return "store";
  case Opcode::Sync:
    return "sync";
  case Opcode::Halt:
    return "halt";
  }
  return "<invalid>";
}

std::optional<Opcode> isa::parseMnemonic(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<Opcode>>(name)
      .Case("config", Opcode::Config)
      .Case("load.act", Opcode::LoadAct)
      .Case("load.wgt", Opcode::LoadWgt)
      .Case("matmul", Opcode::MatMul)
      .Case("store", Opcode::Store)
      .Case("sync", Opcode::Sync)
      .Case("halt", Opcode::Halt)
      .Default(std::nullopt);
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
  return llvm::StringSwitch<std::optional<Queue>>(name)
      .Case("load", Queue::Load)
      .Case("compute", Queue::Compute)
      .Case("store", Queue::Store)
      .Default(std::nullopt);
}

Error isa::verifyInstruction(const Instruction &inst) {
  Opcode op = inst.opcode;
  if (unsigned(op) >= kNumOpcodes)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "invalid opcode %u", unsigned(op));
  Queue q = inst.getQueue();
  if (unsigned(q) >= kNumQueues)
    return fieldError(op, "queue", unsigned(q), "is not a queue (0..2)");
  const TokenFlags &t = inst.tokens;
  if (q == Queue::Load && (t.popPrev || t.pushPrev))
    return createStringError(
        llvm::inconvertibleErrorCode(),
        "%s: the load queue has no previous queue (pop_prev/push_prev must "
        "be 0)",
        getMnemonic(op).str().c_str());
  if (q == Queue::Store && (t.popNext || t.pushNext))
    return createStringError(
        llvm::inconvertibleErrorCode(),
        "%s: the store queue has no next queue (pop_next/push_next must be 0)",
        getMnemonic(op).str().c_str());
  if (op == Opcode::Halt &&
      (t.popPrev || t.popNext || t.pushPrev || t.pushNext))
    return createStringError(llvm::inconvertibleErrorCode(),
                             "halt: token flags must be 0");

  switch (op) {
  case Opcode::Config: {
    const ConfigFields &c = inst.config;
    if (unsigned(c.dtype) >= quant::kNumDataTypes)
      return fieldError(op, "dtype", unsigned(c.dtype), "is not a data type");
    if (Error e =
            checkRange(op, "group", c.groupSize, 8, maxOf(kGroupSizeBits)))
      return e;
    if (c.groupSize % 8)
      return fieldError(op, "group", c.groupSize, "is not a multiple of 8");
    if (Error e = checkMax(op, "scale_bits", c.scaleBits, 8))
      return e;
    if (Error e = checkRange(op, "token_lanes", c.tokenLanes, 1,
                             maxOf(kArrayDimBits)))
      return e;
    if (Error e = checkRange(op, "channel_lanes", c.channelLanes, 1,
                             maxOf(kArrayDimBits)))
      return e;
    return Error::success();
  }
  case Opcode::LoadAct:
  case Opcode::Store: {
    const DmaFields &d = inst.dma;
    if (Error e = checkMax(op, "dram", d.dramAddr, maxOf(kDramAddrBits)))
      return e;
    if (Error e = checkBufAddr(op, "abuf", d.bufOffset, kBufUnitsBits))
      return e;
    if (Error e = checkRange(op, "rows", d.rows, 1, maxOf(kDmaRowsBits)))
      return e;
    if (Error e =
            checkRange(op, "row_bytes", d.rowBytes, 1, maxOf(kDmaRowBytesBits)))
      return e;
    if (Error e =
            checkMax(op, "dram_stride", d.dramStride, maxOf(kDmaStrideBits)))
      return e;
    if (d.rows > 1 && d.dramStride < d.rowBytes)
      return fieldError(op, "dram_stride", d.dramStride,
                        "is smaller than row_bytes with rows > 1");
    if (Error e = checkBufAddr(op, "buf_pitch", d.bufPitch, kPitchUnitsBits))
      return e;
    if (d.bufPitch < d.rowBytes)
      return fieldError(op, "buf_pitch", d.bufPitch,
                        "is smaller than row_bytes");
    return Error::success();
  }
  case Opcode::LoadWgt: {
    const LoadWgtFields &w = inst.loadWgt;
    if (Error e = checkMax(op, "dram", w.dramAddr, maxOf(kDramAddrBits)))
      return e;
    if (Error e = checkBufAddr(op, "wbuf", w.bufOffset, kBufUnitsBits))
      return e;
    return checkRange(op, "bytes", w.bytes, 1, maxOf(kWgtBytesBits));
  }
  case Opcode::MatMul: {
    const MatMulFields &m = inst.matmul;
    if (Error e = checkBufAddr(op, "act", m.actOffset, kBufUnitsBits))
      return e;
    if (Error e = checkBufAddr(op, "act_pitch", m.actPitch, kPitchUnitsBits))
      return e;
    if (Error e = checkBufAddr(op, "wgt", m.wgtOffset, kBufUnitsBits))
      return e;
    if (Error e = checkBufAddr(op, "out", m.outOffset, kBufUnitsBits))
      return e;
    if (Error e = checkBufAddr(op, "out_pitch", m.outPitch, kPitchUnitsBits))
      return e;
    if (Error e = checkRange(op, "m", m.m, 1, maxOf(kMatMulMBits)))
      return e;
    if (Error e = checkRange(op, "n", m.n, 1, maxOf(kMatMulNBits)))
      return e;
    if (Error e =
            checkRange(op, "k_groups", m.kGroups, 1, maxOf(kMatMulKGroupsBits)))
      return e;
    if (m.actPitch == 0)
      return fieldError(op, "act_pitch", 0, "must be positive");
    uint64_t outRow = uint64_t(m.n) * (m.outFormat == OutFormat::F32 ? 4 : 2);
    if (m.outPitch < outRow)
      return fieldError(op, "out_pitch", m.outPitch,
                        llvm::formatv("is smaller than an output row ({0} "
                                      "bytes)",
                                      outRow)
                            .str());
    if (unsigned(m.outFormat) > 1)
      return fieldError(op, "out_fmt", unsigned(m.outFormat),
                        "is not f32 (0) or f16 (1)");
    return Error::success();
  }
  case Opcode::Sync:
  case Opcode::Halt:
    return Error::success();
  }
  return Error::success();
}

EncodedInstruction isa::encode(const Instruction &inst) {
  Word w;
  w.set(kOpPos, kOpBits, unsigned(inst.opcode));
  w.set(kPopPrevPos, 1, inst.tokens.popPrev);
  w.set(kPopNextPos, 1, inst.tokens.popNext);
  w.set(kPushPrevPos, 1, inst.tokens.pushPrev);
  w.set(kPushNextPos, 1, inst.tokens.pushNext);
  switch (inst.opcode) {
  case Opcode::Config: {
    const ConfigFields &c = inst.config;
    w.set(kCfgDtypePos, kCfgDtypeBits, unsigned(c.dtype));
    w.set(kCfgGroupPos, kGroupSizeBits, c.groupSize);
    w.set(kCfgScaleBitsPos, kCfgScaleBitsBits, c.scaleBits);
    for (unsigned i = 0; i < 4; ++i)
      w.set(kCfgSvPos + 8 * i, 8, uint8_t(c.sv[i]));
    w.set(kCfgRowsPos, kArrayDimBits, c.tokenLanes);
    w.set(kCfgColsPos, kArrayDimBits, c.channelLanes);
    break;
  }
  case Opcode::LoadAct:
  case Opcode::Store: {
    const DmaFields &d = inst.dma;
    w.set(kDmaDramPos, kDramAddrBits, d.dramAddr);
    w.set(kDmaBufPos, kBufUnitsBits, d.bufOffset / kBufferAlign);
    w.set(kDmaRowsPos, kDmaRowsBits, d.rows);
    w.set(kDmaRowBytesPos, kDmaRowBytesBits, d.rowBytes);
    w.set(kDmaStridePos, kDmaStrideBits, d.dramStride);
    w.set(kDmaPitchPos, kPitchUnitsBits, d.bufPitch / kBufferAlign);
    break;
  }
  case Opcode::LoadWgt: {
    const LoadWgtFields &l = inst.loadWgt;
    w.set(kWgtDramPos, kDramAddrBits, l.dramAddr);
    w.set(kWgtBufPos, kBufUnitsBits, l.bufOffset / kBufferAlign);
    w.set(kWgtBytesPos, kWgtBytesBits, l.bytes);
    break;
  }
  case Opcode::MatMul: {
    const MatMulFields &m = inst.matmul;
    w.set(kMmActPos, kBufUnitsBits, m.actOffset / kBufferAlign);
    w.set(kMmActPitchPos, kPitchUnitsBits, m.actPitch / kBufferAlign);
    w.set(kMmWgtPos, kBufUnitsBits, m.wgtOffset / kBufferAlign);
    w.set(kMmOutPos, kBufUnitsBits, m.outOffset / kBufferAlign);
    w.set(kMmOutPitchPos, kPitchUnitsBits, m.outPitch / kBufferAlign);
    w.set(kMmMPos, kMatMulMBits, m.m);
    w.set(kMmNPos, kMatMulNBits, m.n);
    w.set(kMmKPos, kMatMulKGroupsBits, m.kGroups);
    w.set(kMmAccPos, 1, m.accumulate);
    w.set(kMmOutFmtPos, 1, unsigned(m.outFormat));
    break;
  }
  case Opcode::Sync:
    w.set(kSyncQueuePos, kSyncQueueBits, unsigned(inst.sync.queue));
    break;
  case Opcode::Halt:
    break;
  }
  return w.toBytes();
}

Expected<EncodedInstruction> isa::encodeChecked(const Instruction &inst) {
  if (Error e = verifyInstruction(inst))
    return std::move(e);
  return encode(inst);
}

Expected<Instruction> isa::decode(llvm::ArrayRef<uint8_t> bytes) {
  if (bytes.size() != kInstructionBytes)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "instruction has %zu bytes, expected 16",
                             bytes.size());
  Word w(bytes);
  unsigned rawOp = w.get(kOpPos, kOpBits);
  if (rawOp >= kNumOpcodes)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "invalid opcode %u", rawOp);
  Instruction inst;
  inst.opcode = Opcode(rawOp);
  unsigned end = getBodyEnd(inst.opcode);
  for (unsigned pos = end; pos < 128; ++pos)
    if (w.get(pos, 1))
      return createStringError(llvm::inconvertibleErrorCode(),
                               "%s: reserved bit %u is set",
                               getMnemonic(inst.opcode).str().c_str(), pos);
  inst.tokens.popPrev = w.get(kPopPrevPos, 1);
  inst.tokens.popNext = w.get(kPopNextPos, 1);
  inst.tokens.pushPrev = w.get(kPushPrevPos, 1);
  inst.tokens.pushNext = w.get(kPushNextPos, 1);
  switch (inst.opcode) {
  case Opcode::Config: {
    ConfigFields &c = inst.config;
    unsigned dt = w.get(kCfgDtypePos, kCfgDtypeBits);
    if (dt >= quant::kNumDataTypes)
      return createStringError(llvm::inconvertibleErrorCode(),
                               "config: invalid dtype code %u", dt);
    c.dtype = quant::DataType(dt);
    c.groupSize = w.get(kCfgGroupPos, kGroupSizeBits);
    c.scaleBits = w.get(kCfgScaleBitsPos, kCfgScaleBitsBits);
    for (unsigned i = 0; i < 4; ++i)
      c.sv[i] = int8_t(uint8_t(w.get(kCfgSvPos + 8 * i, 8)));
    c.tokenLanes = w.get(kCfgRowsPos, kArrayDimBits);
    c.channelLanes = w.get(kCfgColsPos, kArrayDimBits);
    break;
  }
  case Opcode::LoadAct:
  case Opcode::Store: {
    DmaFields &d = inst.dma;
    d.dramAddr = w.get(kDmaDramPos, kDramAddrBits);
    d.bufOffset = w.get(kDmaBufPos, kBufUnitsBits) * kBufferAlign;
    d.rows = w.get(kDmaRowsPos, kDmaRowsBits);
    d.rowBytes = w.get(kDmaRowBytesPos, kDmaRowBytesBits);
    d.dramStride = w.get(kDmaStridePos, kDmaStrideBits);
    d.bufPitch = w.get(kDmaPitchPos, kPitchUnitsBits) * kBufferAlign;
    break;
  }
  case Opcode::LoadWgt: {
    LoadWgtFields &l = inst.loadWgt;
    l.dramAddr = w.get(kWgtDramPos, kDramAddrBits);
    l.bufOffset = w.get(kWgtBufPos, kBufUnitsBits) * kBufferAlign;
    l.bytes = w.get(kWgtBytesPos, kWgtBytesBits);
    break;
  }
  case Opcode::MatMul: {
    MatMulFields &m = inst.matmul;
    m.actOffset = w.get(kMmActPos, kBufUnitsBits) * kBufferAlign;
    m.actPitch = w.get(kMmActPitchPos, kPitchUnitsBits) * kBufferAlign;
    m.wgtOffset = w.get(kMmWgtPos, kBufUnitsBits) * kBufferAlign;
    m.outOffset = w.get(kMmOutPos, kBufUnitsBits) * kBufferAlign;
    m.outPitch = w.get(kMmOutPitchPos, kPitchUnitsBits) * kBufferAlign;
    m.m = w.get(kMmMPos, kMatMulMBits);
    m.n = w.get(kMmNPos, kMatMulNBits);
    m.kGroups = w.get(kMmKPos, kMatMulKGroupsBits);
    m.accumulate = w.get(kMmAccPos, 1);
    m.outFormat = OutFormat(w.get(kMmOutFmtPos, 1));
    break;
  }
  case Opcode::Sync: {
    unsigned q = w.get(kSyncQueuePos, kSyncQueueBits);
    if (q >= kNumQueues)
      return createStringError(llvm::inconvertibleErrorCode(),
                               "sync: invalid queue %u", q);
    inst.sync.queue = Queue(q);
    break;
  }
  case Opcode::Halt:
    break;
  }
  if (Error e = verifyInstruction(inst))
    return std::move(e);
  return inst;
}
