//===- AccelConfig.cpp - BitMoD accelerator parameters --------------------===//

#include "bitmod/Arch/AccelConfig.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <variant>

using namespace bitmod::arch;
using llvm::createStringError;
using llvm::inconvertibleErrorCode;

llvm::StringRef bitmod::arch::getArrangementName(ArrayArrangement a) {
  switch (a) {
  case ArrayArrangement::Discriminative:
    return "disc";
  case ArrayArrangement::Generative:
    return "gen";
  case ArrayArrangement::Auto:
    return "auto";
  }
  return "auto";
}

std::optional<ArrayArrangement>
bitmod::arch::parseArrangement(llvm::StringRef name) {
  std::string n = name.lower();
  if (n == "disc" || n == "discriminative" || n == "prefill")
    return ArrayArrangement::Discriminative;
  if (n == "gen" || n == "generative" || n == "decode")
    return ArrayArrangement::Generative;
  if (n == "auto")
    return ArrayArrangement::Auto;
  return std::nullopt;
}

llvm::StringRef bitmod::arch::getBaselineSizingName(BaselineSizing s) {
  return s == BaselineSizing::IsoArea ? "iso_area" : "paper";
}

std::optional<BaselineSizing>
bitmod::arch::parseBaselineSizing(llvm::StringRef name) {
  std::string n = name.lower();
  if (n == "paper")
    return BaselineSizing::Paper;
  if (n == "iso_area" || n == "iso-area")
    return BaselineSizing::IsoArea;
  return std::nullopt;
}

const std::vector<SramEnergyEntry> &bitmod::arch::getPaperSramTable() {
  // REFERENCE.md "Memory": CACTI 7, 28 nm, 512 KB, 8 banks.
  static const std::vector<SramEnergyEntry> table = {
      {192, 66.58, 43.32, 1.529},   {256, 70.09, 51.72, 1.485},
      {288, 72.60, 54.12, 1.500},   {384, 82.83, 64.05, 1.590},
      {512, 92.79, 83.35, 1.602},   {576, 107.70, 89.34, 1.431},
      {1024, 138.44, 156.09, 1.571}};
  return table;
}

ArrayShape AccelConfig::getArrayShape(ArrayArrangement a) const {
  ArrayShape s;
  if (a == ArrayArrangement::Generative) {
    s.gridRows = genGridRows;
    s.gridCols = genGridCols;
  } else {
    s.gridRows = discGridRows;
    s.gridCols = discGridCols;
  }
  s.tokenLanes = s.gridRows * tileRows;
  s.channelLanes = s.gridCols * tileCols;
  return s;
}

bool AccelConfig::operator==(const AccelConfig &o) const {
  auto sramEq = [](const SramEnergyEntry &a, const SramEnergyEntry &b) {
    return a.portBits == b.portBits && a.readPJ == b.readPJ &&
           a.writePJ == b.writePJ && a.areaMM2 == b.areaMM2;
  };
  if (sramTable.size() != o.sramTable.size())
    return false;
  for (size_t i = 0; i < sramTable.size(); ++i)
    if (!sramEq(sramTable[i], o.sramTable[i]))
      return false;
  return numTiles == o.numTiles && tileRows == o.tileRows &&
         tileCols == o.tileCols && discGridRows == o.discGridRows &&
         discGridCols == o.discGridCols && genGridRows == o.genGridRows &&
         genGridCols == o.genGridCols && arrangement == o.arrangement &&
         dotProductWidth == o.dotProductWidth &&
         frequencyGHz == o.frequencyGHz &&
         actMantissaBits == o.actMantissaBits && guardBits == o.guardBits &&
         scaleBits == o.scaleBits && selectorBits == o.selectorBits &&
         svRegisterEntries == o.svRegisterEntries &&
         actBufferBytes == o.actBufferBytes &&
         wgtBufferBytes == o.wgtBufferBytes &&
         actBufferBanks == o.actBufferBanks &&
         wgtBufferBanks == o.wgtBufferBanks &&
         bufferReadPorts == o.bufferReadPorts &&
         bufferWritePorts == o.bufferWritePorts &&
         dramBytesPerCycle == o.dramBytesPerCycle &&
         dramLatencyCycles == o.dramLatencyCycles &&
         pePJPerCycle == o.pePJPerCycle && peAreaUM2 == o.peAreaUM2 &&
         placeRouteFactor == o.placeRouteFactor &&
         baselineSizing == o.baselineSizing && dramPJPerBit == o.dramPJPerBit;
}

