//===- WeightBlock.cpp - Weight block layout and packing ------------------===//

#include "bitmod/ISA/WeightBlock.h"

#include "bitmod/Quant/Quantizer.h"

#include "llvm/Support/FormatVariadic.h"

#include <cstring>

using namespace bitmod;
using namespace bitmod::isa;
using llvm::createStringError;
using llvm::Error;
using llvm::Expected;

static uint64_t alignTo16(uint64_t v) { return (v + 15) / 16 * 16; }

Expected<WeightBlockLayout>
isa::getWeightBlockLayout(const ConfigFields &config, uint32_t n,
                          uint32_t kGroups) {
  quant::DataType dt = config.dtype;
  if (unsigned(dt) >= quant::kNumDataTypes)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "invalid data type code %u", unsigned(dt));
  if (dt == quant::DataType::fp16)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "data type fp16 is not supported by the BitMoD "
                             "bit-serial datapath");
  if (n == 0 || kGroups == 0)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "empty weight block (n=%u, k_groups=%u)", n,
                             kGroups);
  unsigned G = config.groupSize;
  if (G == 0 || G % 8)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "group size %u is not a positive multiple of 8",
                             G);
  if (unsigned req = quant::getRequiredGroupSize(dt); req && req != G)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "data type %s requires group size %u, "
                             "config has %u",
                             std::string(quant::getName(dt)).c_str(), req, G);
  bool mx = quant::isMXType(dt);
  if (!mx && config.scaleBits != 0 && config.scaleBits < 4)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "scale bits %u not in {0, 4..8}",
                             config.scaleBits);

  WeightBlockLayout l;
  l.n = n;
  l.kGroups = kGroups;
  l.groupSize = G;
  l.codeBits = quant::getCodeBits(dt);
  uint64_t entries = uint64_t(n) * kGroups;
  uint64_t rowBytes = uint64_t(kGroups) * G * l.codeBits / 8;
  uint64_t off = 0;
  uint64_t codes = uint64_t(n) * rowBytes;
  off = alignTo16(codes);
  uint64_t scaleEntry = (mx || config.scaleBits > 0) ? 1 : 4;
  uint64_t scalesOff = off, scales = entries * scaleEntry;
  off = alignTo16(off + scales);
  uint64_t zpOff = off, zp = quant::isAsymmetric(dt) ? entries : 0;
  off = alignTo16(off + zp);
  uint64_t selOff = off,
           sel = quant::hasSelector(dt) ? uint64_t(n) * ((kGroups + 3) / 4) : 0;
  off = alignTo16(off + sel);
  uint64_t csOff = off,
           cs = (!mx && config.scaleBits > 0) ? uint64_t(n) * 4 : 0;
  off = alignTo16(off + cs);
  if (off > (uint64_t(1) << kWgtBytesBits) - 1)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "weight block of %u channels x %u groups needs "
                             "%llu bytes, more than a LOAD_WGT can move",
                             n, kGroups, (unsigned long long)off);
  l.codeRowBytes = rowBytes;
  l.codesOffset = 0;
  l.codesBytes = codes;
  l.scaleEntryBytes = scaleEntry;
  l.scalesOffset = scalesOff;
  l.scalesBytes = scales;
  l.zeroPointsOffset = zpOff;
  l.zeroPointsBytes = zp;
  l.selectorsOffset = selOff;
  l.selectorsBytes = sel;
  l.channelScalesOffset = csOff;
  l.channelScalesBytes = cs;
  l.totalBytes = off;
  return l;
}

std::array<int8_t, 4> isa::getDefaultSpecialValues(quant::DataType dtype) {
  return quant::getDefaultSpecialValues(dtype);
}

