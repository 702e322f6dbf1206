//===- Assembly.cpp - BitMoD assembly printer and parser ------------------===//
//
// Syntax: docs/isa.md, "Assembly". One directive or instruction per line,
// `;` starts a comment, fields are `key=value`.
//
//===----------------------------------------------------------------------===//

#include "bitmod/ISA/Assembly.h"
#include "bitmod/Support/Error.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

using namespace bitmod;
using namespace bitmod::isa;
using llvm::Error;
using llvm::Expected;

static constexpr unsigned kDataBytesPerLine = 32;

//===----------------------------------------------------------------------===//
// Printer
//===----------------------------------------------------------------------===//

static void printQuoted(llvm::StringRef s, llvm::raw_ostream &os) {
  os << '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      os << '\\' << c;
    else if (c == '\n')
      os << "\\n";
    else if (c == '\t')
      os << "\\t";
    else if (c < 0x20 || c >= 0x7f)
      os << "\\x" << llvm::format_hex_no_prefix(c, 2);
    else
      os << c;
  }
  os << '"';
}

static void printHex(llvm::raw_ostream &os, uint64_t v, unsigned digits) {
  os << llvm::format_hex(v, digits + 2);
}

/// Hex digits of a field's largest value (9 for DRAM, 6 for buffer offsets).
static unsigned getHexDigits(const FieldInfo &f) {
  return (llvm::Log2_64(f.max) + 4) / 4;
}

static void printFieldValue(const FieldInfo &f, uint64_t v,
                            llvm::raw_ostream &os) {
  switch (f.kind) {
  case FieldKind::UInt:
  case FieldKind::Flag:
    os << v;
    return;
  case FieldKind::Hex:
    printHex(os, v, getHexDigits(f));
    return;
  case FieldKind::DType:
    os << quant::getName(quant::DataType(v));
    return;
  case FieldKind::OutFormat:
    os << getOutFormatName(OutFormat(v));
    return;
  case FieldKind::Queue:
    os << getQueueName(Queue(v));
    return;
  case FieldKind::Int8x4:
    for (unsigned i = 0; i < 4; ++i)
      os << (i ? "," : "") << int(int8_t(uint8_t(v >> (8 * i))));
    return;
  }
}

namespace {
/// The neighbouring queue a token flag talks to.
enum class TokenDir { Prev, Next };
} // namespace

/// Whether the instruction's queue has a neighbour in direction `dir` (the
/// listing shows only those token flags; HALT has none).
static bool hasTokenDirection(const Instruction &inst, TokenDir dir) {
  if (inst.opcode == Opcode::Halt)
    return false;
  Queue q = inst.getQueue();
  return dir == TokenDir::Prev ? q != Queue::Load : q != Queue::Store;
}

void isa::printInstruction(const Instruction &inst, llvm::raw_ostream &os) {
  // The queue comes first for every opcode; a Queue field (SYNC) is that
  // column.
  os << llvm::left_justify(getMnemonic(inst.opcode), 9)
     << " queue=" << llvm::left_justify(getQueueName(inst.getQueue()), 7);
  for (const FieldInfo &f : getFields(inst.opcode)) {
    if (f.kind == FieldKind::Queue)
      continue;
    os << ' ' << f.key << '=';
    printFieldValue(f, getFieldValue(inst, f), os);
  }
#define BITMOD_ISA_PRINT_TOKEN(name, key, Pos, Dir)                            \
  if (hasTokenDirection(inst, TokenDir::Dir))                                  \
    os << " " #key "=" << inst.tokens.name;
  BITMOD_ISA_TOKENS(BITMOD_ISA_PRINT_TOKEN)
#undef BITMOD_ISA_PRINT_TOKEN
}

