//===- QuantizePassTest.cpp - --bitmod-quantize vs the library --*- C++ -*-===//
//
// The weights the pass stores must dequantize to exactly what the
// quantization library's fake quantization produces, for every data type.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"
#include "bitmod/Dialect/BitMoD/Transforms/Passes.h"
#include "bitmod/Dialect/BitMoD/Transforms/WeightsUtils.h"
#include "bitmod/Quant/Quantizer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include "gtest/gtest.h"

#include <random>

using namespace mlir;
using namespace mlir::bitmod;

namespace {

struct Case {
  const char *dtype;
  unsigned groupSize;
  unsigned scaleBits;
};

class QuantizePassTest : public ::testing::TestWithParam<Case> {};

TEST_P(QuantizePassTest, DequantizedWeightsEqualFakeQuant) {
  const Case &c = GetParam();
  constexpr int64_t kN = 24, kK = 200; // K not a multiple of the group size
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal(0.f, 0.02f);
  std::vector<float> weights(kN * kK);
  for (float &w : weights)
    w = normal(rng);
  weights[5] = 0.25f; // an outlier, so groups differ

  MLIRContext ctx;
  ctx.loadDialect<BitMoDDialect, arith::ArithDialect, func::FuncDialect>();
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  ModuleOp module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module.getBody());
  auto xType = RankedTensorType::get({3, kK}, b.getF32Type());
  auto wType = RankedTensorType::get({kN, kK}, b.getF32Type());
  auto yType = RankedTensorType::get({3, kN}, b.getF32Type());
  auto func =
      func::FuncOp::create(b, loc, "f", b.getFunctionType({xType}, {yType}));
  b.setInsertionPointToEnd(func.addEntryBlock());
  Value w = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(wType, ArrayRef<float>(weights)));
  Value y = LinearOp::create(b, loc, yType, func.getArgument(0), w, Value(),
                             b.getStringAttr("fc"));
  func::ReturnOp::create(b, loc, y);

  PassManager pm(&ctx);
  BitMoDQuantizeOptions options;
  options.dtype = c.dtype;
  options.groupSize = c.groupSize;
  options.scaleBits = c.scaleBits;
  pm.addPass(createBitMoDQuantize(options));
  ASSERT_TRUE(succeeded(pm.run(module)));

  WeightsOp weightsOp;
  module.walk([&](WeightsOp op) { weightsOp = op; });
  ASSERT_TRUE(weightsOp);
  FailureOr<quant::PackedWeights> packed = getPackedWeights(weightsOp);
  ASSERT_TRUE(succeeded(packed));
  std::vector<float> fromIR = quant::dequantize(*packed);

  quant::QuantConfig config;
  config.dtype = *quant::parseDataType(c.dtype);
  config.groupSize = c.groupSize;
  config.scaleBits = c.scaleBits;
  llvm::Expected<std::vector<float>> reference =
      quant::fakeQuantize(weights, kN, kK, config);
  ASSERT_TRUE(static_cast<bool>(reference))
      << llvm::toString(reference.takeError());
  ASSERT_EQ(fromIR.size(), reference->size());
  for (size_t i = 0; i < fromIR.size(); ++i)
    ASSERT_EQ(fromIR[i], (*reference)[i]) << c.dtype << " element " << i;
  module.erase();
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes, QuantizePassTest,
    ::testing::Values(Case{"bitmod3", 128, 8}, Case{"bitmod4", 128, 8},
                      Case{"bitmod3", 64, 0}, Case{"int8", 128, 8},
                      Case{"int6", 128, 8}, Case{"int4_asym", 128, 8},
                      Case{"int3_asym", 32, 0}, Case{"fp4_ea_neg", 128, 8},
                      Case{"flint4", 128, 8}, Case{"mxfp4", 32, 8},
                      Case{"mxint4", 32, 8}, Case{"fp6_e3m2", 128, 8}),
    [](const ::testing::TestParamInfo<Case> &info) {
      return std::string(info.param.dtype) + "_g" +
             std::to_string(info.param.groupSize) + "_s" +
             std::to_string(info.param.scaleBits);
    });

} // namespace
