//===- Passes.h - bitmod_hw passes ------------------------------*- C++ -*-===//

#ifndef BITMOD_DIALECT_BITMODHW_TRANSFORMS_PASSES_H
#define BITMOD_DIALECT_BITMODHW_TRANSFORMS_PASSES_H

#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace bitmod {

#define GEN_PASS_DECL
#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h.inc"

/// Options of the accelerator pipeline: quantize, tile, schedule.
struct AccelPipelineOptions
    : public PassPipelineOptions<AccelPipelineOptions> {
  Option<std::string> dtype{*this, "dtype",
                            llvm::cl::desc("Weight data type"),
                            llvm::cl::init("bitmod3")};
  Option<unsigned> groupSize{*this, "group-size",
                             llvm::cl::desc("Weights per group along K"),
                             llvm::cl::init(128)};
  Option<unsigned> scaleBits{*this, "scale-bits",
                             llvm::cl::desc("Bits of the group scales"),
                             llvm::cl::init(8)};
  Option<std::string> dtypeConfig{
      *this, "dtype-config",
      llvm::cl::desc("JSON file with per-layer data types")};
  Option<std::string> accel{*this, "accel",
                            llvm::cl::desc("Accelerator description JSON")};
};

/// --bitmod-quantize, --bitmod-tile and --bitmod-bit-serial-schedule with
/// the given options: from bitmod.linear to bitmod_hw.launch.
void buildAccelPipeline(OpPassManager &pm,
                        const AccelPipelineOptions &options);

/// Registers `bitmod-accel-pipeline` with bitmod-opt.
void registerAccelPipeline();

} // namespace bitmod
} // namespace mlir

#endif // BITMOD_DIALECT_BITMODHW_TRANSFORMS_PASSES_H
