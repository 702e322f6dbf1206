//===- MathToLibm.cpp - math ops without EmitC lowering -> <math.h> -------===//
//
// --bitmod-math-to-libm: upstream math-to-emitc (LLVM 22) covers exp, floor,
// ceil, round, trig, abs, fma and powf but not erf, tanh, sqrt, rsqrt, log
// and friends, which the ONNX importer emits. They become calls of the C
// math library through emitc.call_opaque: no declaration is emitted (the
// functions come from <math.h>, which --bitmod-finalize-host-cpp includes),
// so there is no clash with the library's own C-linkage declarations.
//
// arith.remf (ONNX Mod with fmod = 1) becomes fmod / fmodf the same way.
//
// f16 and bf16 math ops are computed in f32 (widen, call, round once).
//
// math.ipowi (ONNX Pow on integers) has no C library counterpart; upstream
// math-to-funcs expands it into a multi-block function that the C++
// emitter cannot print. It becomes an inline square-and-multiply scf.for
// over the exponent's bits instead, which scf-to-emitc turns into a plain
// for loop.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Conversion/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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
      // arith.remf (ONNX Mod with fmod = 1) has no EmitC lowering either.
      .Case([](arith::RemFOp) { return "fmod"; })
      .Default([](Operation *) { return StringRef(); });
}

/// Expands `math.ipowi %x, %e` on a scalar integer of width W into
///
///   r = 1, p = x
///   for i in [0, W-1): if ((e >> i) & 1) r *= p;  p *= p
///   e < 0: x == 1 -> 1, x == -1 -> (e odd ? -1 : 1), otherwise 0
///
/// Multiplications wrap (arith semantics; arith-to-emitc computes them in
/// unsigned C types). A negative exponent of 0 gives 0: math.ipowi leaves
/// it undefined, the C++ must not trap.
Value expandIPowI(OpBuilder &b, math::IPowIOp op) {
  Location loc = op.getLoc();
  Value base = op.getLhs(), exponent = op.getRhs();
  auto type = cast<IntegerType>(base.getType());
  unsigned width = type.getWidth();
  auto constant = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v));
  };
  Value zero = constant(0), one = constant(1), minusOne = constant(-1);
  Value lower = arith::ConstantIndexOp::create(b, loc, 0);
  Value upper = arith::ConstantIndexOp::create(b, loc, width - 1);
  Value step = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, lower, upper, step, ValueRange{one, base},
      [&](OpBuilder &nb, Location nloc, Value iv, ValueRange iter) {
        Value shift = arith::IndexCastOp::create(nb, nloc, type, iv);
        Value bit = arith::AndIOp::create(
            nb, nloc, arith::ShRUIOp::create(nb, nloc, exponent, shift), one);
        Value isSet = arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::ne,
                                            bit, zero);
        Value product = arith::MulIOp::create(nb, nloc, iter[0], iter[1]);
        Value result =
            arith::SelectOp::create(nb, nloc, isSet, product, iter[0]);
        Value square = arith::MulIOp::create(nb, nloc, iter[1], iter[1]);
        scf::YieldOp::create(nb, nloc, ValueRange{result, square});
      });
  auto eq = [&](Value l, Value r) -> Value {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, l, r);
  };
  Value isOdd =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                            arith::AndIOp::create(b, loc, exponent, one), zero);
  Value minusOnePow = arith::SelectOp::create(b, loc, isOdd, minusOne, one);
  Value negative = arith::SelectOp::create(
      b, loc, eq(base, one), one,
      arith::SelectOp::create(b, loc, eq(base, minusOne), minusOnePow, zero));
  Value isNegative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, exponent, zero);
  return arith::SelectOp::create(b, loc, isNegative, negative,
                                 loop.getResult(0));
}

/// Computes a math op (or arith.remf) on f16/bf16 scalars in f32: the
/// operands are widened (exact) and the result rounded once to the op's
/// type, as C evaluates <math.h> functions of _Float16 values. Neither
/// the C library nor upstream math-to-emitc has half-precision functions.
void widenHalfMath(Operation *root) {
  SmallVector<Operation *> ops;
  root->walk([&](Operation *op) {
    if ((!isa_and_nonnull<math::MathDialect>(op->getDialect()) &&
         !isa<arith::RemFOp>(op)) ||
        op->getNumResults() != 1 || op->getNumRegions() != 0)
      return;
    Type type = op->getResult(0).getType();
    if (type.isF16() || type.isBF16())
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    Type type = op->getResult(0).getType();
    Type f32 = b.getF32Type();
    SmallVector<Value> operands;
    for (Value v : op->getOperands())
      operands.push_back(
          v.getType() == type ? arith::ExtFOp::create(b, loc, f32, v) : v);
    OperationState state(loc, op->getName(), operands, TypeRange{f32},
                         op->getAttrs());
    Operation *wide = b.create(state);
    Value narrow = arith::TruncFOp::create(b, loc, type, wide->getResult(0));
    op->getResult(0).replaceAllUsesWith(narrow);
    op->erase();
  }
}

struct MathToLibmPass
    : public mlir::bitmod::impl::BitMoDMathToLibmBase<MathToLibmPass> {
  void runOnOperation() override {
    widenHalfMath(getOperation());
    SmallVector<math::IPowIOp> powers;
    getOperation()->walk([&](math::IPowIOp op) {
      if (isa<IntegerType>(op.getType()))
        powers.push_back(op);
    });
    for (math::IPowIOp op : powers) {
      OpBuilder b(op);
      op.replaceAllUsesWith(expandIPowI(b, op));
      op.erase();
    }
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if ((isa_and_nonnull<math::MathDialect>(op->getDialect()) ||
           isa<arith::RemFOp>(op)) &&
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
