//===- ProgramTest.cpp - .bmod file format and verifier tests -------------===//

#include "TestUtil.h"

#include "bitmod/ISA/Program.h"
#include "bitmod/ISA/WeightBlock.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace bitmod;
using namespace bitmod::isa;
using namespace bitmod::isa::test;

namespace {

Program makeSample(quant::DataType dt = quant::DataType::bitmod3,
                   uint32_t M = 8, int64_t K = 384, int64_t N = 40) {
  auto w = randomMatrix(1, N * K, 0.02f);
  quant::PackedWeights pw = quantizeOrDie(w, N, K, dt);
  LinearProgramOptions opt;
  opt.accelConfig = "{\"dram_bytes_per_cycle\": 32}";
  auto p = buildLinearProgram(pw, M, opt);
  if (!p) {
    ADD_FAILURE() << llvm::toString(p.takeError());
    return {};
  }
  return std::move(*p);
}

std::vector<uint8_t> serialize(const Program &p) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::Error e = writeBmod(p, os);
  EXPECT_FALSE(bool(e)) << llvm::toString(std::move(e));
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::string readError(const std::vector<uint8_t> &bytes) {
  llvm::StringRef data(reinterpret_cast<const char *>(bytes.data()),
                       bytes.size());
  auto p = readBmod(llvm::MemoryBufferRef(data, "test.bmod"));
  if (p)
    return "";
  return llvm::toString(p.takeError());
}

/// The read error of `bytes` after their checksums are recomputed: for
/// tests of the structural checks behind the checksums.
std::string readSealedError(std::vector<uint8_t> bytes) {
  llvm::Error e = sealBmodChecksums(bytes);
  EXPECT_FALSE(bool(e)) << llvm::toString(std::move(e));
  return readError(bytes);
}

std::string verifyError(const Program &p) {
  llvm::Error e = verifyProgram(p);
  return e ? llvm::toString(std::move(e)) : "";
}

void put64(std::vector<uint8_t> &b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    b[at + i] = uint8_t(v >> (8 * i));
}

TEST(Program, FileRoundTrip) {
  for (quant::DataType dt :
       {quant::DataType::int8, quant::DataType::bitmod3,
        quant::DataType::bitmod4, quant::DataType::int4_asym}) {
    Program p = makeSample(dt);
    ASSERT_FALSE(p.instructions.empty());
    std::vector<uint8_t> bytes = serialize(p);
    llvm::StringRef data(reinterpret_cast<const char *>(bytes.data()),
                         bytes.size());
    auto q = readBmod(llvm::MemoryBufferRef(data, "x"));
    ASSERT_TRUE(bool(q)) << llvm::toString(q.takeError());
    EXPECT_TRUE(*q == p);
    EXPECT_EQ(serialize(*q), bytes);
  }
}

TEST(Program, RefusesBadHeaders) {
  std::vector<uint8_t> good = serialize(makeSample());
  auto bad = good;
  bad[0] = 'X';
  EXPECT_NE(readError(bad).find("offset 0x0: bad magic"), std::string::npos);
  bad = good;
  bad[4] = 3; // major version 3
  EXPECT_NE(readError(bad).find("unsupported version 3.0"), std::string::npos);
  bad = good;
  bad[4] = 1; // format 1: no checksums
  EXPECT_NE(readError(bad).find("format version 1.0 was written by an older "
                                "bitmod-compile"),
            std::string::npos);
  bad = good;
  bad.resize(good.size() - 7);
  EXPECT_NE(readError(bad).find("truncated or padded"), std::string::npos);
  bad = good;
  bad.resize(20);
  EXPECT_NE(readError(bad).find("truncated header"), std::string::npos);
  bad = {};
  EXPECT_NE(readError(bad).find("bad magic"), std::string::npos);
  // Section offset beyond the file.
  bad = good;
  put64(bad, 64 + 8, good.size() + 16);
  EXPECT_NE(readSealedError(bad).find("out of bounds"), std::string::npos);
  // Two sections at the same offset.
  bad = good;
  uint64_t textOff = 0;
  for (int i = 0; i < 8; ++i)
    textOff |= uint64_t(good[64 + 8 + i]) << (8 * i);
  put64(bad, 64 + 24 + 8, textOff);
  put64(bad, 64 + 24 + 16, 16);
  EXPECT_NE(readSealedError(bad).find("overlaps another section"),
            std::string::npos);
  // Unknown section kind.
  bad = good;
  bad[64] = 9;
  EXPECT_NE(readSealedError(bad).find("unknown section kind 9"),
            std::string::npos);
}

TEST(Program, RefusesBadInstructionsWithOffset) {
  Program p = makeSample();
  std::vector<uint8_t> good = serialize(p);
  uint64_t textOff = 0;
  for (int i = 0; i < 8; ++i)
    textOff |= uint64_t(good[64 + 8 + i]) << (8 * i);
  auto bad = good;
  bad[textOff + 16] = 0x0f; // instruction 1: opcode 15
  std::string err = readSealedError(bad);
  EXPECT_NE(err.find("instruction 1: invalid opcode 15"), std::string::npos)
      << err;
  EXPECT_NE(err.find(llvm::formatv("offset {0:x}", textOff + 16).str()),
            std::string::npos)
      << err;
}

TEST(Program, ChecksumsNameTheCorruptedSection) {
  std::vector<uint8_t> good = serialize(makeSample());
  ASSERT_EQ(readError(good), "");
  auto offsetOf = [&](unsigned kind) {
    uint64_t off = 0;
    for (int i = 0; i < 8; ++i)
      off |= uint64_t(good[64 + (kind - 1) * 24 + 8 + i]) << (8 * i);
    return off;
  };
  struct Case {
    uint64_t at;
    const char *what;
  } cases[] = {{24, "checksum mismatch in the header"},
               {64 + 16, "checksum mismatch in the section table"},
               {offsetOf(1) + 3, "checksum mismatch in the text (instructions) "
                                 "section"},
               {offsetOf(2) + 5, "checksum mismatch in the weights section"},
               {offsetOf(3) + 6, "checksum mismatch in the symbols section"},
               {offsetOf(4) + 6, "checksum mismatch in the layers section"},
               {offsetOf(5) + 2, "checksum mismatch in the accel section"}};
  for (const Case &c : cases) {
    auto bad = good;
    bad[c.at] ^= 0x10;
    std::string err = readError(bad);
    EXPECT_NE(err.find(c.what), std::string::npos) << c.what << ": " << err;
    EXPECT_NE(err.find("the file is corrupted"), std::string::npos) << err;
  }
  // Sealing the untouched image changes nothing.
  auto sealed = good;
  ASSERT_FALSE(bool(sealBmodChecksums(sealed)));
  EXPECT_EQ(sealed, good);
}

TEST(Program, RefusesSymbolOverlaps) {
  Program p = makeSample();
  p.symbols[1].dramAddr = p.symbols[0].dramAddr + 16;
  EXPECT_NE(verifyError(p).find("overlaps symbol 'x'"), std::string::npos);
  p = makeSample();
  p.symbols[0].dramAddr = 0;
  EXPECT_NE(verifyError(p).find("overlaps the weight blob"), std::string::npos);
  p = makeSample();
  p.symbols[0].bytes += 2;
  EXPECT_NE(verifyError(p).find("do not match its shape"), std::string::npos);
  p = makeSample();
  p.symbols[1].name = "x";
  EXPECT_NE(verifyError(p).find("duplicate symbol 'x'"), std::string::npos);
}

TEST(Program, VerifierChecksTokensAndHalt) {
  Program p = makeSample();
  // Drop a push: imbalance.
  for (Instruction &i : p.instructions)
    if (i.opcode == Opcode::LoadWgt) {
      i.tokens.pushNext = false;
      break;
    }
  EXPECT_NE(verifyError(p).find("token imbalance on channel load->compute"),
            std::string::npos);

  // Deadlock: the compute queue pops before anything was pushed, and the
  // matching push comes after a pop that needs compute's token.
  Program d;
  d.dramSize = 64;
  Instruction sync;
  sync.opcode = Opcode::Sync;
  sync.sync.queue = Queue::Load;
  sync.tokens.popNext = true;
  sync.tokens.pushNext = true;
  Instruction csync;
  csync.opcode = Opcode::Sync;
  csync.sync.queue = Queue::Compute;
  csync.tokens.popPrev = true;
  csync.tokens.pushPrev = true;
  Instruction halt;
  halt.opcode = Opcode::Halt;
  d.instructions = {sync, csync, halt};
  EXPECT_NE(verifyError(d).find("deadlock"), std::string::npos);

  Program h = makeSample();
  h.instructions.pop_back();
  EXPECT_NE(verifyError(h).find("HALT"), std::string::npos);
  h = makeSample();
  h.instructions.insert(h.instructions.begin(), h.instructions.back());
  EXPECT_NE(verifyError(h).find("HALT must be the last"), std::string::npos);
}

TEST(Program, VerifierChecksBuffersAndConfig) {
  Program p = makeSample();
  for (Instruction &i : p.instructions)
    if (i.opcode == Opcode::LoadWgt)
      i.loadWgt.bufOffset = p.wgtBufferBytes - 16;
  EXPECT_NE(verifyError(p).find("weight buffer range"), std::string::npos);
  p = makeSample();
  p.instructions.erase(p.instructions.begin()); // drop CONFIG
  p.layers.clear();
  EXPECT_NE(verifyError(p).find("MATMUL before any CONFIG"), std::string::npos);
  p = makeSample();
  for (Instruction &i : p.instructions)
    if (i.opcode == Opcode::MatMul)
      i.matmul.actPitch = 16;
  EXPECT_NE(verifyError(p).find("act_pitch"), std::string::npos);
  p = makeSample();
  for (Instruction &i : p.instructions)
    if (i.opcode == Opcode::Store)
      i.dma.dramAddr = 0;
  EXPECT_NE(verifyError(p).find("store overwrites the weight blob"),
            std::string::npos);
  p = makeSample();
  p.layers[0].numInsts += 1;
  EXPECT_NE(verifyError(p).find("layer 'linear'"), std::string::npos);
}

TEST(WeightBlock, LayoutAndPacking) {
  const int64_t N = 40, K = 384;
  auto w = randomMatrix(3, N * K, 0.02f);
  quant::PackedWeights pw = quantizeOrDie(w, N, K, quant::DataType::bitmod3);
  auto cfg = getConfigForWeights(pw);
  ASSERT_TRUE(bool(cfg));
  EXPECT_EQ(cfg->sv, (std::array<int8_t, 4>{3, -3, 6, -6}));
  auto layout = getWeightBlockLayout(*cfg, 16, 2);
  ASSERT_TRUE(bool(layout));
  EXPECT_EQ(layout->codeRowBytes, 2u * 128 * 3 / 8);
  EXPECT_EQ(layout->scalesOffset, 16u * 96);
  EXPECT_EQ(layout->selectorsBytes, 16u);
  EXPECT_EQ(layout->channelScalesBytes, 64u);
  EXPECT_EQ(layout->totalBytes % 16, 0u);
  auto block = packWeightBlock(pw, *cfg, 8, 16, 1, 2);
  ASSERT_TRUE(bool(block));
  // Codes of row 8+r, group 1.. match the packed tensor, and the groups past
  // the tensor (group 3) are zero.
  for (uint32_t r = 0; r < 16; ++r) {
    for (uint32_t k = 0; k < 256; ++k) {
      uint64_t bit = uint64_t(k) * 3;
      const uint8_t *row = block->data() + r * layout->codeRowBytes;
      uint32_t code = 0;
      for (int b = 0; b < 3; ++b)
        code |= ((row[(bit + b) / 8] >> ((bit + b) % 8)) & 1) << b;
      uint32_t expect =
          k < 256 && 1 + k / 128 < 3 ? pw.getCode(8 + r, 128 + k) : 0;
      ASSERT_EQ(code, expect) << r << "," << k;
    }
    EXPECT_EQ(int8_t((*block)[layout->scalesOffset + r * 2]),
              pw.groupScaleCodes[(8 + r) * 3 + 1]);
    unsigned sel = ((*block)[layout->selectorsOffset + r] >> 0) & 3;
    EXPECT_EQ(sel, pw.getSelector(8 + r, 1));
  }
  ConfigFields fp16;
  fp16.dtype = quant::DataType::fp16;
  EXPECT_FALSE(bool(getWeightBlockLayout(fp16, 1, 1)));
  llvm::consumeError(getWeightBlockLayout(fp16, 1, 1).takeError());
}

} // namespace
