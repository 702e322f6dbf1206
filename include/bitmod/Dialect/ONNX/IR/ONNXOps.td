//===- ONNXOps.td - The ONNX reader's dialect --------------*- tablegen -*-===//
//
// `bitmod_onnx` holds an ONNX graph as read from the protobuf, before any
// lowering: one generic `bitmod_onnx.node` per ONNX node (in the spirit of
// torch-mlir's `torch.operator "onnx.X"`), initializers as
// `bitmod_onnx.constant`, and `bitmod_onnx.none` for absent optional inputs.
// `--bitmod-onnx-to-tosa` lowers it to func/tosa/arith/tensor/linalg/bitmod.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_DIALECT_ONNX_IR_ONNXOPS_TD
#define BITMOD_DIALECT_ONNX_IR_ONNXOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def BitMoDONNX_Dialect : Dialect {
  let name = "bitmod_onnx";
  let cppNamespace = "::mlir::bitmod::onnx_ir";
  let summary = "ONNX graphs as read from the protobuf, before lowering";
  let description = [{
    The ONNX reader (`bitmod-translate --import-onnx-raw`) emits one
    `func.func` per graph whose body is this dialect's ops in the graph's
    topological order; the module carries the default-domain opset as
    `bitmod_onnx.opset`. Element types follow ONNX: unsigned integers are
    `ui8`..`ui64`, signed ones signless. Results are typed by ONNX shape
    inference (`tensor<*xT>` when it gives no shape, `none` for an output
    the node does not produce).
  }];
}

class BitMoDONNX_Op<string mnemonic, list<Trait> traits = []>
    : Op<BitMoDONNX_Dialect, mnemonic, traits>;

def BitMoDONNX_NodeOp : BitMoDONNX_Op<"node"> {
  let summary = "One ONNX node, uninterpreted";
  let description = [{
    `op_type` (and `domain`, omitted for the default domain) name the ONNX
    operator; `name` is the node name and `output_names` the ONNX names of
    the results (both optional: used for diagnostics, layer names and
    constant names). `attrs` holds the node's attributes as typed MLIR
    attributes: INT as `i64`, FLOAT as `f32`, STRING as a string, INTS as
    `array<i64: ...>`, FLOATS as `array<f32: ...>`, STRINGS as an array of
    strings and TENSOR as an elements attribute. An absent optional input is
    the result of `bitmod_onnx.none`.

    ```mlir
    %y = bitmod_onnx.node "Softmax"(%x) {attrs = {axis = 1 : i64}}
        : (tensor<2x3xf32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins StrAttr:$op_type, OptionalAttr<StrAttr>:$domain,
      OptionalAttr<StrAttr>:$name, OptionalAttr<StrArrayAttr>:$output_names,
      DefaultValuedAttr<DictionaryAttr, "{}">:$attrs,
      Variadic<AnyType>:$inputs);
  let results = (outs Variadic<AnyType>:$outputs);
  let assemblyFormat = [{
    $op_type `(` $inputs `)` attr-dict `:` functional-type($inputs, results)
  }];
  let hasVerifier = 1;
}

def BitMoDONNX_ConstantOp : BitMoDONNX_Op<"constant",
    [ConstantLike, Pure]> {
  let summary = "An ONNX initializer";
  let description = [{
    A graph initializer (or a bound input), named `name`. Large tensors are
    `dense_resource` blobs that reference the model's bytes (protobuf
    storage or a memory-mapped external-data file) without copying them.

    ```mlir
    %w = bitmod_onnx.constant {name = "w"} dense<1.0> : tensor<4x4xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value, OptionalAttr<StrAttr>:$name);
  let results = (outs AnyRankedTensor:$result);
  let hasCustomAssemblyFormat = 1;
  let hasFolder = 1;
  let hasVerifier = 1;
}

def BitMoDONNX_NoneOp : BitMoDONNX_Op<"none", [Pure]> {
  let summary = "Marks an absent optional input";
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
}

#endif // BITMOD_DIALECT_ONNX_IR_ONNXOPS_TD