Expected<ConfigFields>
isa::getConfigForWeights(const quant::PackedWeights &weights) {
  ConfigFields c;
  c.dtype = weights.dtype;
  c.groupSize = weights.getGroupSize();
  c.scaleBits = quant::isMXType(weights.dtype) ? 0 : weights.scaleBits;
  c.sv = weights.getSpecialValues();
  if (weights.dtype == quant::DataType::fp16)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "fp16 weights cannot run on the BitMoD datapath");
  if (c.groupSize == 0 || c.groupSize % 8 ||
      c.groupSize > (1u << kGroupSizeBits) - 1)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "group size %u is not a multiple of 8 below 4096",
                             c.groupSize);
  return c;
}

static void writeF32(uint8_t *dst, float v) { std::memcpy(dst, &v, 4); }

Expected<std::vector<uint8_t>>
isa::packWeightBlock(const quant::PackedWeights &w, const ConfigFields &config,
                     int64_t n0, uint32_t n, int64_t g0, uint32_t kGroups) {
  if (w.dtype != config.dtype)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "weights are %s but the config is %s",
                             std::string(quant::getName(w.dtype)).c_str(),
                             std::string(quant::getName(config.dtype)).c_str());
  if (w.getGroupSize() != config.groupSize)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "weights use group size %u but the config %u",
                             w.getGroupSize(), config.groupSize);
  bool mx = quant::isMXType(w.dtype);
  if (!mx && ((w.scaleBits > 0) != (config.scaleBits > 0)))
    return createStringError(llvm::inconvertibleErrorCode(),
                             "weights have scale bits %u but the config %u",
                             w.scaleBits, config.scaleBits);
  if (n0 < 0 || g0 < 0 || n0 + int64_t(n) > w.rows || g0 > w.getNumGroups())
    return createStringError(
        llvm::inconvertibleErrorCode(),
        "block rows [%lld, %lld) groups from %lld outside the %lld x %lld "
        "group tensor",
        (long long)n0, (long long)(n0 + n), (long long)g0, (long long)w.rows,
        (long long)w.getNumGroups());
  auto layoutOr = getWeightBlockLayout(config, n, kGroups);
  if (!layoutOr)
    return layoutOr.takeError();
  const WeightBlockLayout &l = *layoutOr;
  std::vector<uint8_t> out(l.totalBytes, 0);
  int64_t numGroups = w.getNumGroups();
  int64_t validGroups = std::min<int64_t>(kGroups, numGroups - g0);
  unsigned G = config.groupSize;
  uint64_t groupBytes = uint64_t(G) * l.codeBits / 8;
  for (uint32_t r = 0; r < n; ++r) {
    int64_t row = n0 + r;
    const uint8_t *src =
        w.codes.data() + row * w.layout.rowCodeBytes + g0 * groupBytes;
    std::memcpy(out.data() + l.codesOffset + uint64_t(r) * l.codeRowBytes, src,
                validGroups * groupBytes);
    for (int64_t g = 0; g < validGroups; ++g) {
      int64_t sg = g0 + g;
      uint64_t e = uint64_t(r) * kGroups + g;
      int64_t se = row * numGroups + sg;
      if (mx)
        out[l.scalesOffset + e] = uint8_t(w.sharedExponents[se]);
      else if (config.scaleBits > 0)
        out[l.scalesOffset + e] = uint8_t(w.groupScaleCodes[se]);
      else
        writeF32(&out[l.scalesOffset + 4 * e], w.groupScales[se]);
      if (l.zeroPointsBytes)
        out[l.zeroPointsOffset + e] = uint8_t(w.getZeroPoint(row, sg));
      if (l.selectorsBytes) {
        uint64_t byte =
            l.selectorsOffset + uint64_t(r) * ((kGroups + 3) / 4) + g / 4;
        out[byte] |= uint8_t((w.getSelector(row, sg) & 3) << (2 * (g % 4)));
      }
    }
    if (l.channelScalesBytes)
      writeF32(&out[l.channelScalesOffset + 4 * r], w.channelScales[row]);
  }
  return out;
}
