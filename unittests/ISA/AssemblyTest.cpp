//===- AssemblyTest.cpp - Assembler / disassembler round trip -------------===//

#include "TestUtil.h"

#include "bitmod/ISA/Assembly.h"

using namespace bitmod;
using namespace bitmod::isa;
using namespace bitmod::isa::test;

namespace {

std::string print(const Program &p, AsmPrintOptions opt = {}) {
  std::string s;
  llvm::raw_string_ostream os(s);
  printAssembly(p, os, opt);
  return s;
}

TEST(Assembly, InstructionRoundTripEveryOpcode) {
  std::mt19937_64 rng(5);
  for (unsigned op = 0; op < kNumOpcodes; ++op)
    for (int i = 0; i < 500; ++i) {
      Instruction inst = randomInstruction(rng, Opcode(op));
      std::string line;
      llvm::raw_string_ostream os(line);
      printInstruction(inst, os);
      auto parsed = parseInstruction(line);
      ASSERT_TRUE(bool(parsed))
          << line << ": " << llvm::toString(parsed.takeError());
      EXPECT_EQ(*parsed, inst) << line;
    }
}

TEST(Assembly, ProgramRoundTripExact) {
  for (quant::DataType dt :
       {quant::DataType::int8, quant::DataType::bitmod3, quant::DataType::mxfp4,
        quant::DataType::int3_asym}) {
    auto w = randomMatrix(11, 40 * 384, 0.05f);
    quant::PackedWeights pw =
        quantizeOrDie(w, 40, 384, dt, quant::isMXType(dt) ? 32 : 128);
    LinearProgramOptions opt;
    opt.layerName = "blk.0 \"fc1\"\n";
    opt.accelConfig = "{\n  \"tile_rows\": 8\n}";
    opt.outFormat = OutFormat::F16;
    auto p = buildLinearProgram(pw, 8, opt);
    ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
    std::string text = print(*p);
    auto q = parseAssembly(text, "t.s");
    ASSERT_TRUE(bool(q)) << llvm::toString(q.takeError());
    EXPECT_TRUE(*q == *p);
    EXPECT_EQ(print(*q), text);
  }
}

TEST(Assembly, ListingLooksRight) {
  auto w = randomMatrix(2, 40 * 384, 0.05f);
  quant::PackedWeights pw = quantizeOrDie(w, 40, 384, quant::DataType::int8);
  auto p = buildLinearProgram(pw, 8);
  ASSERT_TRUE(bool(p));
  std::string text = print(*p, {/*printWeights=*/false});
  EXPECT_NE(text.find("config    queue=compute dtype=int8 group_size=128 "
                      "scale_bits=8"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("load.wgt  queue=load    dram_addr=0x000000000 "
                      "buf_offset=0x000000"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find(".data"), std::string::npos);
  auto q = parseAssembly(text, "t.s");
  ASSERT_FALSE(bool(q));
  EXPECT_NE(llvm::toString(q.takeError()).find("without weights"),
            std::string::npos);
}

TEST(Assembly, Errors) {
  auto err = [](llvm::StringRef text) {
    auto p = parseAssembly(text, "e.s");
    return p ? std::string() : llvm::toString(p.takeError());
  };
  EXPECT_NE(err(".version 1.0\n.text\n  frob queue=load\n")
                .find("e.s:3: unknown mnemonic 'frob'"),
            std::string::npos);
  EXPECT_NE(err(".version 1.0\n.text\n  halt queue=load\n").find("e.s:3:"),
            std::string::npos);
  EXPECT_NE(err(".version 1.0\n.text\n  sync queue=load pop_next=2\n")
                .find("must be 0 or 1"),
            std::string::npos);
  EXPECT_NE(err(".version 1.0\n.dram_size 64\n.text\n  load.wgt dram_addr=0 "
                "buf_offset=0 bytes=16 "
                "push_next=1\n  halt\n")
                .find("token imbalance"),
            std::string::npos);
  EXPECT_NE(err(".version 1.0\n.bogus 1\n.text\nhalt\n")
                .find("unknown directive '.bogus'"),
            std::string::npos);
  EXPECT_EQ(err(".version 1.0\n.dram_size 64\n.text\n  halt ; end\n"), "");
}

} // namespace