void isa::printAssembly(const Program &p, llvm::raw_ostream &os,
                        const AsmPrintOptions &options) {
  os << "; BitMoD program: " << p.instructions.size() << " instructions, "
     << p.weights.size() << " weight bytes, " << p.symbols.size()
     << " symbols\n";
  os << ".version " << p.versionMajor << '.' << p.versionMinor << '\n';
  os << ".dram_size ";
  printHex(os, p.dramSize, 9);
  os << "\n.weight_base ";
  printHex(os, p.weightBase, 9);
  os << "\n.act_buffer " << p.actBufferBytes << '\n';
  os << ".wgt_buffer " << p.wgtBufferBytes << '\n';
  if (!p.accelConfig.empty()) {
    os << ".accel ";
    printQuoted(p.accelConfig, os);
    os << '\n';
  }
  for (const Symbol &s : p.symbols) {
    os << ".symbol ";
    printQuoted(s.name, os);
    os << ' ' << getSymbolKindName(s.kind) << ' ' << getElemTypeName(s.elemType)
       << " [";
    llvm::interleave(s.shape, os, ",");
    os << "] dram=";
    printHex(os, s.dramAddr, 9);
    os << " bytes=" << s.bytes << '\n';
  }
  for (const LayerRange &l : p.layers) {
    os << ".layer ";
    printQuoted(l.name, os);
    os << " first=" << l.firstInst << " count=" << l.numInsts
       << " gemm=" << l.gemmM << 'x' << l.gemmN << 'x' << l.gemmK << '\n';
  }
  os << ".weights " << p.weights.size() << '\n';
  if (options.printWeights) {
    for (size_t off = 0; off < p.weights.size(); off += kDataBytesPerLine) {
      os << ".data ";
      printHex(os, off, 8);
      os << ' ';
      size_t end = std::min(p.weights.size(), off + kDataBytesPerLine);
      for (size_t i = off; i < end; ++i)
        os << llvm::format_hex_no_prefix(p.weights[i], 2);
      os << '\n';
    }
  } else if (!p.weights.empty()) {
    os << "; weight bytes elided\n";
  }
  os << ".text\n";
  size_t layer = 0;
  for (size_t i = 0; i < p.instructions.size(); ++i) {
    while (layer < p.layers.size() &&
           p.layers[layer].firstInst + p.layers[layer].numInsts <= i &&
           !(p.layers[layer].numInsts == 0 && p.layers[layer].firstInst == i))
      ++layer;
    if (layer < p.layers.size() && p.layers[layer].firstInst == i) {
      os << "; layer ";
      printQuoted(p.layers[layer].name, os);
      os << '\n';
    }
    os << "  ";
    printInstruction(p.instructions[i], os);
    os << "  ; " << i << '\n';
  }
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

namespace {

/// Splits a line into whitespace-separated words; a word may contain one
/// double-quoted string (escapes decoded). Stops at ';' outside quotes.
Expected<llvm::SmallVector<std::string, 16>> tokenize(llvm::StringRef line) {
  llvm::SmallVector<std::string, 16> words;
  size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == ';')
      break;
    std::string word;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' &&
           line[i] != '\r' && line[i] != ';') {
      if (line[i] != '"') {
        word += line[i++];
        continue;
      }
      // Quoted string: keep a leading marker so callers know it was quoted.
      word += '\x01';
      ++i;
      bool closed = false;
      while (i < line.size()) {
        char q = line[i++];
        if (q == '"') {
          closed = true;
          break;
        }
        if (q != '\\') {
          word += q;
          continue;
        }
        if (i >= line.size())
          return makeError("unterminated escape in string");
        char e = line[i++];
        if (e == 'n')
          word += '\n';
        else if (e == 't')
          word += '\t';
        else if (e == '\\' || e == '"')
          word += e;
        else if (e == 'x') {
          if (i + 2 > line.size() || !llvm::isHexDigit(line[i]) ||
              !llvm::isHexDigit(line[i + 1]))
            return makeError("bad \\x escape in string");
          word += char(llvm::hexFromNibbles(line[i], line[i + 1]));
          i += 2;
        } else {
          return makeError(std::string("unknown escape '\\") + e + "'");
        }
      }
      if (!closed)
        return makeError("unterminated string");
    }
    words.push_back(std::move(word));
  }
  return words;
}

