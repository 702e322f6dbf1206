//===- Pipeline.cpp - the bitmod-host-to-emitc pipeline -------------------===//
//
// Upstream passes for everything that is not BitMoD; see
// docs/host-lowering.md for the order and the reasons behind each BitMoD
// step.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Conversion/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ConvertToEmitC/ConvertToEmitCPass.h"
#include "mlir/Conversion/MathToEmitC/MathToEmitCPass.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToEmitC/SCFToEmitC.h"
#include "mlir/Conversion/TosaToArith/TosaToArith.h"
#include "mlir/Conversion/TosaToLinalg/TosaToLinalg.h"
#include "mlir/Conversion/TosaToTensor/TosaToTensor.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::bitmod::buildHostToEmitCPipeline(OpPassManager &pm,
                                            const HostToEmitCOptions &options) {
  // BitMoD: C ABI of the entries, launches -> runtime calls.
  pm.addPass(createBitMoDHostEntry());
  pm.addPass(createBitMoDLaunchToRuntime());

  // TOSA -> linalg/arith/tensor.
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  // tosa.concat -> tensor.concat: tosa-to-tensor's lowering (a chain of N
  // tensor.insert_slice) makes one-shot-bufferize's in-place analysis
  // super-quadratic in N (llvm/llvm-project#81959; the classifier's split
  // grouped convs concat up to 200 operands: 90 s -> 0.6 s).
  fpm.addPass(createBitMoDConcatToTensor());
  fpm.addPass(tosa::createTosaToLinalgNamed());
  fpm.addPass(tosa::createTosaToLinalg());
  fpm.addPass(createTosaToArithPass());
  fpm.addPass(createTosaToTensorPass());
  // Tensor-level arith/math ops of the importer (divf, sqrt, fptosi).
  fpm.addPass(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLinalgGeneralizeNamedOpsPass());

  // Bufferize: identity-layout function boundaries, results -> out-params.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  bufferize.unknownTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  bufferize.bufferAlignment = 0; // memref-to-emitc refuses aligned globals
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.modifyPublicFunctions = true;
  outParams.hoistStaticAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());

  // BitMoD: out-param launches, copies -> loops, allocs -> static buffers,
  // dense_resource -> dense.
  BitMoDPrepareHostBuffersOptions prepare;
  prepare.maxInlineBytes = options.maxInlineBytes;
  pm.addPass(createBitMoDPrepareHostBuffers(prepare));

  // Loops, views folded into loads/stores, affine -> arith.
  pm.nest<func::FuncOp>().addPass(createConvertLinalgToLoopsPass());
  pm.addPass(memref::createFoldMemRefAliasOpsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // EmitC.
  pm.addPass(createBitMoDMathToLibm());
  pm.addPass(createBitMoDRuntimeToEmitC());
  pm.addPass(createSCFToEmitC());
  pm.addPass(createConvertMathToEmitC());
  pm.addPass(createConvertToEmitC());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createBitMoDFinalizeHostCpp());
}

namespace {
struct HostToEmitCPipelineOptions
    : public PassPipelineOptions<HostToEmitCPipelineOptions> {
  Option<uint64_t> maxInlineBytes{
      *this, "max-inline-bytes",
      llvm::cl::desc("Largest constant (bytes) emitted as a C++ array "
                     "initializer"),
      llvm::cl::init(uint64_t(64) << 20)};
};
} // namespace

void mlir::bitmod::registerHostToEmitCPipeline() {
  PassPipelineRegistration<HostToEmitCPipelineOptions>(
      "bitmod-host-to-emitc",
      "Lower a compiled BitMoD module (host ops + bitmod_hw.launch) to EmitC "
      "for --mlir-to-cpp",
      [](OpPassManager &pm, const HostToEmitCPipelineOptions &opts) {
        HostToEmitCOptions options;
        options.maxInlineBytes = opts.maxInlineBytes;
        buildHostToEmitCPipeline(pm, options);
      });
}
