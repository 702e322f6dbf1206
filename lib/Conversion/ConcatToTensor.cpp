//===- ConcatToTensor.cpp - tosa.concat -> tensor.concat ------------------===//
//
// --bitmod-concat-to-tensor: rewrites every ranked `tosa.concat` into one
// upstream `tensor.concat` (same operands, same axis) before tosa-to-tensor
// runs.
//
// Why: LLVM 22's tosa-to-tensor lowers a concat of N operands into a chain
// of N `tensor.insert_slice` ops threaded through their destinations. All
// the links of the chain are in one alias set, and One-Shot Bufferize's
// in-place analysis re-walks the chain (findValueInReverseUseDefChain from
// areNonConflictingSubsets) for every read/write pair of the set, so its
// cost grows roughly with the fourth power of N (upstream issue
// llvm/llvm-project#81959, still open). The ONNX importer splits grouped
// convolutions into one conv per group and concatenates the results, which
// gives chains of up to 200 links on the PaddleOCR classifier: its
// bufferization took ~90 s. `tensor.concat` is a single op with its own
// upstream BufferizableOpInterface model (allocation + one copy into a
// subview per operand, the same buffers and copies the in-place insert_slice
// chain bufferizes to), so the analysis has nothing to walk: ~0.6 s.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Conversion/Passes.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODCONCATTOTENSOR
#include "bitmod/Conversion/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;

namespace {

struct ConcatToTensorPass
    : public bitmod::impl::BitMoDConcatToTensorBase<ConcatToTensorPass> {
  void runOnOperation() override {
    SmallVector<tosa::ConcatOp> concats;
    getOperation()->walk([&](tosa::ConcatOp op) { concats.push_back(op); });
    for (tosa::ConcatOp op : concats) {
      // Unranked operands or result: leave it to tosa-to-tensor.
      auto resultType = dyn_cast<RankedTensorType>(op.getType());
      if (!resultType || !llvm::all_of(op.getInput1().getTypes(), [](Type t) {
            return isa<RankedTensorType>(t);
          }))
        continue;
      OpBuilder b(op);
      // The builder infers the result type from the operands; the tosa op
      // may declare a more static (or more dynamic) one.
      Value concat = tensor::ConcatOp::create(b, op.getLoc(), op.getAxis(),
                                              op.getInput1());
      if (concat.getType() != resultType)
        concat = tensor::CastOp::create(b, op.getLoc(), resultType, concat);
      op.replaceAllUsesWith(concat);
      op.erase();
    }
  }
};

} // namespace
