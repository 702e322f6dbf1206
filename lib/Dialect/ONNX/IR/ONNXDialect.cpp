//===- ONNXDialect.cpp - The ONNX reader's dialect ------------------------===//

#include "bitmod/Dialect/ONNX/IR/ONNXDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::bitmod::onnx_ir;

#include "bitmod/Dialect/ONNX/IR/ONNXDialect.cpp.inc"

void BitMoDONNXDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "bitmod/Dialect/ONNX/IR/ONNXOps.cpp.inc"
      >();
}

/// The MLIR attribute kinds an ONNX attribute is read as.
static bool isONNXAttribute(Attribute a) {
  if (auto i = dyn_cast<IntegerAttr>(a))
    return i.getType().isInteger(64);
  if (auto f = dyn_cast<FloatAttr>(a))
    return f.getType().isF32();
  if (isa<StringAttr, DenseI64ArrayAttr, DenseF32ArrayAttr, ElementsAttr>(a))
    return true;
  if (auto arr = dyn_cast<ArrayAttr>(a))
    return llvm::all_of(arr, [](Attribute e) { return isa<StringAttr>(e); });
  return false;
}

LogicalResult NodeOp::verify() {
  if (getOpType().empty())
    return emitOpError("needs a non-empty op_type");
  if (auto names = getOutputNames())
    if (names->size() != getNumResults())
      return emitOpError("has ") << getNumResults() << " results but "
                                 << names->size() << " output_names";
  for (NamedAttribute a : getAttrs().getValue())
    if (!isONNXAttribute(a.getValue()))
      return emitOpError("attribute '")
             << a.getName().getValue()
             << "' is not an ONNX attribute (i64, f32, string, array<i64>, "
                "array<f32>, array of strings or elements)";
  return success();
}

LogicalResult ConstantOp::verify() {
  if (getValue().getType() != getType())
    return emitOpError("value type ")
           << getValue().getType() << " differs from the result type "
           << getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

void ConstantOp::print(OpAsmPrinter &p) {
  p.printOptionalAttrDict((*this)->getAttrs(), /*elidedAttrs=*/{"value"});
  p << ' ';
  p.printAttribute(getValue());
}

ParseResult ConstantOp::parse(OpAsmParser &parser, OperationState &result) {
  Attribute value;
  if (parser.parseOptionalAttrDict(result.attributes) ||
      parser.parseAttribute(value))
    return failure();
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements)
    return parser.emitError(parser.getNameLoc(),
                            "expected an elements attribute");
  result.addAttribute("value", elements);
  result.addTypes(elements.getType());
  return success();
}

#define GET_OP_CLASSES
#include "bitmod/Dialect/ONNX/IR/ONNXOps.cpp.inc"
