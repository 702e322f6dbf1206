//===- Program.cpp - BitMoD programs and the .bmod file format ------------===//
//
// File layout: docs/isa.md, "File format". All integers little-endian.
//
//===----------------------------------------------------------------------===//

#include "bitmod/ISA/Program.h"
#include "bitmod/ISA/WeightBlock.h"
#include "bitmod/Support/Error.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <deque>
#include <optional>

using namespace bitmod;
using namespace bitmod::isa;
using llvm::Error;
using llvm::Expected;

namespace {

constexpr char kMagic[4] = {'B', 'M', 'O', 'D'};
constexpr uint32_t kHeaderBytes = 64;
constexpr uint32_t kSectionEntryBytes = 24;
// Checksums (CRC-32, zlib's polynomial): the header's over its 64 bytes with
// the field itself zero, the table's over the table, and each section's in
// its table entry (the former flags field).
constexpr uint32_t kHeaderCrcOffset = 48;
constexpr uint32_t kTableCrcOffset = 52;
constexpr uint32_t kEntryCrcOffset = 4;
constexpr uint32_t kMaxSections = 64;

enum SectionKind : uint32_t {
  kSectText = 1,
  kSectWeights = 2,
  kSectSymbols = 3,
  kSectLayers = 4,
  kSectAccel = 5,
};
constexpr uint32_t kMaxSectionKind = 5;

const char *getSectionName(uint32_t kind) {
  switch (kind) {
  case kSectText:
    return "text (instructions)";
  case kSectWeights:
    return "weights";
  case kSectSymbols:
    return "symbols";
  case kSectLayers:
    return "layers";
  case kSectAccel:
    return "accel";
  }
  return "?";
}

/// Little-endian byte writer.
class Writer {
public:
  std::vector<uint8_t> bytes;
  void u8(uint8_t v) { bytes.push_back(v); }
  void u16(uint16_t v) {
    for (int i = 0; i < 2; ++i)
      bytes.push_back(uint8_t(v >> (8 * i)));
  }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i)
      bytes.push_back(uint8_t(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i)
      bytes.push_back(uint8_t(v >> (8 * i)));
  }
  void str(llvm::StringRef s) {
    u16(uint16_t(s.size()));
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  void raw(llvm::ArrayRef<uint8_t> b) {
    bytes.insert(bytes.end(), b.begin(), b.end());
  }
  void padTo(size_t align) {
    while (bytes.size() % align)
      bytes.push_back(0);
  }
  void patch32(size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i)
      bytes[at + i] = uint8_t(v >> (8 * i));
  }
  void patch64(size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i)
      bytes[at + i] = uint8_t(v >> (8 * i));
  }
};

/// Bounds-checked little-endian reader over [begin, end) of a file; errors
/// name the absolute file offset.
class Reader {
public:
  Reader(llvm::ArrayRef<uint8_t> file, uint64_t begin, uint64_t end,
         const char *what)
      : file(file), pos(begin), end(end), what(what) {}

  uint64_t offset() const { return pos; }
  bool atEnd() const { return pos == end; }

  Error need(uint64_t n, const char *field) {
    if (n > end - pos)
      return makeError(llvm::formatv(
          "offset {0:x}: truncated {1} section: {2} needs {3} bytes, {4} left",
          pos, what, field, n, end - pos));
    return Error::success();
  }
  Expected<uint64_t> le(unsigned n, const char *field) {
    if (Error e = need(n, field))
      return std::move(e);
    uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i)
      v |= uint64_t(file[pos + i]) << (8 * i);
    pos += n;
    return v;
  }
  Expected<std::string> str(const char *field) {
    auto len = le(2, field);
    if (!len)
      return len.takeError();
    if (Error e = need(*len, field))
      return std::move(e);
    std::string s(reinterpret_cast<const char *>(file.data() + pos), *len);
    pos += *len;
    return s;
  }

private:
  llvm::ArrayRef<uint8_t> file;
  uint64_t pos, end;
  const char *what;
};

bool rangesOverlap(uint64_t a, uint64_t aSize, uint64_t b, uint64_t bSize) {
  return aSize && bSize && a < b + bSize && b < a + aSize;
}

uint64_t loadLE(llvm::ArrayRef<uint8_t> bytes, uint64_t at, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i)
    v |= uint64_t(bytes[at + i]) << (8 * i);
  return v;
}

