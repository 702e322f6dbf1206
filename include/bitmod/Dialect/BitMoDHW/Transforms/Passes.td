//===- Passes.td - bitmod_hw passes ------------------------*- tablegen -*-===//

#ifndef BITMOD_DIALECT_BITMODHW_TRANSFORMS_PASSES_TD
#define BITMOD_DIALECT_BITMODHW_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def BitMoDTile : Pass<"bitmod-tile", "::mlir::ModuleOp"> {
  let summary = "Block grouped matmuls into buffer-sized tiles of the PE array";
  let description = [{
    Chooses the accelerator (`accel` JSON file parsed by
    arch::parseAccelConfigJSON, then the `accel-options` key=value overrides,
    else the module's existing `bitmod_hw.accel`, else the paper defaults) and
    attaches it to the module as `bitmod_hw.accel`. For every
    `bitmod.grouped_matmul` whose weights are a `bitmod.weights` constant it
    flattens the leading input dims into M tokens, picks the array
    arrangement (sim::selectArrangement unless `arrangement` forces one) and
    the buffer blocking (sim::planBlocking), shrinks the blocks until the
    real weight-block layout and double buffers fit, and records the result as
    `bitmod_hw.tiling = #bitmod_hw.tiling<...>`. K is padded to the group
    size G, M and N to the 8x8 tiles (padding lanes compute zeros). A layer
    that cannot fit the buffers or the instruction fields is an error naming
    the layer.

    Plan search: candidate blockings of every loop order (act_resident,
    wgt_resident, out_block) and block sizes along M, N and K, in each
    arrangement the accelerator allows, are scheduled exactly as
    `--bitmod-bit-serial-schedule` emits them and run through the
    cycle-level timing model; the plan with the fewest cycles wins, and
    among plans within 1.5% of those cycles the one with the least energy
    (DRAM traffic first of all).
  }];
  let dependentDialects = ["::mlir::bitmod::hw::BitMoDHWDialect"];
  let options = [
    Option<"accel", "accel", "std::string", /*default=*/"\"\"",
           "AccelConfig JSON file describing the accelerator">,
    Option<"accelOptions", "accel-options", "std::string", /*default=*/"\"\"",
           "Accelerator overrides as key=value pairs separated by ';' or ',' "
           "(e.g. \"act_buffer_bytes=65536;dram_bytes_per_cycle=16\")">,
    Option<"arrangement", "arrangement", "std::string", /*default=*/"\"auto\"",
           "Array arrangement: auto, disc or gen">,
    Option<"printPlan", "print-plan", "bool", /*default=*/"false",
           "Remark the chosen plan and the runner-up with their simulated "
           "cycles and DRAM bytes, and the DRAM lower bound "
           "(sim::getDramLowerBound)">,
    Option<"candidate", "candidate", "unsigned", /*default=*/"0",
           "Take the candidate of this rank in the search order instead of "
           "the best (0); for planner-regret tests">,
  ];
}

def BitMoDBitSerialSchedule : Pass<"bitmod-bit-serial-schedule",
                                   "::mlir::ModuleOp"> {
  let summary = "Expand tiled grouped matmuls into bitmod_hw instruction blocks";
  let description = [{
    Replaces every grouped matmul carrying `bitmod_hw.tiling` with a
    `bitmod_hw.launch` holding its instruction sequence: CONFIG (data type,
    G, scale bits, the special-value register file of
    isa::getDefaultSpecialValues, the arrangement), LOAD_ACT / LOAD_WGT
    double buffered against MATMUL through dependency tokens, STORE of every
    output block, and a closing SYNC barrier so consecutive launches never
    overlap in the buffers. DRAM is planned for the whole module by a bump
    allocator: the weight blob (one weight block per LOAD_WGT, in program
    order) first, then every launch's input (FP16) and output. Every
    instruction carries its estimated `cycles`, the launch the cost model's
    `estimate` (sim::estimate). Rank > 2 inputs are collapsed to [M, K] and
    the result expanded back; a bias is added on the host afterwards.
  }];
  let dependentDialects = ["::mlir::bitmod::hw::BitMoDHWDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // BITMOD_DIALECT_BITMODHW_TRANSFORMS_PASSES_TD
