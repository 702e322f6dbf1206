//===- FinalizeHostCpp.cpp - includes and C linkage for the host C++ ------===//

#include "bitmod/Conversion/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODFINALIZEHOSTCPP
#include "bitmod/Conversion/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;

namespace {

struct FinalizeHostCppPass
    : public mlir::bitmod::impl::BitMoDFinalizeHostCppBase<
          FinalizeHostCppPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The accelerator description lives on in the .bmod; dropping it keeps
    // the host module printable and parseable without the bitmod_hw
    // dialect (e.g. by bitmod-translate --mlir-to-cpp).
    for (NamedAttribute attr : llvm::to_vector(module->getAttrs()))
      if (attr.getName().getValue().starts_with("bitmod_hw."))
        module->removeAttr(attr.getName());
    llvm::StringSet<> present;
    for (auto inc : module.getOps<emitc::IncludeOp>())
      present.insert(inc.getInclude());
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToStart(module.getBody());
    for (StringRef header : {"math.h", "stddef.h", "stdint.h"})
      if (!present.contains(header))
        emitc::IncludeOp::create(b, module.getLoc(), header,
                                 /*isStandardInclude=*/true);
    for (auto func : module.getOps<emitc::FuncOp>()) {
      if (!func->hasAttr(kHostIOAttrName))
        continue;
      SmallVector<Attribute> specifiers;
      if (auto old = func.getSpecifiersAttr())
        specifiers.append(old.begin(), old.end());
      specifiers.push_back(b.getStringAttr("extern \"C\""));
      func.setSpecifiersAttr(b.getArrayAttr(specifiers));
    }
  }
};

} // namespace
