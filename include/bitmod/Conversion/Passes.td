//===- Passes.td - BitMoD host lowering passes -------------*- tablegen -*-===//

#ifndef BITMOD_CONVERSION_PASSES_TD
#define BITMOD_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def BitMoDHostEntry : Pass<"bitmod-host-entry", "::mlir::ModuleOp"> {
  let summary = "Give every public function the C ABI of a host model entry";
  let description = [{
    Every public `func.func` with a body becomes
    `bitmod_model_<name>(ctx, in0, ..., inN) -> (out0, ...)`: a first
    argument `ctx` of type `!emitc.ptr<!emitc.opaque<"void">>` is added, and
    every input and result is flattened to a 1-D tensor of its element type
    (a `tensor.expand_shape` after the entry, a `tensor.collapse_shape`
    before the return) so that after bufferization and EmitC conversion each
    buffer is a typed C pointer in row-major order (`float *`, `_Float16 *`,
    `double *`, `bool *`, `int8_t *`, `uint8_t *`, `int16_t *`, `int32_t *`,
    `int64_t *`). The graph interface is recorded in a `bitmod.io` attribute
    on the function: an array of `{name, kind = "input"|"output", shape,
    elem}` dictionaries in argument order (names from `onnx.name`
    argument/result attributes, else `in<i>` / `out<i>`; `elem` one of
    "f32", "f16", "f64", "bool", "i8", "u8", "i16", "i32", "i64"). Inputs
    and results must be statically shaped tensors of f32, f16, f64, i1, i8,
    ui8, i16, i32 or i64 (signless integers are signed; ONNX unsigned types
    other than uint8 are imported as signless);
    anything else is an error naming the argument or result.
  }];
  let dependentDialects = ["::mlir::emitc::EmitCDialect",
                           "::mlir::tensor::TensorDialect"];
}

