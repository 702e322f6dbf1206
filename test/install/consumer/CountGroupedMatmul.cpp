//===- CountGroupedMatmul.cpp - a downstream pass on the bitmod dialect ---===//
//
// Parses a module, runs a pass that walks every bitmod.grouped_matmul and
// prints its name, weight shape and data type, then the count.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace {
struct CountGroupedMatmulPass
    : PassWrapper<CountGroupedMatmulPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CountGroupedMatmulPass)
  StringRef getArgument() const final { return "count-grouped-matmul"; }
  void runOnOperation() override {
    unsigned count = 0;
    getOperation()->walk([&](mlir::bitmod::GroupedMatmulOp op) {
      ++count;
      llvm::outs() << "grouped_matmul ";
      if (auto name = op->getAttrOfType<StringAttr>("name"))
        llvm::outs() << name.getValue() << " ";
      llvm::outs() << op->getOperand(1).getType() << "\n";
    });
    llvm::outs() << "count " << count << "\n";
  }
};
} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    llvm::errs() << "usage: count-grouped-matmul file.mlir\n";
    return 2;
  }
  DialectRegistry registry;
  registry.insert<mlir::bitmod::BitMoDDialect, func::FuncDialect>();
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(argv[1], sourceMgr, &context);
  if (!module)
    return 1;
  PassManager pm(&context);
  pm.addPass(std::make_unique<CountGroupedMatmulPass>());
  return failed(pm.run(*module)) ? 1 : 0;
}