Expected<std::string> unquote(llvm::StringRef word, const char *what) {
  if (word.empty() || word[0] != '\x01')
    return makeError(llvm::Twine(what) + " must be a quoted string");
  return word.drop_front().str();
}

Expected<uint64_t> parseUInt(llvm::StringRef text, llvm::StringRef what,
                             uint64_t max = UINT64_MAX) {
  uint64_t v;
  if (text.getAsInteger(0, v))
    return makeError("invalid value '" + text + "' for '" + what + "'");
  if (v > max)
    return makeError(
        llvm::formatv("value {0} for '{1}' exceeds {2}", v, what, max).str());
  return v;
}

/// key=value fields of one instruction line.
class Fields {
public:
  Error add(llvm::StringRef word) {
    auto [key, value] = word.split('=');
    if (value.empty() && !word.contains('='))
      return makeError("expected key=value, got '" + word + "'");
    if (!map.try_emplace(key, value.str()).second)
      return makeError("duplicate field '" + key + "'");
    return Error::success();
  }
  /// Takes a required field.
  Expected<std::string> take(llvm::StringRef key) {
    auto it = map.find(key);
    if (it == map.end())
      return makeError("missing field '" + key + "'");
    std::string v = it->second;
    map.erase(it);
    return v;
  }
  Expected<uint64_t> takeUInt(llvm::StringRef key, uint64_t max) {
    auto v = take(key);
    if (!v)
      return v.takeError();
    return parseUInt(*v, key, max);
  }
  Expected<bool> takeFlag(llvm::StringRef key) {
    auto it = map.find(key);
    if (it == map.end())
      return false;
    std::string v = it->second;
    map.erase(it);
    if (v == "0")
      return false;
    if (v == "1")
      return true;
    return makeError("field '" + key + "' must be 0 or 1, got '" + v + "'");
  }
  std::optional<std::string> takeOptional(llvm::StringRef key) {
    auto it = map.find(key);
    if (it == map.end())
      return std::nullopt;
    std::string v = it->second;
    map.erase(it);
    return v;
  }
  Error finish() {
    if (map.empty())
      return Error::success();
    return makeError("unknown field '" + map.begin()->first() + "'");
  }

private:
  llvm::StringMap<std::string> map;
};

} // namespace

