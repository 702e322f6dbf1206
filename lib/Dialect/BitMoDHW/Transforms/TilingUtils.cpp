//===- TilingUtils.cpp - Shared blocking arithmetic of the HW passes ------===//

#include "TilingUtils.h"

#include "bitmod/ISA/WeightBlock.h"
#include "bitmod/Support/Error.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::hw;
namespace isa = ::bitmod::isa;
namespace arch = ::bitmod::arch;
namespace sim = ::bitmod::sim;
using ::bitmod::makeError;

llvm::Expected<GemmInfo> hw::getGemmInfo(GroupedMatmulOp op, StringRef name,
                                         const arch::AccelConfig &cfg) {
  GemmInfo g;
  g.name = name.str();
  auto inTy = op.getInput().getType();
  auto outTy = op.getResult().getType();
  auto wTy = op.getWeights().getType();
  if (!inTy.hasStaticShape() || !outTy.hasStaticShape())
    return makeError("dynamic shapes cannot be tiled");
  g.K = uint64_t(wTy.getCols());
  g.N = uint64_t(wTy.getRows());
  g.M = 1;
  for (int64_t d : inTy.getShape().drop_back())
    g.M *= uint64_t(d);
  if (g.M == 0 || g.N == 0 || g.K == 0)
    return makeError("empty GEMM");
  Type elem = outTy.getElementType();
  if (!elem.isF32() && !elem.isF16())
    return makeError("result element type must be f32 or f16");
  g.outElem = elem.isF16() ? 2 : 4;
  ::bitmod::quant::DataType dtype = toQuantType(wTy.getDtype());
  if (dtype == ::bitmod::quant::DataType::fp16)
    return makeError("fp16 weights cannot run on the bit-serial array");
  g.G = wTy.getGroupSize();
  // The CONFIG instruction's fields, checked here rather than by the
  // encoder after tiling and scheduling.
  const isa::FieldInfo &groupField =
      isa::getFieldInfo(isa::FieldId::config_groupSize);
  if (g.G < groupField.min || g.G > groupField.max)
    return makeError(llvm::formatv(
        "group size {0} is outside the accelerator's [{1}, {2}] (the "
        "group_size field of CONFIG)",
        g.G, groupField.min, groupField.max));
  if (wTy.getScaleBits() == 0 && !::bitmod::quant::isMXType(dtype))
    return makeError("float group scales (scale-bits=0) are not a hardware "
                     "format: the accelerator takes 4..8-bit integer group "
                     "scales");
  g.numGroups = uint64_t(wTy.getNumGroups());
  g.config.dtype = dtype;
  g.config.groupSize = g.G;
  g.config.scaleBits = wTy.getScaleBits();
  g.config.sv = wTy.getSpecialValueSet();
  auto spec = sim::getBitMoDWeightSpec(cfg, dtype, g.G);
  if (!spec)
    return spec.takeError();
  g.spec = *spec;
  // The cost model assumes cfg.scaleBits-bit group scales.
  if (!::bitmod::quant::isMXType(dtype))
    g.spec.bitsPerWeight +=
        (double(wTy.getScaleBits()) - double(cfg.scaleBits)) / g.G;
  return g;
}

arch::ArrayShape hw::getShape(const arch::AccelConfig &cfg,
                              Arrangement arrangement) {
  return cfg.getArrayShape(arrangement == Arrangement::gen
                               ? arch::ArrayArrangement::Generative
                               : arch::ArrayArrangement::Discriminative);
}

arch::ArrayArrangement hw::toArrayArrangement(Arrangement a) {
  return a == Arrangement::gen ? arch::ArrayArrangement::Generative
                               : arch::ArrayArrangement::Discriminative;
}

Arrangement hw::toHWArrangement(arch::ArrayArrangement a) {
  return a == arch::ArrayArrangement::Generative ? Arrangement::gen
                                                 : Arrangement::disc;
}

sim::PlanOrder hw::toPlanOrder(BlockingOrder o) {
  switch (o) {
  case BlockingOrder::act_resident:
    return sim::PlanOrder::ActResident;
  case BlockingOrder::wgt_resident:
    return sim::PlanOrder::WgtResident;
  case BlockingOrder::out_block:
    break;
  }
  return sim::PlanOrder::OutBlock;
}

BlockingOrder hw::toHWOrder(sim::PlanOrder o) {
  switch (o) {
  case sim::PlanOrder::ActResident:
    return BlockingOrder::act_resident;
  case sim::PlanOrder::WgtResident:
    return BlockingOrder::wgt_resident;
  case sim::PlanOrder::OutBlock:
    break;
  }
  return BlockingOrder::out_block;
}