//===----------------------------------------------------------------------===//
// Field table shared by JSON and key=value parsing.
//===----------------------------------------------------------------------===//

namespace {
using UnsignedField = unsigned AccelConfig::*;
using U64Field = uint64_t AccelConfig::*;
using DoubleField = double AccelConfig::*;
struct ArrangementTag {};
struct BaselineSizingTag {};

struct FieldDesc {
  const char *key;
  std::variant<UnsignedField, U64Field, DoubleField, ArrangementTag,
               BaselineSizingTag>
      member;
  /// Smallest accepted value (numbers).
  double minValue;
  double maxValue;
};

const FieldDesc kFields[] = {
    {"num_tiles", &AccelConfig::numTiles, 1, 1 << 20},
    {"tile_rows", &AccelConfig::tileRows, 1, 4096},
    {"tile_cols", &AccelConfig::tileCols, 1, 4096},
    {"disc_grid_rows", &AccelConfig::discGridRows, 1, 1 << 20},
    {"disc_grid_cols", &AccelConfig::discGridCols, 1, 1 << 20},
    {"gen_grid_rows", &AccelConfig::genGridRows, 1, 1 << 20},
    {"gen_grid_cols", &AccelConfig::genGridCols, 1, 1 << 20},
    {"arrangement", ArrangementTag{}, 0, 0},
    {"dot_product_width", &AccelConfig::dotProductWidth, 1, 64},
    {"frequency_ghz", &AccelConfig::frequencyGHz, 1e-6, 1e3},
    {"act_mantissa_bits", &AccelConfig::actMantissaBits, 11, 11},
    {"guard_bits", &AccelConfig::guardBits, 3, 3},
    {"scale_bits", &AccelConfig::scaleBits, 1, 16},
    {"selector_bits", &AccelConfig::selectorBits, 0, 8},
    {"sv_register_entries", &AccelConfig::svRegisterEntries, 4, 4},
    {"act_buffer_bytes", &AccelConfig::actBufferBytes, 1024, 1e15},
    {"wgt_buffer_bytes", &AccelConfig::wgtBufferBytes, 1024, 1e15},
    {"act_buffer_banks", &AccelConfig::actBufferBanks, 1, 1024},
    {"wgt_buffer_banks", &AccelConfig::wgtBufferBanks, 1, 1024},
    {"buffer_read_ports", &AccelConfig::bufferReadPorts, 1, 16},
    {"buffer_write_ports", &AccelConfig::bufferWritePorts, 1, 16},
    {"dram_bytes_per_cycle", &AccelConfig::dramBytesPerCycle, 1, 1 << 20},
    {"dram_latency_cycles", &AccelConfig::dramLatencyCycles, 0, 1 << 24},
    {"pe_pj_per_cycle", &AccelConfig::pePJPerCycle, 0, 1e6},
    {"pe_area_um2", &AccelConfig::peAreaUM2, 1e-3, 1e9},
    {"place_route_factor", &AccelConfig::placeRouteFactor, 0, 1e3},
    {"dram_pj_per_bit", &AccelConfig::dramPJPerBit, 0, 1e6},
    {"baseline_sizing", BaselineSizingTag{}, 0, 0},
};

/// The fields whose value is a name rather than a number.
bool isNamedField(const FieldDesc &f) {
  return std::holds_alternative<ArrangementTag>(f.member) ||
         std::holds_alternative<BaselineSizingTag>(f.member);
}

const FieldDesc *findField(llvm::StringRef key) {
  for (const FieldDesc &f : kFields)
    if (key == f.key)
      return &f;
  return nullptr;
}

/// Shortest exact-enough text: formatv's fixed two decimals would print the
/// lower bound 1e-6 of frequency_ghz as "0.00".
std::string fmtNum(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

llvm::Error badValue(llvm::StringRef key, const llvm::Twine &why) {
  return createStringError(inconvertibleErrorCode(),
                           "accelerator config key '" + key + "': " + why);
}

/// Stores a numeric value into a field after range checking.
llvm::Error setNumber(AccelConfig &cfg, const FieldDesc &f, double v) {
  if (!std::isfinite(v) || v < f.minValue || v > f.maxValue)
    return badValue(f.key, "value " + fmtNum(v) + " out of range [" +
                               fmtNum(f.minValue) + ", " + fmtNum(f.maxValue) +
                               "]");
  if (auto *m = std::get_if<DoubleField>(&f.member)) {
    // -0.0 + 0.0 is +0.0: a description prints one zero (fuzzer finding).
    cfg.*(*m) = v + 0.0;
    return llvm::Error::success();
  }
  if (v != std::floor(v))
    return badValue(f.key, "expected an integer, got " + fmtNum(v));
  if (auto *m = std::get_if<UnsignedField>(&f.member))
    cfg.*(*m) = unsigned(v);
  else if (auto *m = std::get_if<U64Field>(&f.member))
    cfg.*(*m) = uint64_t(v);
  return llvm::Error::success();
}

llvm::Error setArrangement(AccelConfig &cfg, llvm::StringRef key,
                           llvm::StringRef s) {
  auto a = parseArrangement(s);
  if (!a)
    return badValue(key, "unknown arrangement '" + s +
                             "' (expected disc, gen or auto)");
  cfg.arrangement = *a;
  return llvm::Error::success();
}

llvm::Error setNamedField(AccelConfig &cfg, const FieldDesc &f,
                          llvm::StringRef key, llvm::StringRef s) {
  if (std::holds_alternative<ArrangementTag>(f.member))
    return setArrangement(cfg, key, s);
  auto sizing = parseBaselineSizing(s);
  if (!sizing)
    return badValue(key, "unknown baseline sizing '" + s +
                             "' (expected paper or iso_area)");
  cfg.baselineSizing = *sizing;
  return llvm::Error::success();
}
} // namespace

llvm::Error AccelConfig::validate() const {
  for (const FieldDesc &f : kFields) {
    if (isNamedField(f))
      continue;
    double v = 0;
    if (auto *m = std::get_if<DoubleField>(&f.member))
      v = this->*(*m);
    else if (auto *m = std::get_if<UnsignedField>(&f.member))
      v = double(this->*(*m));
    else if (auto *m = std::get_if<U64Field>(&f.member))
      v = double(this->*(*m));
    if (!std::isfinite(v) || v < f.minValue || v > f.maxValue)
      return badValue(f.key, "value " + fmtNum(v) + " out of range [" +
                                 fmtNum(f.minValue) + ", " +
                                 fmtNum(f.maxValue) + "]");
  }
  if (discGridRows * discGridCols != numTiles)
    return badValue("disc_grid_rows", "disc grid " + llvm::Twine(discGridRows) +
                                          "x" + llvm::Twine(discGridCols) +
                                          " does not use num_tiles = " +
                                          llvm::Twine(numTiles) + " tiles");
  if (genGridRows * genGridCols != numTiles)
    return badValue("gen_grid_rows", "gen grid " + llvm::Twine(genGridRows) +
                                         "x" + llvm::Twine(genGridCols) +
                                         " does not use num_tiles = " +
                                         llvm::Twine(numTiles) + " tiles");
  if (dotProductWidth != 4)
    return badValue("dot_product_width",
                    "the functional datapath implements 4-way dot products "
                    "only, got " +
                        llvm::Twine(dotProductWidth));
  if (sramTable.empty())
    return badValue("sram_table", "must not be empty");
  for (size_t i = 0; i < sramTable.size(); ++i) {
    const SramEnergyEntry &e = sramTable[i];
    // Infinite values pass ">= 0" but do not print as JSON.
    auto finiteNonNegative = [](double v) {
      return std::isfinite(v) && v >= 0;
    };
    if (e.portBits == 0 || !finiteNonNegative(e.readPJ) ||
        !finiteNonNegative(e.writePJ) || !finiteNonNegative(e.areaMM2))
      return badValue("sram_table", "entry " + llvm::Twine(i) +
                                        " has a zero port width or "
                                        "a negative, infinite or NaN value");
    if (i && sramTable[i - 1].portBits >= e.portBits)
      return badValue("sram_table", "port widths must be strictly ascending");
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

llvm::json::Value bitmod::arch::toJSON(const AccelConfig &cfg) {
  llvm::json::Object obj;
  for (const FieldDesc &f : kFields) {
    if (std::holds_alternative<ArrangementTag>(f.member))
      obj[f.key] = getArrangementName(cfg.arrangement).str();
    else if (std::holds_alternative<BaselineSizingTag>(f.member))
      obj[f.key] = getBaselineSizingName(cfg.baselineSizing).str();
    else if (auto *m = std::get_if<DoubleField>(&f.member))
      obj[f.key] = cfg.*(*m);
    else if (auto *m = std::get_if<UnsignedField>(&f.member))
      obj[f.key] = int64_t(cfg.*(*m));
    else if (auto *m = std::get_if<U64Field>(&f.member))
      obj[f.key] = int64_t(cfg.*(*m));
  }
  llvm::json::Array table;
  for (const SramEnergyEntry &e : cfg.sramTable)
    table.push_back(llvm::json::Object{{"port_bits", int64_t(e.portBits)},
                                       {"read_pj", e.readPJ},
                                       {"write_pj", e.writePJ},
                                       {"area_mm2", e.areaMM2}});
  obj["sram_table"] = std::move(table);
  return llvm::json::Value(std::move(obj));
}

std::string bitmod::arch::toJSONString(const AccelConfig &cfg) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::formatv("{0:2}", toJSON(cfg));
  return s;
}

static llvm::Expected<std::vector<SramEnergyEntry>>
parseSramTable(const llvm::json::Value &v) {
  const llvm::json::Array *arr = v.getAsArray();
  if (!arr)
    return badValue("sram_table", "expected an array of objects");
  std::vector<SramEnergyEntry> table;
  for (size_t i = 0; i < arr->size(); ++i) {
    const llvm::json::Object *o = (*arr)[i].getAsObject();
    std::string where = "sram_table[" + std::to_string(i) + "]";
    if (!o)
      return badValue(where, "expected an object");
    SramEnergyEntry e;
    for (const auto &kv : *o) {
      llvm::StringRef k = kv.first;
      std::optional<double> num = kv.second.getAsNumber();
      if (!num)
        return badValue(where + "." + k.str(), "expected a number");
      *num += 0.0; // -0.0 -> +0.0, as for the scalar keys
      if (k == "port_bits") {
        if (*num <= 0 || *num != std::floor(*num) || *num > 1e6)
          return badValue(where + ".port_bits", "expected a positive integer");
        e.portBits = unsigned(*num);
      } else if (k == "read_pj") {
        e.readPJ = *num;
      } else if (k == "write_pj") {
        e.writePJ = *num;
      } else if (k == "area_mm2") {
        e.areaMM2 = *num;
      } else {
        return badValue(where + "." + k.str(),
                        "unknown key (expected port_bits, read_pj, "
                        "write_pj, area_mm2)");
      }
    }
    if (!o->get("port_bits") || !o->get("read_pj") || !o->get("write_pj"))
      return badValue(where, "needs port_bits, read_pj and write_pj");
    table.push_back(e);
  }
  return table;
}

llvm::Expected<AccelConfig>
bitmod::arch::accelConfigFromJSON(const llvm::json::Value &v) {
  const llvm::json::Object *obj = v.getAsObject();
  if (!obj)
    return createStringError(inconvertibleErrorCode(),
                             "accelerator config: expected a JSON object");
  AccelConfig cfg;
  // Iterate in sorted key order for deterministic diagnostics.
  llvm::SmallVector<llvm::StringRef> keys;
  for (const auto &kv : *obj)
    keys.push_back(kv.first);
  llvm::sort(keys);
  for (llvm::StringRef key : keys) {
    const llvm::json::Value &val = *obj->get(key);
    if (key == "sram_table") {
      auto table = parseSramTable(val);
      if (!table)
        return table.takeError();
      cfg.sramTable = std::move(*table);
      continue;
    }
    const FieldDesc *f = findField(key);
    if (!f)
      return badValue(key, "unknown key");
    if (isNamedField(*f)) {
      std::optional<llvm::StringRef> s = val.getAsString();
      if (!s)
        return badValue(key, "expected a string");
      if (llvm::Error e = setNamedField(cfg, *f, key, *s))
        return std::move(e);
      continue;
    }
    std::optional<double> num = val.getAsNumber();
    if (!num)
      return badValue(key, "expected a number");
    if (llvm::Error e = setNumber(cfg, *f, *num))
      return std::move(e);
  }
  if (llvm::Error e = cfg.validate())
    return std::move(e);
  return cfg;
}

llvm::Expected<AccelConfig>
bitmod::arch::parseAccelConfigJSON(llvm::StringRef text) {
  llvm::Expected<llvm::json::Value> v = llvm::json::parse(text);
  if (!v)
    return createStringError(inconvertibleErrorCode(),
                             "accelerator config: invalid JSON: " +
                                 llvm::toString(v.takeError()));
  return accelConfigFromJSON(*v);
}

llvm::Expected<AccelConfig>
bitmod::arch::loadAccelConfig(llvm::StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buf)
    return createStringError(buf.getError(),
                             "cannot read accelerator config '" + path +
                                 "': " + buf.getError().message());
  auto cfg = parseAccelConfigJSON((*buf)->getBuffer());
  if (!cfg)
    return createStringError(inconvertibleErrorCode(),
                             path + ": " + llvm::toString(cfg.takeError()));
  return cfg;
}

llvm::Error bitmod::arch::saveAccelConfig(const AccelConfig &cfg,
                                          llvm::StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return createStringError(ec, "cannot write accelerator config '" + path +
                                     "': " + ec.message());
  os << toJSONString(cfg) << "\n";
  os.close();
  if (os.has_error())
    return createStringError(os.error(), "error writing '" + path + "'");
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// key=value
//===----------------------------------------------------------------------===//

static std::string normalizeKey(llvm::StringRef key) {
  std::string k = key.trim().lower();
  for (char &c : k)
    if (c == '-')
      c = '_';
  if (k == "rows")
    return "tile_rows";
  if (k == "cols")
    return "tile_cols";
  if (k == "tiles")
    return "num_tiles";
  if (k == "freq" || k == "frequency")
    return "frequency_ghz";
  if (k == "dp")
    return "dot_product_width";
  return k;
}

llvm::Error bitmod::arch::applyKeyValueOptions(AccelConfig &cfg,
                                               llvm::StringRef options) {
  AccelConfig next = cfg;
  llvm::SmallVector<llvm::StringRef> items;
  options.split(items, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef item : items) {
    item = item.trim();
    if (item.empty())
      continue;
    auto [rawKey, rawVal] = item.split('=');
    if (!item.contains('='))
      return badValue(rawKey.trim(), "expected key=value");
    std::string key = normalizeKey(rawKey);
    llvm::StringRef val = rawVal.trim();
    if (key == "disc_grid" || key == "gen_grid") {
      std::string lowered = val.lower();
      auto [r, c] = llvm::StringRef(lowered).split('x');
      unsigned rows, cols;
      if (r.getAsInteger(10, rows) || c.getAsInteger(10, cols) || !rows ||
          !cols)
        return badValue(key, "expected ROWSxCOLS, got '" + val + "'");
      if (key == "disc_grid") {
        next.discGridRows = rows;
        next.discGridCols = cols;
      } else {
        next.genGridRows = rows;
        next.genGridCols = cols;
      }
      continue;
    }
    if (key == "sram_table")
      return badValue(key, "cannot be set as key=value (use a JSON file)");
    const FieldDesc *f = findField(key);
    if (!f)
      return badValue(key, "unknown key");
    if (isNamedField(*f)) {
      if (llvm::Error e = setNamedField(next, *f, key, val))
        return e;
      continue;
    }
    double num;
    if (val.getAsDouble(num))
      return badValue(key, "expected a number, got '" + val + "'");
    if (llvm::Error e = setNumber(next, *f, num))
      return e;
  }
  if (llvm::Error e = next.validate())
    return e;
  cfg = std::move(next);
  return llvm::Error::success();
}

llvm::Expected<AccelConfig>
bitmod::arch::fromKeyValue(llvm::StringRef options) {
  AccelConfig cfg;
  if (llvm::Error e = applyKeyValueOptions(cfg, options))
    return std::move(e);
  return cfg;
}