void storeLE32(llvm::MutableArrayRef<uint8_t> bytes, uint64_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    bytes[at + i] = uint8_t(v >> (8 * i));
}

/// CRC-32 of the 64-byte header with its own checksum field taken as zero.
uint32_t getHeaderCrc(llvm::ArrayRef<uint8_t> file) {
  uint8_t header[kHeaderBytes];
  std::copy(file.begin(), file.begin() + kHeaderBytes, header);
  std::fill(header + kHeaderCrcOffset, header + kHeaderCrcOffset + 4, 0);
  return llvm::crc32(llvm::ArrayRef<uint8_t>(header, kHeaderBytes));
}

Error checksumError(uint64_t at, llvm::StringRef what, uint32_t stored,
                    uint32_t computed) {
  return makeError(llvm::formatv(
      "offset {0:x}: checksum mismatch in the {1} (stored {2:x8}, computed "
      "{3:x8}): the file is corrupted",
      at, what, stored, computed));
}

} // namespace

//===----------------------------------------------------------------------===//
// Small helpers
//===----------------------------------------------------------------------===//

unsigned isa::getElemBytes(ElemType type) {
  return type == ElemType::F32 ? 4 : 2;
}

llvm::StringRef isa::getElemTypeName(ElemType type) {
  return type == ElemType::F32 ? "f32" : "f16";
}

std::optional<ElemType> isa::parseElemTypeName(llvm::StringRef name) {
  if (name == "f16")
    return ElemType::F16;
  if (name == "f32")
    return ElemType::F32;
  return std::nullopt;
}

llvm::StringRef isa::getSymbolKindName(SymbolKind kind) {
  return kind == SymbolKind::Output ? "output" : "input";
}

std::optional<SymbolKind> isa::parseSymbolKindName(llvm::StringRef name) {
  if (name == "input")
    return SymbolKind::Input;
  if (name == "output")
    return SymbolKind::Output;
  return std::nullopt;
}

int64_t Symbol::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

bool Symbol::operator==(const Symbol &o) const {
  return name == o.name && kind == o.kind && elemType == o.elemType &&
         shape == o.shape && dramAddr == o.dramAddr && bytes == o.bytes;
}

const Symbol *Program::findSymbol(llvm::StringRef name) const {
  for (const Symbol &s : symbols)
    if (s.name == name)
      return &s;
  return nullptr;
}

bool Program::operator==(const Program &o) const {
  return versionMajor == o.versionMajor && versionMinor == o.versionMinor &&
         dramSize == o.dramSize && weightBase == o.weightBase &&
         actBufferBytes == o.actBufferBytes &&
         wgtBufferBytes == o.wgtBufferBytes && accelConfig == o.accelConfig &&
         instructions == o.instructions && weights == o.weights &&
         symbols == o.symbols && layers == o.layers;
}

//===----------------------------------------------------------------------===//
// Verifier
//===----------------------------------------------------------------------===//

static Error instError(size_t index, const Instruction &inst,
                       const llvm::Twine &msg) {
  return makeError("instruction " + llvm::Twine(index) + " (" +
                   getMnemonic(inst.opcode) + "): " + msg);
}

/// Token channels: 0 load->compute, 1 compute->load, 2 compute->store,
/// 3 store->compute.
static void getTokenUse(const Instruction &inst, int pops[4], int pushes[4]) {
  for (int i = 0; i < 4; ++i)
    pops[i] = pushes[i] = 0;
  const TokenFlags &t = inst.tokens;
  switch (inst.getQueue()) {
  case Queue::Load:
    pops[1] += t.popNext;
    pushes[0] += t.pushNext;
    break;
  case Queue::Compute:
    pops[0] += t.popPrev;
    pops[3] += t.popNext;
    pushes[1] += t.pushPrev;
    pushes[2] += t.pushNext;
    break;
  case Queue::Store:
    pops[2] += t.popPrev;
    pushes[3] += t.pushPrev;
    break;
  }
}

static const char *kChannelNames[4] = {"load->compute", "compute->load",
                                       "compute->store", "store->compute"};

