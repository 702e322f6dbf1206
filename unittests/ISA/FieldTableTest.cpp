//===- FieldTableTest.cpp - Every field of Instructions.def ---------------===//
//
// Driven by the field table, so a new opcode or field is covered without
// touching this file: every field round-trips at its minimum and maximum
// through encode/decode and the assembler, lands on its own bits, and
// out-of-range values are rejected naming the field.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "bitmod/ISA/Assembly.h"

#include "llvm/ADT/StringExtras.h"

using namespace bitmod;
using namespace bitmod::isa;

namespace {

uint64_t readBits(const EncodedInstruction &enc, unsigned pos, unsigned bits) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bits; ++i) {
    unsigned b = pos + i;
    v |= uint64_t((enc[b / 8] >> (b % 8)) & 1) << i;
  }
  return v;
}

void writeBits(EncodedInstruction &enc, unsigned pos, unsigned bits,
               uint64_t v) {
  for (unsigned i = 0; i < bits; ++i) {
    unsigned b = pos + i;
    enc[b / 8] =
        uint8_t((enc[b / 8] & ~(1u << (b % 8))) | (((v >> i) & 1) << (b % 8)));
  }
}

std::string printed(const Instruction &inst) {
  std::string line;
  llvm::raw_string_ostream os(line);
  printInstruction(inst, os);
  return line;
}

std::string verifyError(const Instruction &inst) {
  llvm::Error e = verifyInstruction(inst);
  return e ? llvm::toString(std::move(e)) : "";
}

/// A valid instruction of `op` with every field at its default.
Instruction base(Opcode op) {
  Instruction inst;
  inst.opcode = op;
  return inst;
}

std::string describe(Opcode op, const FieldInfo &f, uint64_t v) {
  return (getMnemonic(op) + "." + f.key + " = " + llvm::Twine(v)).str();
}

TEST(FieldTable, DefaultsAreValid) {
  for (unsigned op = 0; op < kNumOpcodes; ++op)
    EXPECT_EQ(verifyError(base(Opcode(op))), "")
        << getMnemonic(Opcode(op)).str();
}

TEST(FieldTable, KeysSpellTheMemberNames) {
  for (const FieldInfo &f : kFieldTable) {
    // dramStride <-> dram_stride, kGroups <-> k_groups.
    EXPECT_EQ(llvm::convertToCamelFromSnakeCase(f.key), f.name) << f.key.str();
    EXPECT_EQ(&getFieldInfo(f.id), &f) << f.key.str();
  }
}

TEST(FieldTable, FieldsAreDisjointInBitOrder) {
  for (unsigned op = 0; op < kNumOpcodes; ++op) {
    unsigned next = 8; // after the opcode and the token flags
    for (const FieldInfo &f : getFields(Opcode(op))) {
      EXPECT_GE(f.pos, next) << describe(Opcode(op), f, 0);
      EXPECT_GE(f.bits, 1u);
      EXPECT_LE(f.max, detail::maxOfBits(f.bits) * f.unit);
      EXPECT_LE(f.min, f.max);
      EXPECT_EQ(f.min % f.unit, 0u);
      next = f.pos + f.bits;
      EXPECT_EQ(findField(Opcode(op), f.key), &f);
    }
    EXPECT_LE(next, 128u) << getMnemonic(Opcode(op)).str();
  }
}

