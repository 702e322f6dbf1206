//===- Pipelines.cpp - BitMoD pass pipelines ------------------------------===//
//
// The accelerator mapping and the host lowering (upstream passes for
// everything that is not BitMoD; docs/host-lowering.md gives the order and
// the reasons behind each BitMoD step).
//
//===----------------------------------------------------------------------===//

#include "bitmod/Compiler/Pipelines.h"
#include "bitmod/Conversion/ONNXToTOSA/ONNXToTOSA.h"
#include "bitmod/Conversion/Passes.h"
#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"
#include "bitmod/Dialect/BitMoD/Transforms/Passes.h"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWDialect.h"
#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h"
#include "bitmod/Dialect/ONNX/IR/ONNXDialect.h"

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
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::bitmod;

void mlir::bitmod::populateAccelPipeline(OpPassManager &pm,
                                         const AccelPipelineOptions &options) {
  BitMoDQuantizeOptions quantize;
  quantize.dtype = options.dtype;
  quantize.groupSize = options.groupSize;
  quantize.scaleBits = options.scaleBits;
  quantize.dtypeConfig = options.dtypeConfig;
  quantize.method = options.method;
  quantize.calibStats = options.calibStats;
  quantize.sv = options.sv;
  quantize.svSearch = options.svSearch;
  pm.addPass(createBitMoDQuantize(quantize));
  BitMoDTileOptions tile;
  tile.accel = options.accel;
  pm.addPass(createBitMoDTile(tile));
  pm.addPass(createBitMoDBitSerialSchedule());
}

void mlir::bitmod::populateLowerToHostPipeline(OpPassManager &pm) {
  pm.addPass(createBitMoDLowerToHost());
}

void mlir::bitmod::populateHostToEmitCPipeline(
    OpPassManager &pm, const HostToEmitCOptions &options) {
  // BitMoD ops the accelerator mapping left on the host (fp16 layers,
  // non-constant weights) -> linalg, as --dtype=none lowers all of them.
  pm.addPass(createBitMoDLowerToHost());
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

  // Functions of a few dozen loops: C++ compilers optimize one function
  // with thousands of loops in super-linear time.
  pm.addPass(createBitMoDOutlineHostSegments());

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
/// Command-line form of AccelPipelineOptions.
struct AccelPipelineCLOptions
    : public PassPipelineOptions<AccelPipelineCLOptions> {
  Option<std::string> dtype{*this, "dtype", llvm::cl::desc("Weight data type"),
                            llvm::cl::init(AccelPipelineOptions().dtype)};
  Option<unsigned> groupSize{*this, "group-size",
                             llvm::cl::desc("Weights per group along K"),
                             llvm::cl::init(AccelPipelineOptions().groupSize)};
  Option<unsigned> scaleBits{*this, "scale-bits",
                             llvm::cl::desc("Bits of the group scales"),
                             llvm::cl::init(AccelPipelineOptions().scaleBits)};
  Option<std::string> dtypeConfig{
      *this, "dtype-config",
      llvm::cl::desc("JSON file with per-layer data types")};
  Option<std::string> sv{*this, "sv",
                         llvm::cl::desc("Special-value set, e.g. 3,-3,8,-8")};
  Option<std::string> svSearch{
      *this, "sv-search",
      llvm::cl::desc("Special-value search: none, layer or model"),
      llvm::cl::init("none")};
  Option<std::string> accel{*this, "accel",
                            llvm::cl::desc("Accelerator description JSON")};
};

/// Command-line form of HostToEmitCOptions.
struct HostToEmitCCLOptions : public PassPipelineOptions<HostToEmitCCLOptions> {
  Option<uint64_t> maxInlineBytes{
      *this, "max-inline-bytes",
      llvm::cl::desc("Largest constant (bytes) emitted as a C++ array "
                     "initializer"),
      llvm::cl::init(HostToEmitCOptions().maxInlineBytes)};
};
} // namespace

void mlir::bitmod::registerBitMoDPipelines() {
  PassPipelineRegistration<AccelPipelineCLOptions>(
      "bitmod-accel-pipeline",
      "Quantize linear layers, tile them onto the PE array and schedule the "
      "bit-serial work (bitmod.linear -> bitmod_hw.launch)",
      [](OpPassManager &pm, const AccelPipelineCLOptions &cl) {
        AccelPipelineOptions options;
        options.dtype = cl.dtype;
        options.groupSize = cl.groupSize;
        options.scaleBits = cl.scaleBits;
        options.dtypeConfig = cl.dtypeConfig;
        options.sv = cl.sv;
        options.svSearch = cl.svSearch;
        options.accel = cl.accel;
        populateAccelPipeline(pm, options);
      });
  PassPipelineRegistration<HostToEmitCCLOptions>(
      "bitmod-host-to-emitc",
      "Lower a compiled BitMoD module (host ops + bitmod_hw.launch) to EmitC "
      "for --mlir-to-cpp",
      [](OpPassManager &pm, const HostToEmitCCLOptions &cl) {
        HostToEmitCOptions options;
        options.maxInlineBytes = cl.maxInlineBytes;
        populateHostToEmitCPipeline(pm, options);
      });
}

void mlir::bitmod::registerAllBitMoDPasses() {
  registerAllPasses();
  registerBitMoDPasses();
  registerBitMoDHWPasses();
  registerBitMoDConversionPasses();
  registerBitMoDONNXToTOSAPasses();
  registerBitMoDPipelines();
}

void mlir::bitmod::registerAllBitMoDDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<BitMoDDialect, hw::BitMoDHWDialect,
                  onnx_ir::BitMoDONNXDialect>();
}