static Error verifyTokens(const Program &p) {
  // Per-channel balance.
  int64_t pushTotal[4] = {0, 0, 0, 0}, popTotal[4] = {0, 0, 0, 0};
  std::deque<size_t> queues[kNumQueues];
  for (size_t i = 0; i < p.instructions.size(); ++i) {
    int pops[4], pushes[4];
    getTokenUse(p.instructions[i], pops, pushes);
    for (int c = 0; c < 4; ++c) {
      popTotal[c] += pops[c];
      pushTotal[c] += pushes[c];
    }
    queues[unsigned(p.instructions[i].getQueue())].push_back(i);
  }
  for (int c = 0; c < 4; ++c)
    if (popTotal[c] != pushTotal[c])
      return makeError(llvm::formatv("token imbalance on channel {0}: {1} "
                                     "pushes, {2} pops",
                                     kChannelNames[c], pushTotal[c],
                                     popTotal[c]));
  // Deadlock check: run the queues with zero latency. Token counts make the
  // outcome independent of timing.
  int64_t avail[4] = {0, 0, 0, 0};
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto &q : queues) {
      while (!q.empty()) {
        int pops[4], pushes[4];
        getTokenUse(p.instructions[q.front()], pops, pushes);
        bool ready = true;
        for (int c = 0; c < 4; ++c)
          ready &= avail[c] >= pops[c];
        if (!ready)
          break;
        for (int c = 0; c < 4; ++c)
          avail[c] += pushes[c] - pops[c];
        q.pop_front();
        progress = true;
      }
    }
  }
  for (unsigned qi = 0; qi < kNumQueues; ++qi)
    if (!queues[qi].empty())
      return makeError(llvm::formatv(
          "deadlock: {0} queue blocks forever at instruction {1} waiting for "
          "a token",
          getQueueName(Queue(qi)), queues[qi].front()));
  return Error::success();
}