TEST(FieldTable, EveryFieldRoundTripsAtMinAndMax) {
  for (unsigned code = 0; code < kNumOpcodes; ++code) {
    Opcode op = Opcode(code);
    for (const FieldInfo &f : getFields(op)) {
      for (uint64_t v : {f.min, f.max}) {
        SCOPED_TRACE(describe(op, f, v));
        Instruction inst = base(op);
        setFieldValue(inst, f, v);
        ASSERT_EQ(getFieldValue(inst, f), v);

        // Encoding: value / unit on the field's bits, the other fields on
        // theirs.
        EncodedInstruction enc = encode(inst);
        EXPECT_EQ(readBits(enc, f.pos, f.bits), v / f.unit);
        for (const FieldInfo &g : getFields(op))
          EXPECT_EQ(readBits(enc, g.pos, g.bits) * g.unit,
                    getFieldValue(inst, g))
              << g.key.str();
        auto dec = decodeUnverified(enc);
        ASSERT_TRUE(bool(dec)) << llvm::toString(dec.takeError());
        EXPECT_EQ(*dec, inst);
        EXPECT_EQ(encode(*dec), enc);

        // Assembly.
        std::string line = printed(inst);
        EXPECT_NE(line.find(" " + f.key.str() + "="), std::string::npos)
            << line;
        auto parsed = parseInstructionUnverified(line);
        ASSERT_TRUE(bool(parsed))
            << line << ": " << llvm::toString(parsed.takeError());
        EXPECT_EQ(*parsed, inst) << line;

        // Where the other fields' rules allow the value, the verifying
        // paths agree.
        if (verifyError(inst).empty()) {
          auto checked = decode(enc);
          ASSERT_TRUE(bool(checked)) << llvm::toString(checked.takeError());
          EXPECT_EQ(*checked, inst);
          auto assembled = parseInstruction(line);
          ASSERT_TRUE(bool(assembled)) << llvm::toString(assembled.takeError());
          EXPECT_EQ(*assembled, inst);
        }
      }
    }
  }
}

TEST(FieldTable, OutOfRangeValuesNameTheField) {
  for (unsigned code = 0; code < kNumOpcodes; ++code) {
    Opcode op = Opcode(code);
    for (const FieldInfo &f : getFields(op)) {
      std::string needle = "field '" + f.key.str() + "'";
      llvm::SmallVector<uint64_t, 3> bad;
      if (f.min > 0)
        bad.push_back(f.min - 1);
      if (f.unit > 1)
        bad.push_back(f.min + 1); // not a multiple of the unit
      if (f.max < f.maxStored)
        bad.push_back(std::min(f.max + f.unit, f.maxStored));
      for (uint64_t v : bad) {
        SCOPED_TRACE(describe(op, f, v));
        Instruction inst = base(op);
        setFieldValue(inst, f, v);
        std::string err = verifyError(inst);
        EXPECT_NE(err.find(needle), std::string::npos) << err;
        // The assembler refuses it as well.
        auto parsed = parseInstruction(printed(inst));
        ASSERT_FALSE(bool(parsed));
        EXPECT_NE(llvm::toString(parsed.takeError()).find(f.key),
                  std::string::npos);
      }
      // Codes above the maximum that the bits can hold (enumerations,
      // scale_bits) are refused by the decoder.
      uint64_t maxCode = detail::maxOfBits(f.bits);
      if (f.max / f.unit < maxCode) {
        SCOPED_TRACE(describe(op, f, maxCode));
        EncodedInstruction enc = encode(base(op));
        writeBits(enc, f.pos, f.bits, f.max / f.unit + 1);
        auto dec = decode(enc);
        ASSERT_FALSE(bool(dec));
        EXPECT_NE(llvm::toString(dec.takeError()).find(f.key),
                  std::string::npos);
      }
      // A required field missing from an assembly line.
      if (f.kind != FieldKind::Flag) {
        std::string line = printed(base(op));
        size_t at = line.find(" " + f.key.str() + "=");
        ASSERT_NE(at, std::string::npos) << line;
        size_t end = line.find(' ', at + 1);
        line.erase(at, end == std::string::npos ? std::string::npos : end - at);
        auto parsed = parseInstruction(line);
        ASSERT_FALSE(bool(parsed)) << line;
        EXPECT_NE(llvm::toString(parsed.takeError())
                      .find("missing field '" + f.key.str() + "'"),
                  std::string::npos)
            << line;
      }
    }
  }
}

} // namespace