def BitMoDLaunchToRuntime : Pass<"bitmod-launch-to-runtime",
                                 "::mlir::ModuleOp"> {
  let summary = "Replace bitmod_hw.launch ops by runtime launch calls";
  let description = [{
    Every `%y = bitmod_hw.launch @L(%x, %w) -> tensor<...xf32>` becomes
    `%y = func.call @__bitmod_rt_launch_L(%ctx, %x)` on a private declaration
    tagged `bitmod.rt_launch = "L"`. The launch body (its instructions) and
    the weights operand are dropped: they live in the `.bmod` file. After
    bufferization, `--bitmod-prepare-host-buffers` and
    `--bitmod-runtime-to-emitc` turn the call into
    `bitmod_rt_launch(ctx, "L", x, x_elems, y, y_elems)`
    (`include/bitmod/Runtime/RuntimeABI.h`). Must run after
    `--bitmod-host-entry` (the call passes the entry's `ctx`). An f16 launch
    (f16 activations, FP16 results) is called through `arith.extf` of its
    input and `arith.truncf` of its result, both exact.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect"];
}

def BitMoDConcatToTensor : Pass<"bitmod-concat-to-tensor"> {
  let summary = "Rewrite tosa.concat into tensor.concat";
  let description = [{
    Every `tosa.concat` with ranked operands and result becomes one
    `tensor.concat` on the same axis (plus a `tensor.cast` when the tosa
    result type is more or less static than the inferred one). Runs before
    `tosa-to-tensor`, which would otherwise lower a concat of N operands to a
    chain of N `tensor.insert_slice` ops: One-Shot Bufferize's in-place
    analysis is super-quadratic in the length of such chains
    (llvm/llvm-project#81959), while `tensor.concat` bufferizes on its own to
    the same allocation and per-operand copies. Unranked concats are left to
    `tosa-to-tensor`.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def BitMoDPrepareHostBuffers : Pass<"bitmod-prepare-host-buffers",
                                    "::mlir::ModuleOp"> {
  let summary = "Make bufferized host IR expressible in EmitC";
  let description = [{
    Runs after one-shot bufferization and `buffer-results-to-out-params`:

    * runtime launch calls get their result as an out-parameter and
      contiguous identity-layout operands (views are resolved to their base
      buffer; strided views are copied first);
    * `memref.copy` becomes a loop nest of loads and stores (views are then
      folded by `fold-memref-alias-ops`);
    * every static `memref.alloc` in a function body becomes a private
      module-level buffer (`memref.global`, zero-initialized, one per
      allocation site): no malloc/free, no stack limit;
    * `dense_resource` initializers of constant globals are decoded into
      dense literals up to `max-inline-bytes`; larger ones are an error.
  }];
  let options = [
    Option<"maxInlineBytes", "max-inline-bytes", "uint64_t",
           /*default=*/"uint64_t(64) << 20",
           "Largest constant (bytes) emitted as a C++ array initializer">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def BitMoDOutlineHostSegments : Pass<"bitmod-outline-host-segments",
                                      "::mlir::ModuleOp"> {
  let summary = "Split long host functions into functions of a few loops";
  let description = [{
    The host code of an LLM is one function with thousands of loops (a
    7B model's decoder: 5,107), and C++ compilers optimize such a function
    in super-linear time: clang -O1 spends 95 s of its 96 s in LoopRotate
    and IndVarSimplify on it, against 3 s at -O0. This pass cuts the
    single-block body of every `func.func` with more than `max-loops`
    `scf.for` ops into consecutive segments of about `max-loops` loops and
    moves each segment into a private function called in its place, so the
    compiler's work grows linearly with the model.

    A cut is made only where no value produced by a segment is used after
    it, except side-effect-free ops without regions whose operands are such
    ops too (constants, `memref.get_global`, views of them): they are
    hoisted to the start of the function and cloned into each segment that
    uses them. The other values a segment uses (memrefs with the identity
    layout, scalars, the runtime context) become its arguments; a segment
    that would need an argument of another type stays inline. Nothing is
    reordered: the calls run the same operations in the same order.
  }];
  let options = [
    Option<"maxLoops", "max-loops", "unsigned", /*default=*/"64",
           "Loops (scf.for, nested ones included) per outlined segment">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def BitMoDMathToLibm : Pass<"bitmod-math-to-libm"> {
  let summary = "Lower math ops EmitC lacks to C math library calls";
  let description = [{
    `math.erf`, `math.tanh`, `math.sqrt`, `math.log` and the other unary
    math ops without an upstream EmitC lowering become
    `emitc.call_opaque "erff"(...)` (`f32`, the `float` overloads of
    `<math.h>`) or `"erf"` (`f64`); `math.rsqrt` becomes `1 / sqrtf(x)` and
    `math.powf` `powf(x, y)`. f16 and bf16 math ops (and `arith.remf`)
    are computed in f32: operands widened, the result rounded once. Other
    element types are left to the upstream patterns (and fail there with
    their own diagnostic).

    Scalar `math.ipowi` (ONNX integer Pow) has no C counterpart and the
    upstream `convert-math-to-funcs` expansion is multi-block, which the C++
    emitter cannot print; it becomes an inline square-and-multiply `scf.for`
    over the exponent's bits (wrapping multiplies). A negative exponent
    gives `1` for base `1`, `+-1` for base `-1` and `0` otherwise (also for
    base `0`, where `math.ipowi` is undefined).
  }];
  let dependentDialects = ["::mlir::emitc::EmitCDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def BitMoDRuntimeToEmitC : Pass<"bitmod-runtime-to-emitc",
                                "::mlir::ModuleOp"> {
  let summary = "Lower runtime launch calls to bitmod_rt_launch in EmitC";
  let description = [{
    Rewrites `func.call @__bitmod_rt_launch_L(%ctx, %x, %y)` (memrefs) into
    `emitc.call_opaque "bitmod_rt_launch"(%ctx, "L", &x[0]..., n_x,
    &y[0]..., n_y)` and erases the declarations. Adds
    `#include "bitmod/Runtime/RuntimeABI.h"` when a launch exists.
  }];
  let dependentDialects = ["::mlir::emitc::EmitCDialect"];
}

def BitMoDFinalizeHostCpp : Pass<"bitmod-finalize-host-cpp",
                                 "::mlir::ModuleOp"> {
  let summary = "Add includes and C linkage to the EmitC host module";
  let description = [{
    Adds `<math.h>`, `<stdint.h>` and `<stddef.h>` includes and marks model
    entries (functions with `bitmod.io`) `extern "C"` so the runtime can
    declare them as `void bitmod_model_<name>(void *, float *, ...)`.
    Module attributes `bitmod_hw.*` (accelerator description, DRAM map) are
    removed: they are in the `.bmod`, and without them the host module
    prints and parses with upstream dialects only.
  }];
  let dependentDialects = ["::mlir::emitc::EmitCDialect"];
}

#endif // BITMOD_CONVERSION_PASSES_TD