#define ASSIGN_OR_RETURN(var, expr)                                            \
  auto var##OrErr = (expr);                                                    \
  if (!var##OrErr)                                                             \
    return var##OrErr.takeError();                                             \
  auto var = std::move(*var##OrErr)

/// Parses the value of field `f` (as printed by printFieldValue).
static Expected<uint64_t> parseFieldValue(const FieldInfo &f,
                                          llvm::StringRef text) {
  switch (f.kind) {
  case FieldKind::UInt:
  case FieldKind::Hex:
    return parseUInt(text, f.key, f.maxStored);
  case FieldKind::Flag:
    if (text == "0" || text == "1")
      return uint64_t(text == "1");
    return makeError("field '" + f.key + "' must be 0 or 1, got '" + text +
                     "'");
  case FieldKind::DType:
    if (std::optional<quant::DataType> dt = quant::parseDataType(text))
      return uint64_t(*dt);
    return makeError("unknown " + f.key + " '" + text + "' (expected one of " +
                     quant::listDataTypeNames() + ")");
  case FieldKind::OutFormat:
    if (std::optional<OutFormat> fmt = parseOutFormatName(text))
      return uint64_t(*fmt);
    return makeError(f.key + " must be f32 or f16, got '" + text + "'");
  case FieldKind::Queue:
    if (std::optional<Queue> q = parseQueueName(text))
      return uint64_t(*q);
    return makeError("unknown queue '" + text + "'");
  case FieldKind::Int8x4: {
    llvm::SmallVector<llvm::StringRef, 4> parts;
    text.split(parts, ',');
    if (parts.size() != 4)
      return makeError(f.key + " needs 4 comma-separated values, got '" + text +
                       "'");
    uint64_t packed = 0;
    for (unsigned i = 0; i < 4; ++i) {
      int64_t v;
      if (parts[i].getAsInteger(10, v) || v < -128 || v > 127)
        return makeError(f.key + " entry '" + parts[i] +
                         "' is not in -128..127");
      packed |= uint64_t(uint8_t(int8_t(v))) << (8 * i);
    }
    return packed;
  }
  }
  return makeError("unknown field kind");
}

static Expected<Instruction>
parseInstructionWords(llvm::ArrayRef<std::string> words, bool verify = true) {
  if (words.empty())
    return makeError("empty instruction");
  std::optional<Opcode> op = parseMnemonic(words[0]);
  if (!op)
    return makeError("unknown mnemonic '" + words[0] + "'");
  Fields f;
  for (const std::string &w : words.drop_front())
    if (Error e = f.add(w))
      return std::move(e);
  Instruction inst;
  inst.opcode = *op;
  // `queue=` is the Queue field of SYNC and optional (but checked) for the
  // other opcodes; flags default to 0; every other field is required.
  std::optional<std::string> queueName = f.takeOptional("queue");
  bool queueIsField = llvm::any_of(getFields(*op), [](const FieldInfo &field) {
    return field.kind == FieldKind::Queue;
  });
  if (!queueIsField && queueName && *queueName != getQueueName(inst.getQueue()))
    return makeError(getMnemonic(*op) + " runs in the " +
                     getQueueName(inst.getQueue()) + " queue, not '" +
                     *queueName + "'");
  for (const FieldInfo &field : getFields(*op)) {
    std::optional<std::string> text;
    if (field.kind == FieldKind::Queue) {
      text = queueName;
    } else {
      text = f.takeOptional(field.key);
    }
    if (!text && field.kind == FieldKind::Flag)
      text = "0";
    if (!text)
      return makeError(getMnemonic(*op) + ": missing field '" + field.key +
                       "'");
    ASSIGN_OR_RETURN(value, parseFieldValue(field, *text));
    setFieldValue(inst, field, value);
  }
#define BITMOD_ISA_PARSE_TOKEN(name, key, Pos, Dir)                            \
  {                                                                            \
    ASSIGN_OR_RETURN(flag, f.takeFlag(#key));                                  \
    inst.tokens.name = flag;                                                   \
  }
  BITMOD_ISA_TOKENS(BITMOD_ISA_PARSE_TOKEN)
#undef BITMOD_ISA_PARSE_TOKEN
  if (Error e = f.finish())
    return std::move(e);
  if (verify)
    if (Error e = verifyInstruction(inst))
      return std::move(e);
  return inst;
}

Expected<Instruction> isa::parseInstruction(llvm::StringRef line) {
  auto words = tokenize(line);
  if (!words)
    return words.takeError();
  return parseInstructionWords(*words);
}

Expected<Instruction> isa::parseInstructionUnverified(llvm::StringRef line) {
  auto words = tokenize(line);
  if (!words)
    return words.takeError();
  return parseInstructionWords(*words, /*verify=*/false);
}

Expected<Program> isa::parseAssembly(llvm::StringRef text,
                                     llvm::StringRef bufferName) {
  Program p;
  bool inText = false;
  std::optional<uint64_t> weightBytes;
  bool sawVersion = false;
  llvm::SmallVector<llvm::StringRef, 0> lines;
  text.split(lines, '\n');
  for (size_t ln = 0; ln < lines.size(); ++ln) {
    auto fail = [&](Error e) -> Error {
      return makeError(bufferName + ":" + llvm::Twine(ln + 1) + ": " +
                       llvm::toString(std::move(e)));
    };
    auto wordsOr = tokenize(lines[ln]);
    if (!wordsOr)
      return fail(wordsOr.takeError());
    auto &words = *wordsOr;
    if (words.empty())
      continue;
    llvm::StringRef head = words[0];
    if (!head.starts_with(".")) {
      if (!inText)
        return fail(makeError("instruction before .text"));
      auto inst = parseInstructionWords(words);
      if (!inst)
        return fail(inst.takeError());
      p.instructions.push_back(*inst);
      continue;
    }
    if (inText)
      return fail(makeError("directive '" + head + "' after .text"));
    auto expectArgs = [&](size_t n) -> Error {
      if (words.size() != n + 1)
        return makeError(llvm::formatv("'{0}' takes {1} argument(s), got {2}",
                                       head, n, words.size() - 1)
                             .str());
      return Error::success();
    };
    Error err = Error::success();
    if (head == ".text") {
      err = expectArgs(0);
      inText = true;
    } else if (head == ".version") {
      if (!(err = expectArgs(1))) {
        auto [maj, min] = llvm::StringRef(words[1]).split('.');
        unsigned a = 0, b = 0;
        if (maj.getAsInteger(10, a) || min.getAsInteger(10, b) || a > 0xffff ||
            b > 0xffff)
          err = makeError("bad version '" + words[1] + "'");
        p.versionMajor = a;
        p.versionMinor = b;
        sawVersion = true;
      }
    } else if (head == ".dram_size" || head == ".weight_base") {
      if (!(err = expectArgs(1))) {
        auto v = parseUInt(words[1], head.drop_front());
        if (!v)
          err = v.takeError();
        else
          (head == ".dram_size" ? p.dramSize : p.weightBase) = *v;
      }
    } else if (head == ".act_buffer" || head == ".wgt_buffer") {
      if (!(err = expectArgs(1))) {
        auto v = parseUInt(words[1], head.drop_front(), UINT32_MAX);
        if (!v)
          err = v.takeError();
        else
          (head == ".act_buffer" ? p.actBufferBytes : p.wgtBufferBytes) = *v;
      }
    } else if (head == ".accel") {
      if (!(err = expectArgs(1))) {
        auto s = unquote(words[1], ".accel");
        if (!s)
          err = s.takeError();
        else
          p.accelConfig = *s;
      }
    } else if (head == ".symbol") {
      // .symbol "name" kind elem [d0,d1] dram=0x.. bytes=N
      if (!(err = expectArgs(6))) {
        Symbol s;
        auto name = unquote(words[1], "symbol name");
        std::optional<SymbolKind> kind = parseSymbolKindName(words[2]);
        std::optional<ElemType> elem = parseElemTypeName(words[3]);
        llvm::StringRef shape = words[4];
        if (!name)
          err = name.takeError();
        else if (!kind)
          err = makeError("symbol kind must be input or output, got '" +
                          words[2] + "'");
        else if (!elem)
          err = makeError("element type must be f16 or f32, got '" + words[3] +
                          "'");
        else if (!shape.consume_front("[") || !shape.consume_back("]"))
          err = makeError("shape must look like [d0,d1,...], got '" + words[4] +
                          "'");
        else {
          s.name = *name;
          s.kind = *kind;
          s.elemType = *elem;
          if (!shape.empty()) {
            llvm::SmallVector<llvm::StringRef, 8> dims;
            shape.split(dims, ',');
            for (llvm::StringRef d : dims) {
              int64_t v;
              if (d.trim().getAsInteger(10, v)) {
                err = makeError("bad dimension '" + d + "'");
                break;
              }
              s.shape.push_back(v);
            }
          }
          if (!err) {
            Fields f;
            if (!(err = f.add(words[5])) && !(err = f.add(words[6]))) {
              auto dram = f.takeUInt("dram", UINT64_MAX);
              auto bytes = f.takeUInt("bytes", UINT64_MAX);
              if (!dram)
                err = dram.takeError();
              else if (!bytes)
                err = bytes.takeError();
              else {
                s.dramAddr = *dram;
                s.bytes = *bytes;
                p.symbols.push_back(std::move(s));
              }
              consumeError(f.finish());
            }
          }
        }
      }
    } else if (head == ".layer") {
      if (!(err = expectArgs(4))) {
        auto name = unquote(words[1], "layer name");
        Fields f;
        if (!name)
          err = name.takeError();
        else if (!(err = f.add(words[2])) && !(err = f.add(words[3])) &&
                 !(err = f.add(words[4]))) {
          auto first = f.takeUInt("first", UINT32_MAX);
          auto count = f.takeUInt("count", UINT32_MAX);
          auto gemm = f.take("gemm");
          llvm::SmallVector<llvm::StringRef, 3> dims;
          if (gemm)
            llvm::StringRef(*gemm).split(dims, 'x');
          uint64_t mnk[3] = {0, 0, 0};
          if (!first)
            err = first.takeError();
          else if (!count)
            err = count.takeError();
          else if (!gemm)
            err = gemm.takeError();
          else if (dims.size() != 3 || dims[0].getAsInteger(10, mnk[0]) ||
                   dims[1].getAsInteger(10, mnk[1]) ||
                   dims[2].getAsInteger(10, mnk[2]))
            err = makeError("gemm must be MxNxK, got '" + *gemm + "'");
          else if (!(err = f.finish())) {
            LayerRange l{*name, uint32_t(*first), uint32_t(*count)};
            l.gemmM = mnk[0];
            l.gemmN = mnk[1];
            l.gemmK = mnk[2];
            p.layers.push_back(std::move(l));
          }
        }
      }
    } else if (head == ".weights") {
      if (!(err = expectArgs(1))) {
        auto v = parseUInt(words[1], "weights", uint64_t(1) << 40);
        if (!v)
          err = v.takeError();
        else {
          weightBytes = *v;
          p.weights.reserve(*v);
        }
      }
    } else if (head == ".data") {
      if (!(err = expectArgs(2))) {
        auto off = parseUInt(words[1], "data offset");
        llvm::StringRef hex = words[2];
        if (!weightBytes)
          err = makeError(".data before .weights");
        else if (!off)
          err = off.takeError();
        else if (*off != p.weights.size())
          err = makeError(llvm::formatv(".data offset {0:x} does not follow "
                                        "the previous data (expected {1:x})",
                                        *off, p.weights.size())
                              .str());
        else if (hex.size() % 2 || !llvm::all_of(hex, llvm::isHexDigit))
          err = makeError("malformed hex data");
        else if (p.weights.size() + hex.size() / 2 > *weightBytes)
          err = makeError("more .data bytes than declared by .weights");
        else
          for (size_t i = 0; i < hex.size(); i += 2)
            p.weights.push_back(llvm::hexFromNibbles(hex[i], hex[i + 1]));
      }
    } else {
      err = makeError("unknown directive '" + head + "'");
    }
    if (err)
      return fail(std::move(err));
  }
  if (!sawVersion)
    return makeError(bufferName + ": missing .version directive");
  // Format 2 only added checksums to the container: a 1.x listing describes
  // the same program, so it assembles into the current format.
  if (p.versionMajor == 1) {
    p.versionMajor = kBmodVersionMajor;
    p.versionMinor = kBmodVersionMinor;
  }
  if (!inText)
    return makeError(bufferName + ": missing .text section");
  if (weightBytes && p.weights.size() != *weightBytes)
    return makeError(llvm::formatv("{0}: .weights declares {1} bytes but .data "
                                   "lines provide {2} (listing printed "
                                   "without weights?)",
                                   bufferName, *weightBytes, p.weights.size())
                         .str());
  if (Error e = verifyProgram(p))
    return makeError(bufferName + ": " + llvm::toString(std::move(e)));
  return p;
}