Error isa::verifyProgram(const Program &p) {
  if (p.versionMajor != kBmodVersionMajor || p.versionMinor > kBmodVersionMinor)
    return makeError(llvm::formatv("unsupported version {0}.{1} (supported "
                                   "{2}.0 to {2}.{3})",
                                   p.versionMajor, p.versionMinor,
                                   kBmodVersionMajor, kBmodVersionMinor));
  if (p.actBufferBytes % kBufferAlign || p.wgtBufferBytes % kBufferAlign ||
      !p.actBufferBytes || !p.wgtBufferBytes)
    return makeError("buffer sizes must be positive multiples of 16");
  if (p.instructions.empty())
    return makeError("program has no instructions (HALT must be last)");
  if (p.weightBase > p.dramSize || p.weights.size() > p.dramSize - p.weightBase)
    return makeError(llvm::formatv(
        "weight blob [{0:x}, +{1}) is outside the DRAM image of {2} bytes",
        p.weightBase, p.weights.size(), p.dramSize));

  auto checkDram = [&](size_t i, const Instruction &inst, uint64_t addr,
                       uint64_t bytes) -> Error {
    if (addr > p.dramSize || bytes > p.dramSize - addr)
      return instError(i, inst,
                       llvm::formatv("DRAM range [{0:x}, +{1}) is outside the "
                                     "DRAM image of {2} bytes",
                                     addr, bytes, p.dramSize));
    return Error::success();
  };
  auto checkBuf = [&](size_t i, const Instruction &inst, const char *buf,
                      uint64_t off, uint64_t bytes, uint64_t size) -> Error {
    if (off > size || bytes > size - off)
      return instError(i, inst,
                       llvm::formatv("{0} buffer range [{1:x}, +{2}) exceeds "
                                     "the {3}-byte buffer",
                                     buf, off, bytes, size));
    return Error::success();
  };

  std::optional<ConfigFields> config;
  for (size_t i = 0; i < p.instructions.size(); ++i) {
    const Instruction &inst = p.instructions[i];
    if (Error e = verifyInstruction(inst))
      return makeError("instruction " + llvm::Twine(i) + ": " +
                       llvm::toString(std::move(e)));
    if (inst.opcode == Opcode::Halt && i + 1 != p.instructions.size())
      return instError(i, inst, "HALT must be the last instruction");
    switch (inst.opcode) {
    case Opcode::Config:
      config = inst.config;
      break;
    case Opcode::LoadAct:
    case Opcode::Store: {
      const DmaFields &d = inst.dma;
      uint64_t dramBytes = uint64_t(d.rows - 1) * d.dramStride + d.rowBytes;
      if (Error e = checkDram(i, inst, d.dramAddr, dramBytes))
        return e;
      bool load = inst.opcode == Opcode::LoadAct;
      uint64_t bufBytes = load ? uint64_t(d.rows) * d.bufPitch
                               : uint64_t(d.rows - 1) * d.bufPitch + d.rowBytes;
      if (Error e = checkBuf(i, inst, "activation", d.bufOffset, bufBytes,
                             p.actBufferBytes))
        return e;
      if (!load &&
          rangesOverlap(d.dramAddr, dramBytes, p.weightBase, p.weights.size()))
        return instError(i, inst, "store overwrites the weight blob");
      break;
    }
    case Opcode::LoadWgt: {
      const LoadWgtFields &w = inst.loadWgt;
      if (Error e = checkDram(i, inst, w.dramAddr, w.bytes))
        return e;
      if (Error e = checkBuf(i, inst, "weight", w.bufOffset, w.bytes,
                             p.wgtBufferBytes))
        return e;
      break;
    }
    case Opcode::MatMul: {
      const MatMulFields &m = inst.matmul;
      if (!config)
        return instError(i, inst, "MATMUL before any CONFIG");
      auto layout = getWeightBlockLayout(*config, m.n, m.kGroups);
      if (!layout)
        return instError(i, inst, llvm::toString(layout.takeError()));
      if (Error e = checkBuf(i, inst, "weight", m.wgtOffset, layout->totalBytes,
                             p.wgtBufferBytes))
        return e;
      uint64_t actRow = uint64_t(m.kGroups) * config->groupSize * 2;
      if (m.actPitch < actRow)
        return instError(i, inst,
                         llvm::formatv("act_pitch {0} is smaller than an "
                                       "activation row of {1} bytes",
                                       m.actPitch, actRow));
      if (Error e = checkBuf(i, inst, "activation", m.actOffset,
                             uint64_t(m.m - 1) * m.actPitch + actRow,
                             p.actBufferBytes))
        return e;
      uint64_t outRow = uint64_t(m.n) * (m.outFormat == OutFormat::F32 ? 4 : 2);
      uint64_t outBytes = uint64_t(m.m - 1) * m.outPitch + outRow;
      if (Error e = checkBuf(i, inst, "activation", m.outOffset, outBytes,
                             p.actBufferBytes))
        return e;
      break;
    }
    case Opcode::Sync:
      break;
    case Opcode::Halt:
      break;
    }
  }
  if (p.instructions.back().opcode != Opcode::Halt)
    return makeError("the last instruction must be HALT");
  if (Error e = verifyTokens(p))
    return e;

  // Symbols.
  llvm::StringSet<> names;
  for (size_t i = 0; i < p.symbols.size(); ++i) {
    const Symbol &s = p.symbols[i];
    if (s.name.empty() || s.name.size() > 0xffff)
      return makeError(llvm::formatv("symbol {0}: name must have 1..65535 "
                                     "bytes",
                                     i));
    if (!names.insert(s.name).second)
      return makeError("duplicate symbol '" + s.name + "'");
    if (s.shape.size() > 8)
      return makeError("symbol '" + s.name + "': rank above 8");
    uint64_t elems = 1;
    for (int64_t d : s.shape) {
      if (d <= 0 || d > (int64_t(1) << 40))
        return makeError("symbol '" + s.name + "': invalid dimension " +
                         llvm::Twine(d));
      elems *= uint64_t(d);
      if (elems > (uint64_t(1) << 40))
        return makeError("symbol '" + s.name + "': too many elements");
    }
    if (elems * getElemBytes(s.elemType) != s.bytes)
      return makeError(llvm::formatv("symbol '{0}': {1} bytes do not match "
                                     "its shape ({2} bytes)",
                                     s.name, s.bytes,
                                     elems * getElemBytes(s.elemType)));
    if (s.dramAddr > p.dramSize || s.bytes > p.dramSize - s.dramAddr)
      return makeError(llvm::formatv("symbol '{0}' [{1:x}, +{2}) is outside "
                                     "the DRAM image of {3} bytes",
                                     s.name, s.dramAddr, s.bytes, p.dramSize));
    if (rangesOverlap(s.dramAddr, s.bytes, p.weightBase, p.weights.size()))
      return makeError("symbol '" + s.name + "' overlaps the weight blob");
    for (size_t j = 0; j < i; ++j)
      if (rangesOverlap(s.dramAddr, s.bytes, p.symbols[j].dramAddr,
                        p.symbols[j].bytes))
        return makeError("symbol '" + s.name + "' overlaps symbol '" +
                         p.symbols[j].name + "'");
  }

  // Layers.
  uint64_t prevEnd = 0;
  for (const LayerRange &l : p.layers) {
    if (l.name.empty() || l.name.size() > 0xffff)
      return makeError("layer name must have 1..65535 bytes");
    uint64_t end = uint64_t(l.firstInst) + l.numInsts;
    if (end > p.instructions.size())
      return makeError(llvm::formatv("layer '{0}' [{1}, {2}) exceeds the {3} "
                                     "instructions",
                                     l.name, l.firstInst, end,
                                     p.instructions.size()));
    if (l.firstInst < prevEnd)
      return makeError("layer '" + l.name +
                       "' overlaps or precedes the previous layer");
    prevEnd = end;
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

Error isa::writeBmod(const Program &p, llvm::raw_ostream &os) {
  if (Error e = verifyProgram(p))
    return e;
  // The image is header + section table + text in `head`, the weight blob
  // (written straight from p.weights, not copied: it is most of a model's
  // .bmod) and the remaining sections in `tail`, whose offset in the file
  // is `tailOrigin`.
  Writer head, tail;
  head.raw(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(kMagic), 4));
  head.u16(p.versionMajor);
  head.u16(p.versionMinor);
  head.u32(kHeaderBytes);
  head.u32(kMaxSectionKind);
  size_t fileSizeAt = head.bytes.size();
  head.u64(0); // file size, patched
  head.u64(p.dramSize);
  head.u64(p.weightBase);
  head.u32(p.actBufferBytes);
  head.u32(p.wgtBufferBytes);
  head.u64(0);
  head.u64(0);
  size_t tableAt = head.bytes.size();
  for (uint32_t k = 1; k <= kMaxSectionKind; ++k) {
    head.u32(k);
    head.u32(0);
    head.u64(0);
    head.u64(0);
  }
  uint64_t tailOrigin = 0;
  // Records a section [begin, begin + bytes.size()) of the file and its
  // CRC-32 in the table.
  auto record = [&](uint32_t kind, uint64_t begin,
                    llvm::ArrayRef<uint8_t> bytes) {
    size_t entry = tableAt + (kind - 1) * kSectionEntryBytes;
    head.patch32(entry + kEntryCrcOffset, llvm::crc32(bytes));
    head.patch64(entry + 8, begin);
    head.patch64(entry + 16, bytes.size());
  };
  auto tailSection = [&](uint32_t kind, auto &&emit) {
    while ((tailOrigin + tail.bytes.size()) % 16)
      tail.u8(0);
    size_t begin = tail.bytes.size();
    emit();
    record(kind, tailOrigin + begin,
           llvm::ArrayRef<uint8_t>(tail.bytes).drop_front(begin));
  };
  head.padTo(16);
  size_t textBegin = head.bytes.size();
  for (const Instruction &inst : p.instructions) {
    EncodedInstruction enc = encode(inst);
    head.raw(enc);
  }
  record(kSectText, textBegin,
         llvm::ArrayRef<uint8_t>(head.bytes).drop_front(textBegin));
  head.padTo(16);
  record(kSectWeights, head.bytes.size(), p.weights);
  tailOrigin = head.bytes.size() + p.weights.size();
  tailSection(kSectSymbols, [&] {
    tail.u32(p.symbols.size());
    for (const Symbol &s : p.symbols) {
      tail.str(s.name);
      tail.u8(uint8_t(s.kind));
      tail.u8(uint8_t(s.elemType));
      tail.u8(uint8_t(s.shape.size()));
      tail.u8(0);
      for (int64_t d : s.shape)
        tail.u64(uint64_t(d));
      tail.u64(s.dramAddr);
      tail.u64(s.bytes);
    }
  });
  tailSection(kSectLayers, [&] {
    tail.u32(p.layers.size());
    for (const LayerRange &l : p.layers) {
      tail.str(l.name);
      tail.u32(l.firstInst);
      tail.u32(l.numInsts);
      tail.u64(l.gemmM);
      tail.u64(l.gemmN);
      tail.u64(l.gemmK);
    }
  });
  tailSection(kSectAccel, [&] {
    tail.raw(llvm::ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(p.accelConfig.data()),
        p.accelConfig.size()));
  });
  head.patch64(fileSizeAt, tailOrigin + tail.bytes.size());
  uint64_t tableEnd = kHeaderBytes + kMaxSectionKind * kSectionEntryBytes;
  storeLE32(head.bytes, kTableCrcOffset,
            llvm::crc32(llvm::ArrayRef<uint8_t>(head.bytes)
                            .slice(kHeaderBytes, tableEnd - kHeaderBytes)));
  storeLE32(head.bytes, kHeaderCrcOffset, getHeaderCrc(head.bytes));
  for (llvm::ArrayRef<uint8_t> part :
       {llvm::ArrayRef<uint8_t>(head.bytes), llvm::ArrayRef<uint8_t>(p.weights),
        llvm::ArrayRef<uint8_t>(tail.bytes)})
    os.write(reinterpret_cast<const char *>(part.data()), part.size());
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Reader
//===----------------------------------------------------------------------===//

Expected<Program> isa::readBmod(llvm::MemoryBufferRef buffer) {
  llvm::ArrayRef<uint8_t> file(
      reinterpret_cast<const uint8_t *>(buffer.getBufferStart()),
      buffer.getBufferSize());
  Program p;
  Reader h(file, 0, file.size(), "header");
  if (file.size() < 4 || !std::equal(kMagic, kMagic + 4, file.begin()))
    return makeError("offset 0x0: bad magic (not a .bmod file; expected "
                     "\"BMOD\")");
  if (file.size() < kHeaderBytes)
    return makeError(llvm::formatv("offset 0x0: truncated header: {0} bytes, "
                                   "expected at least {1}",
                                   file.size(), kHeaderBytes));
  (void)h.le(4, "magic");
  p.versionMajor = *h.le(2, "version");
  p.versionMinor = *h.le(2, "version");
  if (p.versionMajor < kBmodVersionMajor)
    return makeError(llvm::formatv(
        "offset 0x4: format version {0}.{1} was written by an older "
        "bitmod-compile (this reader needs {2}.0 to {2}.{3}, with "
        "checksums); recompile the model",
        p.versionMajor, p.versionMinor, kBmodVersionMajor, kBmodVersionMinor));
  if (p.versionMajor != kBmodVersionMajor || p.versionMinor > kBmodVersionMinor)
    return makeError(llvm::formatv("offset 0x4: unsupported version {0}.{1} "
                                   "(this reader supports {2}.0 to {2}.{3})",
                                   p.versionMajor, p.versionMinor,
                                   kBmodVersionMajor, kBmodVersionMinor));
  // Every later field is trusted only once the checksums match.
  uint32_t storedHeaderCrc = uint32_t(loadLE(file, kHeaderCrcOffset, 4));
  if (uint32_t crc = getHeaderCrc(file); crc != storedHeaderCrc)
    return checksumError(0, "header", storedHeaderCrc, crc);
  uint64_t headerBytes = *h.le(4, "header size");
  if (headerBytes != kHeaderBytes)
    return makeError(llvm::formatv("offset 0x8: header size {0}, expected {1}",
                                   headerBytes, kHeaderBytes));
  uint64_t numSections = *h.le(4, "section count");
  uint64_t fileSize = *h.le(8, "file size");
  if (fileSize != file.size())
    return makeError(llvm::formatv("offset 0x10: header says the file has {0} "
                                   "bytes but it has {1} (truncated or "
                                   "padded file)",
                                   fileSize, file.size()));
  p.dramSize = *h.le(8, "dram size");
  p.weightBase = *h.le(8, "weight base");
  p.actBufferBytes = *h.le(4, "act buffer");
  p.wgtBufferBytes = *h.le(4, "wgt buffer");
  uint64_t storedTableCrc = (*h.le(8, "checksums")) >> 32;
  if (*h.le(8, "reserved") != 0)
    return makeError("offset 0x38: reserved header bytes are not zero");
  if (numSections == 0 || numSections > kMaxSections)
    return makeError(llvm::formatv("offset 0xc: section count {0} out of "
                                   "range 1..64",
                                   numSections));
  uint64_t tableEnd = kHeaderBytes + numSections * kSectionEntryBytes;
  if (tableEnd > file.size())
    return makeError(llvm::formatv("offset {0:x}: truncated section table "
                                   "({1} entries need {2} bytes, file has "
                                   "{3})",
                                   kHeaderBytes, numSections, tableEnd,
                                   file.size()));
  if (uint32_t crc =
          llvm::crc32(file.slice(kHeaderBytes, tableEnd - kHeaderBytes));
      crc != storedTableCrc)
    return checksumError(kHeaderBytes, "section table", storedTableCrc, crc);
  struct Sect {
    uint64_t offset = 0, size = 0;
    bool present = false;
  };
  Sect sects[kMaxSectionKind + 1];
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (uint64_t s = 0; s < numSections; ++s) {
    uint64_t at = kHeaderBytes + s * kSectionEntryBytes;
    Reader e(file, at, at + kSectionEntryBytes, "section table");
    uint64_t kind = *e.le(4, "kind");
    uint64_t storedCrc = *e.le(4, "checksum");
    uint64_t off = *e.le(8, "offset");
    uint64_t size = *e.le(8, "size");
    if (kind == 0 || kind > kMaxSectionKind)
      return makeError(
          llvm::formatv("offset {0:x}: unknown section kind {1}", at, kind));
    if (sects[kind].present)
      return makeError(llvm::formatv("offset {0:x}: duplicate {1} section", at,
                                     getSectionName(kind)));
    if (off % 16 || off < tableEnd || off > file.size() ||
        size > file.size() - off)
      return makeError(llvm::formatv(
          "offset {0:x}: {1} section [{2:x}, +{3}) is out of bounds or "
          "misaligned (file has {4} bytes, data starts at {5:x})",
          at + 8, getSectionName(kind), off, size, file.size(), tableEnd));
    for (auto &r : ranges)
      if (rangesOverlap(off, size, r.first, r.second))
        return makeError(llvm::formatv(
            "offset {0:x}: {1} section [{2:x}, +{3}) overlaps another "
            "section",
            at + 8, getSectionName(kind), off, size));
    if (uint32_t crc = llvm::crc32(file.slice(off, size)); crc != storedCrc)
      return checksumError(
          off, (llvm::Twine(getSectionName(kind)) + " section").str(),
          storedCrc, crc);
    ranges.push_back({off, size});
    sects[kind] = {off, size, true};
  }
  for (uint32_t k : {kSectText, kSectSymbols})
    if (!sects[k].present)
      return makeError(
          llvm::formatv("offset 0xc: missing {0} section", getSectionName(k)));

  // Instructions.
  const Sect &text = sects[kSectText];
  if (text.size % kInstructionBytes)
    return makeError(llvm::formatv("offset {0:x}: text section size {1} is "
                                   "not a multiple of 16",
                                   text.offset, text.size));
  for (uint64_t off = text.offset; off < text.offset + text.size;
       off += kInstructionBytes) {
    auto inst = decode(file.slice(off, kInstructionBytes));
    if (!inst)
      return makeError(llvm::formatv("offset {0:x}: instruction {1}: {2}", off,
                                     (off - text.offset) / kInstructionBytes,
                                     llvm::toString(inst.takeError())));
    p.instructions.push_back(*inst);
  }

  // Weights.
  if (sects[kSectWeights].present) {
    auto w = file.slice(sects[kSectWeights].offset, sects[kSectWeights].size);
    p.weights.assign(w.begin(), w.end());
  }

  // Symbols.
  {
    const Sect &s = sects[kSectSymbols];
    Reader r(file, s.offset, s.offset + s.size, "symbols");
    auto count = r.le(4, "symbol count");
    if (!count)
      return count.takeError();
    for (uint64_t i = 0; i < *count; ++i) {
      uint64_t at = r.offset();
      Symbol sym;
      auto name = r.str("symbol name");
      if (!name)
        return name.takeError();
      sym.name = std::move(*name);
      auto kind = r.le(1, "symbol kind");
      if (!kind)
        return kind.takeError();
      auto elem = r.le(1, "symbol element type");
      if (!elem)
        return elem.takeError();
      auto rank = r.le(1, "symbol rank");
      if (!rank)
        return rank.takeError();
      auto reserved = r.le(1, "symbol reserved byte");
      if (!reserved)
        return reserved.takeError();
      if (*kind > 1)
        return makeError(llvm::formatv("offset {0:x}: symbol '{1}': invalid "
                                       "kind {2}",
                                       at, sym.name, *kind));
      if (*elem > 1)
        return makeError(llvm::formatv("offset {0:x}: symbol '{1}': invalid "
                                       "element type {2}",
                                       at, sym.name, *elem));
      if (*rank > 8 || *reserved)
        return makeError(llvm::formatv("offset {0:x}: symbol '{1}': rank {2} "
                                       "above 8 or reserved byte set",
                                       at, sym.name, *rank));
      sym.kind = SymbolKind(*kind);
      sym.elemType = ElemType(*elem);
      for (uint64_t d = 0; d < *rank; ++d) {
        auto dim = r.le(8, "symbol dimension");
        if (!dim)
          return dim.takeError();
        sym.shape.push_back(int64_t(*dim));
      }
      auto addr = r.le(8, "symbol address");
      if (!addr)
        return addr.takeError();
      auto bytes = r.le(8, "symbol size");
      if (!bytes)
        return bytes.takeError();
      sym.dramAddr = *addr;
      sym.bytes = *bytes;
      p.symbols.push_back(std::move(sym));
    }
    if (!r.atEnd())
      return makeError(llvm::formatv("offset {0:x}: trailing bytes in the "
                                     "symbols section",
                                     r.offset()));
  }

  // Layers.
  if (sects[kSectLayers].present) {
    const Sect &s = sects[kSectLayers];
    Reader r(file, s.offset, s.offset + s.size, "layers");
    auto count = r.le(4, "layer count");
    if (!count)
      return count.takeError();
    for (uint64_t i = 0; i < *count; ++i) {
      LayerRange l;
      auto name = r.str("layer name");
      if (!name)
        return name.takeError();
      l.name = std::move(*name);
      auto first = r.le(4, "layer first instruction");
      if (!first)
        return first.takeError();
      auto num = r.le(4, "layer instruction count");
      if (!num)
        return num.takeError();
      l.firstInst = *first;
      l.numInsts = *num;
      uint64_t *dims[3] = {&l.gemmM, &l.gemmN, &l.gemmK};
      for (uint64_t *d : dims) {
        auto v = r.le(8, "layer GEMM shape");
        if (!v)
          return v.takeError();
        *d = *v;
      }
      p.layers.push_back(std::move(l));
    }
    if (!r.atEnd())
      return makeError(llvm::formatv("offset {0:x}: trailing bytes in the "
                                     "layers section",
                                     r.offset()));
  }

  if (sects[kSectAccel].present)
    p.accelConfig.assign(reinterpret_cast<const char *>(file.data()) +
                             sects[kSectAccel].offset,
                         sects[kSectAccel].size);

  if (Error e = verifyProgram(p))
    return makeError("invalid program: " + llvm::toString(std::move(e)));
  return p;
}

Expected<Program> isa::readBmodFile(llvm::StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return makeError("cannot read '" + path + "': " + buf.getError().message());
  auto p = readBmod((*buf)->getMemBufferRef());
  if (!p)
    return makeError("'" + path + "': " + llvm::toString(p.takeError()));
  return p;
}

Error isa::sealBmodChecksums(llvm::MutableArrayRef<uint8_t> image) {
  if (image.size() < kHeaderBytes)
    return makeError("cannot seal a .bmod image without a complete header");
  uint64_t numSections = loadLE(image, 12, 4);
  uint64_t tableEnd = kHeaderBytes + numSections * kSectionEntryBytes;
  if (numSections > kMaxSections || tableEnd > image.size())
    return makeError("cannot seal a .bmod image without a complete section "
                     "table");
  for (uint64_t s = 0; s < numSections; ++s) {
    uint64_t at = kHeaderBytes + s * kSectionEntryBytes;
    uint64_t off = loadLE(image, at + 8, 8), size = loadLE(image, at + 16, 8);
    if (off > image.size() || size > image.size() - off)
      continue;
    storeLE32(image, at + kEntryCrcOffset, llvm::crc32(image.slice(off, size)));
  }
  storeLE32(image, kTableCrcOffset,
            llvm::crc32(image.slice(kHeaderBytes, tableEnd - kHeaderBytes)));
  storeLE32(image, kHeaderCrcOffset, getHeaderCrc(image));
  return Error::success();
}
