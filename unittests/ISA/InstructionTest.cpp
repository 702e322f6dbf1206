//===- InstructionTest.cpp - Encoding / decoding tests --------------------===//

#include "TestUtil.h"

using namespace bitmod;
using namespace bitmod::isa;
using namespace bitmod::isa::test;

namespace {

const Opcode kAllOps[] = {Opcode::Config, Opcode::LoadAct, Opcode::LoadWgt,
                          Opcode::MatMul, Opcode::Store,   Opcode::Sync,
                          Opcode::Halt};

std::string errorOf(llvm::ArrayRef<uint8_t> bytes) {
  auto inst = decode(bytes);
  if (inst)
    return "";
  return llvm::toString(inst.takeError());
}

TEST(Instruction, RandomRoundTripEveryOpcode) {
  std::mt19937_64 rng(42);
  for (Opcode op : kAllOps) {
    for (int i = 0; i < 2000; ++i) {
      Instruction inst = randomInstruction(rng, op);
      ASSERT_FALSE(bool(verifyInstruction(inst))) << getMnemonic(op).str();
      EncodedInstruction enc = encode(inst);
      auto dec = decode(enc);
      ASSERT_TRUE(bool(dec)) << llvm::toString(dec.takeError());
      EXPECT_EQ(*dec, inst) << getMnemonic(op).str();
      EXPECT_EQ(encode(*dec), enc);
    }
  }
}

TEST(Instruction, OpcodeInLowNibble) {
  Instruction halt;
  halt.opcode = Opcode::Halt;
  EncodedInstruction enc = encode(halt);
  EXPECT_EQ(enc[0], 6);
  for (unsigned i = 1; i < 16; ++i)
    EXPECT_EQ(enc[i], 0);
}

TEST(Instruction, RejectsBadOpcodes) {
  for (unsigned op = kNumOpcodes; op < 16; ++op) {
    EncodedInstruction b{};
    b[0] = uint8_t(op);
    EXPECT_NE(errorOf(b).find("invalid opcode"), std::string::npos);
  }
}

TEST(Instruction, RejectsWrongSize) {
  std::vector<uint8_t> b(15, 0);
  EXPECT_NE(errorOf(b).find("expected 16"), std::string::npos);
}

TEST(Instruction, RejectsReservedBits) {
  std::mt19937_64 rng(7);
  // The first reserved bit of every opcode: after its last field.
  std::vector<std::pair<Opcode, unsigned>> firstReserved;
  for (Opcode op : kAllOps) {
    unsigned first = 8;
    for (const FieldInfo &f : getFields(op))
      first = std::max(first, f.pos + f.bits);
    firstReserved.push_back({op, first});
  }
  for (auto [op, first] : firstReserved) {
    for (unsigned bit = first; bit < 128; ++bit) {
      Instruction inst = randomInstruction(rng, op);
      EncodedInstruction enc = encode(inst);
      enc[bit / 8] |= uint8_t(1u << (bit % 8));
      std::string err = errorOf(enc);
      EXPECT_NE(err.find("reserved bit " + std::to_string(bit)),
                std::string::npos)
          << getMnemonic(op).str() << " bit " << bit << ": " << err;
    }
  }
}

TEST(Instruction, RejectsOutOfRangeFields) {
  // Invalid dtype code.
  Instruction cfg;
  cfg.opcode = Opcode::Config;
  EncodedInstruction enc = encode(cfg);
  enc[1] = 0x1f; // dtype bits [8, 13) = 31
  EXPECT_NE(errorOf(enc).find("invalid dtype"), std::string::npos);

  // Group size 0.
  cfg.config.groupSize = 0;
  EXPECT_NE(errorOf(encode(cfg)).find("group"), std::string::npos);
  cfg.config.groupSize = 12;
  EXPECT_NE(errorOf(encode(cfg)).find("multiple of 8"), std::string::npos);
  cfg.config.groupSize = 128;
  cfg.config.scaleBits = 9;
  EXPECT_NE(errorOf(encode(cfg)).find("scale_bits"), std::string::npos);

  // Sync with queue 3.
  Instruction sync;
  sync.opcode = Opcode::Sync;
  enc = encode(sync);
  enc[1] |= 3;
  EXPECT_NE(errorOf(enc).find("invalid queue"), std::string::npos);

  // DMA with zero rows / pitch below the row.
  Instruction dma;
  dma.opcode = Opcode::LoadAct;
  dma.dma.rows = 0;
  EXPECT_NE(errorOf(encode(dma)).find("rows"), std::string::npos);
  dma.dma = DmaFields();
  dma.dma.rowBytes = 100;
  dma.dma.bufPitch = 96;
  EXPECT_NE(errorOf(encode(dma)).find("buf_pitch"), std::string::npos);
  dma.dma = DmaFields();
  dma.dma.rows = 4;
  dma.dma.rowBytes = 64;
  dma.dma.bufPitch = 64;
  dma.dma.dramStride = 32;
  EXPECT_NE(errorOf(encode(dma)).find("dram_stride"), std::string::npos);

  // MATMUL with m = 0 and an output pitch below the row.
  Instruction mm;
  mm.opcode = Opcode::MatMul;
  mm.matmul.m = 0;
  EXPECT_NE(errorOf(encode(mm)).find("'m'"), std::string::npos);
  mm.matmul = MatMulFields();
  mm.matmul.n = 8; // 32 bytes of f32 output
  mm.matmul.outPitch = 16;
  EXPECT_NE(errorOf(encode(mm)).find("out_pitch"), std::string::npos);
}

TEST(Instruction, RejectsTokensTowardMissingQueues) {
  Instruction ld;
  ld.opcode = Opcode::LoadWgt;
  ld.tokens.popPrev = true;
  EXPECT_NE(errorOf(encode(ld)).find("no previous queue"), std::string::npos);
  Instruction st;
  st.opcode = Opcode::Store;
  st.tokens.pushNext = true;
  EXPECT_NE(errorOf(encode(st)).find("no next queue"), std::string::npos);
  Instruction halt;
  halt.opcode = Opcode::Halt;
  halt.tokens.pushPrev = true;
  EXPECT_NE(errorOf(encode(halt)).find("halt: token"), std::string::npos);
}

TEST(Instruction, VerifyRejectsUnencodable) {
  Instruction ld;
  ld.opcode = Opcode::LoadWgt;
  ld.loadWgt.bufOffset = 8; // not 16-byte aligned
  auto r = encodeChecked(ld);
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()),
            "load.wgt: field 'buf_offset' = 8 is not a multiple of 16");
  ld.loadWgt.bufOffset = 0;
  ld.loadWgt.dramAddr = uint64_t(1) << 36;
  EXPECT_NE(llvm::toString(verifyInstruction(ld)), "");
  ld.loadWgt.dramAddr = 0;
  ld.loadWgt.bytes = 1u << 24;
  llvm::Error e = verifyInstruction(ld);
  EXPECT_TRUE(bool(e));
  llvm::consumeError(std::move(e));
}

TEST(Instruction, QueuesAndMnemonics) {
  for (Opcode op : kAllOps) {
    EXPECT_EQ(parseMnemonic(getMnemonic(op)), op);
  }
  Instruction inst;
  inst.opcode = Opcode::LoadAct;
  EXPECT_EQ(inst.getQueue(), Queue::Load);
  inst.opcode = Opcode::MatMul;
  EXPECT_EQ(inst.getQueue(), Queue::Compute);
  inst.opcode = Opcode::Store;
  EXPECT_EQ(inst.getQueue(), Queue::Store);
  inst.opcode = Opcode::Sync;
  inst.sync.queue = Queue::Store;
  EXPECT_EQ(inst.getQueue(), Queue::Store);
}

} // namespace
