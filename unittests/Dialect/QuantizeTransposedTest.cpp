//===- QuantizeTransposedTest.cpp - bitmod-quantize through a transpose ---===//
//
// A linear whose weight is tosa.transpose {perms = [1, 0]} of a [K, N]
// constant (how the importer keeps large MatMul weights, without a copy)
// quantizes to the same bytes as the library on the [N, K] transpose, and
// the transpose and its constant are erased.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"
#include "bitmod/Dialect/BitMoD/Transforms/Passes.h"
#include "bitmod/Dialect/BitMoD/Transforms/WeightsUtils.h"
#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Support/Half.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include "gtest/gtest.h"

#include <random>

namespace bq = ::bitmod::quant;
namespace bm = ::mlir::bitmod;
using namespace mlir;

namespace {

/// f32 or f16 weights. N spans two of the pass's row blocks (4096 rows each
/// at this K) and K is no multiple of its 64-column transpose tiles (nor of 8).
class QuantizeTransposedTest : public ::testing::TestWithParam<bool> {};

TEST_P(QuantizeTransposedTest, EqualsTheLibraryOnTheTransposedTensor) {
  bool half = GetParam();
  constexpr int64_t kN = 4100, kK = 204;
  std::mt19937 rng(99);
  std::normal_distribution<float> normal(0.f, 0.02f);
  std::vector<float> kn(kN * kK), nk(kN * kK);
  std::vector<uint16_t> knHalf(kN * kK);
  for (int64_t k = 0; k < kK; ++k)
    for (int64_t n = 0; n < kN; ++n) {
      float v = normal(rng) * ((n * 7 + k) % 331 == 0 ? 20.f : 1.f);
      knHalf[k * kN + n] = ::bitmod::support::floatToHalf(v);
      if (half)
        v = ::bitmod::support::halfToFloat(knHalf[k * kN + n]);
      kn[k * kN + n] = nk[n * kK + k] = v;
    }

  MLIRContext ctx;
  ctx.loadDialect<bm::BitMoDDialect, arith::ArithDialect, func::FuncDialect,
                  tosa::TosaDialect>();
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  ModuleOp module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module.getBody());
  Type elem = half ? Type(b.getF16Type()) : Type(b.getF32Type());
  auto xType = RankedTensorType::get({1, kK}, elem);
  auto knType = RankedTensorType::get({kK, kN}, elem);
  auto nkType = RankedTensorType::get({kN, kK}, elem);
  auto yType = RankedTensorType::get({1, kN}, elem);
  auto func =
      func::FuncOp::create(b, loc, "f", b.getFunctionType({xType}, {yType}));
  b.setInsertionPointToEnd(func.addEntryBlock());
  ArrayRef<char> bytes =
      half ? ArrayRef<char>(reinterpret_cast<const char *>(knHalf.data()),
                            knHalf.size() * 2)
           : ArrayRef<char>(reinterpret_cast<const char *>(kn.data()),
                            kn.size() * 4);
  Value w = arith::ConstantOp::create(
      b, loc, cast<TypedAttr>(bm::makeElementsAttr(knType, bytes, "w")));
  Value wt = tosa::TransposeOp::create(b, loc, nkType, w,
                                       b.getDenseI32ArrayAttr({1, 0}));
  Value y = bm::LinearOp::create(b, loc, yType, func.getArgument(0), wt,
                                 Value(), b.getStringAttr("fc"));
  func::ReturnOp::create(b, loc, y);

  PassManager pm(&ctx);
  bm::BitMoDQuantizeOptions options;
  options.dtype = "bitmod3";
  pm.addPass(bm::createBitMoDQuantize(options));
  ASSERT_TRUE(succeeded(pm.run(module)));
  bm::WeightsOp weightsOp;
  module.walk([&](bm::WeightsOp op) { weightsOp = op; });
  ASSERT_TRUE(weightsOp);
  int leftOver = 0;
  module.walk([&](Operation *op) {
    leftOver += isa<tosa::TransposeOp, arith::ConstantOp>(op);
  });
  EXPECT_EQ(leftOver, 0);
  FailureOr<bq::PackedWeights> packed = bm::getPackedWeights(weightsOp);
  ASSERT_TRUE(succeeded(packed));

  bq::QuantConfig config;
  config.dtype = bq::DataType::bitmod3;
  llvm::Expected<bq::PackedWeights> reference =
      bq::quantize(nk, kN, kK, config);
  ASSERT_TRUE(static_cast<bool>(reference))
      << llvm::toString(reference.takeError());
  EXPECT_EQ(bq::serializePacked(*packed), bq::serializePacked(*reference));
  module.erase();
}

INSTANTIATE_TEST_SUITE_P(F32AndF16, QuantizeTransposedTest,
                         ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool> &info) {
                           return info.param ? "f16" : "f32";
                         });

} // namespace
