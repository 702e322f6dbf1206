//===- MathToLibm.cpp - math ops without EmitC lowering -> <math.h> -------===//
//
// --bitmod-math-to-libm: upstream math-to-emitc (LLVM 22) covers exp, floor,
// ceil, round, trig, abs, fma and powf but not erf, tanh, sqrt, rsqrt, log
// and friends, which the ONNX importer emits. They become calls of the C
// math library through emitc.call_opaque: no declaration is emitted (the
// functions come from <math.h>, which --bitmod-finalize-host-cpp includes),
// so there is no clash with the library's own C-linkage declarations.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Conversion/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODMATHTOLIBM
#include "bitmod/Conversion/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;

namespace {

/// The <math.h> name of a unary or binary math op, or empty.
StringRef getLibmName(Operation *op) {
  return llvm::TypeSwitch<Operation *, StringRef>(op)
      .Case([](math::ErfOp) { return "erf"; })
      .Case([](math::ErfcOp) { return "erfc"; })
      .Case([](math::TanhOp) { return "tanh"; })
      .Case([](math::SinhOp) { return "sinh"; })
      .Case([](math::CoshOp) { return "cosh"; })
      .Case([](math::TanOp) { return "tan"; })
      .Case([](math::AtanOp) { return "atan"; })
      .Case([](math::AsinhOp) { return "asinh"; })
      .Case([](math::AcoshOp) { return "acosh"; })
      .Case([](math::AtanhOp) { return "atanh"; })
      .Case([](math::SqrtOp) { return "sqrt"; })
      .Case([](math::CbrtOp) { return "cbrt"; })
      .Case([](math::LogOp) { return "log"; })
      .Case([](math::Log2Op) { return "log2"; })
      .Case([](math::Log10Op) { return "log10"; })
      .Case([](math::Log1pOp) { return "log1p"; })
      .Case([](math::Exp2Op) { return "exp2"; })
      .Case([](math::ExpM1Op) { return "expm1"; })
      .Case([](math::TruncOp) { return "trunc"; })
      .Case([](math::RoundEvenOp) { return "nearbyint"; })
      .Case([](math::PowFOp) { return "pow"; })
      .Default([](Operation *) { return StringRef(); });
}

struct MathToLibmPass
    : public mlir::bitmod::impl::BitMoDMathToLibmBase<MathToLibmPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa_and_nonnull<math::MathDialect>(op->getDialect()) &&
          op->getNumResults() == 1 &&
          (getLibmName(op).size() || isa<math::RsqrtOp>(op)))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      Type type = op->getResult(0).getType();
      if (!type.isF32() && !type.isF64())
        continue; // left to upstream patterns, which report it
      std::string suffix = type.isF32() ? "f" : "";
      OpBuilder b(op);
      Location loc = op->getLoc();
      if (auto rsqrt = dyn_cast<math::RsqrtOp>(op)) {
        Value root = emitc::CallOpaqueOp::create(b, loc, type, "sqrt" + suffix,
                                                 rsqrt.getOperand())
                         .getResult(0);
        Value one = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 1));
        Value inv = arith::DivFOp::create(b, loc, one, root);
        rsqrt.replaceAllUsesWith(inv);
        rsqrt.erase();
        continue;
      }
      // nearbyint honours the default round-to-nearest-even mode.
      auto call = emitc::CallOpaqueOp::create(
          b, loc, type, (getLibmName(op) + suffix).str(), op->getOperands());
      op->replaceAllUsesWith(call->getResults());
      op->erase();
    }
  }
};

} // namespace
