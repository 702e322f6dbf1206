//===- ConvPool.cpp - ONNX Conv and pooling -> TOSA ---===//
//
// Part of --bitmod-onnx-to-tosa (see Lowering.h).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::onnx_import;

//===----------------------------------------------------------------------===//
// Convolution, normalization, pooling (NCHW <-> NHWC around TOSA ops)
//===----------------------------------------------------------------------===//

namespace {
struct Window {
  Shape kernel, stride, dilation, padBegin, padEnd;
  /// Trailing input elements no window reaches (cropped before the op).
  Shape crop;
};
} // namespace

/// `n` with its 1-D window attributes widened to 2-D (a unit H dimension
/// first; pads [b, e] -> [0, b, 0, e]).
static ONNXNode widenTo2D(const ONNXNode &n) {
  ONNXNode n2 = n;
  for (StringRef name : {"strides", "dilations", "kernel_shape"})
    if (auto a = dyn_cast_if_present<DenseI64ArrayAttr>(n.getAttr(name))) {
      SmallVector<int64_t> v = {1};
      v.append(a.asArrayRef().begin(), a.asArrayRef().end());
      n2.setAttr(name, DenseI64ArrayAttr::get(a.getContext(), v));
    }
  if (auto a = dyn_cast_if_present<DenseI64ArrayAttr>(n.getAttr("pads")))
    if (a.size() == 2)
      n2.setAttr("pads",
                 DenseI64ArrayAttr::get(a.getContext(), {0, a[0], 0, a[1]}));
  return n2;
}

/// Resolves pads (explicit or auto_pad) for a 2-D window over `in` (H, W).
static LogicalResult resolveWindow(ONNXLowering &l, const ONNXNode &n,
                                   ArrayRef<int64_t> in, Window &w,
                                   std::string &err, bool ceilMode) {
  int64_t sp = in.size();
  std::string autoPad = l.attrString(n, "auto_pad", "");
  Shape pads = l.attrInts(n, "pads").value_or(Shape());
  w.stride = l.attrInts(n, "strides").value_or(Shape());
  w.dilation = l.attrInts(n, "dilations").value_or(Shape());
  if (w.stride.empty())
    w.stride.assign(sp, 1);
  if (w.dilation.empty())
    w.dilation.assign(sp, 1);
  if (pads.empty())
    pads.assign(2 * sp, 0);
  if ((int64_t)w.kernel.size() != sp || (int64_t)w.stride.size() != sp ||
      (int64_t)w.dilation.size() != sp || (int64_t)pads.size() != 2 * sp) {
    err = "kernel/stride/dilation/pads do not match the spatial rank";
    return failure();
  }
  w.crop.assign(sp, 0);
  w.padBegin.assign(pads.begin(), pads.begin() + sp);
  w.padEnd.assign(pads.begin() + sp, pads.end());
  for (int64_t i = 0; i < sp; ++i) {
    int64_t eff = (w.kernel[i] - 1) * w.dilation[i] + 1;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = (in[i] + w.stride[i] - 1) / w.stride[i];
      int64_t total =
          std::max<int64_t>(0, (out - 1) * w.stride[i] + eff - in[i]);
      int64_t small = total / 2, big = total - small;
      w.padBegin[i] = autoPad == "SAME_UPPER" ? small : big;
      w.padEnd[i] = autoPad == "SAME_UPPER" ? big : small;
    } else if (autoPad == "VALID") {
      w.padBegin[i] = w.padEnd[i] = 0;
    }
    int64_t span = in[i] + w.padBegin[i] + w.padEnd[i] - eff;
    if (span < 0) {
      err = "the window is larger than the padded input";
      return failure();
    }
    int64_t rem = span % w.stride[i];
    if (ceilMode && rem != 0) {
      int64_t extra = w.stride[i] - rem;
      // ceil_mode: the last window must start inside the input or the
      // begin padding.
      int64_t lastStart = (span + extra) - w.padBegin[i];
      if (lastStart < in[i])
        w.padEnd[i] += extra;
      else
        w.padEnd[i] -= rem;
    } else {
      // TOSA needs exact division: drop the unused end padding, then crop
      // input elements no window reaches.
      int64_t fromPad = std::min(rem, w.padEnd[i]);
      w.padEnd[i] -= fromPad;
      w.crop[i] = rem - fromPad;
    }
  }
  return success();
}

LogicalResult ONNXLowering::importConv(const ONNXNode &n) {
  Value x = get(n, 0);
  Shape xs = shapeOf(x);
  if (xs.size() != 4 && xs.size() != 3)
    return fail("Conv: only 1-D and 2-D convolutions are supported");
  // tosa.conv2d accumulates in f16 or f32 only.
  if (!elemOf(x).isF32() && !elemOf(x).isF16())
    return fail("Conv: only f32 and f16 inputs are supported");
  bool is1d = xs.size() == 3;
  if (is1d) {
    x = reshape(x, {xs[0], xs[1], 1, xs[2]});
    xs = shapeOf(x);
  }
  Value wv;
  const ConstTensor *wc = getConst(n, 1);
  Shape ws = wc ? Shape(wc->shape()) : shapeOf(get(n, 1));
  if (is1d)
    ws.insert(ws.begin() + 2, 1);
  int64_t group = attrInt(n, "group", 1);
  int64_t cin = xs[1], cout = ws[0];
  if (cin % group || cout % group || ws[1] != cin / group)
    return fail("Conv: inconsistent group/channel sizes");
  Window win;
  win.kernel = Shape(ws.begin() + 2, ws.end());
  std::string err;
  {
    // 1-D attributes are widened to 2-D with a unit H dimension.
    ONNXNode n2 = is1d ? widenTo2D(n) : n;
    if (failed(resolveWindow(*this, n2, ArrayRef<int64_t>(xs).drop_front(2),
                             win, err, false)))
      return fail("Conv: " + err);
  }
  Type et = elemOf(x);
  Value nhwc = transpose(x, {0, 2, 3, 1});
  if (win.crop[0] || win.crop[1]) {
    xs[2] -= win.crop[0];
    xs[3] -= win.crop[1];
    nhwc = slice(nhwc, {0, 0, 0, 0}, {xs[0], xs[2], xs[3], xs[1]});
  }
  int64_t oh = (xs[2] + win.padBegin[0] + win.padEnd[0] -
                ((win.kernel[0] - 1) * win.dilation[0] + 1)) /
                   win.stride[0] +
               1;
  int64_t ow = (xs[3] + win.padBegin[1] + win.padEnd[1] -
                ((win.kernel[1] - 1) * win.dilation[1] + 1)) /
                   win.stride[1] +
               1;
  Value bias;
  if (hasInput(n, 2))
    bias = get(n, 2);
  else
    bias = splatConst(et, 0.0, {cout});
  Shape pad = {win.padBegin[0], win.padEnd[0], win.padBegin[1], win.padEnd[1]};
  Value zp = splatConst(et, 0.0, {1});
  auto convOne = [&](Value in, int64_t g, int64_t cinG, int64_t coutG,
                     Value biasG) -> Value {
    // Weight [O, I, KH, KW] -> TOSA [O, KH, KW, I].
    Value w;
    if (wc) {
      ConstTensor t = wc->reshaped(ws);
      if (group > 1) {
        ConstTensor part =
            ConstTensor::allocate(t.dtype(), {coutG, cinG, ws[2], ws[3]});
        size_t bytes = part.numBytes();
        std::memcpy(part.mutableData(), t.data() + g * bytes, bytes);
        t = part;
      }
      w = materialize(t.transposed({0, 2, 3, 1}), n.input(1));
    } else {
      Value full = reshape(get(n, 1), ws);
      if (group > 1)
        full = slice(full, {g * coutG, 0, 0, 0}, {coutG, cinG, ws[2], ws[3]});
      w = transpose(full, {0, 2, 3, 1});
    }
    return tosa::Conv2DOp::create(
        b, loc, tensorType({xs[0], oh, ow, coutG}, et), in, w, biasG, zp, zp,
        b.getDenseI64ArrayAttr(pad), b.getDenseI64ArrayAttr(win.stride),
        b.getDenseI64ArrayAttr(win.dilation), TypeAttr::get(et));
  };
  Value y;
  if (group == 1) {
    y = convOne(nhwc, 0, cin, cout, bias);
  } else if (group == cin) {
    // Depthwise (one input channel per group, M = cout / cin outputs each):
    // one tosa.depthwise_conv2d; ONNX [C*M, 1, KH, KW] -> TOSA [KH, KW, C, M]
    // keeps output channel c*M + m in place.
    int64_t mult = cout / cin;
    Shape split = {cin, mult, ws[2], ws[3]};
    Value w;
    if (wc)
      w = materialize(wc->reshaped(split).transposed({2, 3, 0, 1}), n.input(1));
    else
      w = transpose(reshape(get(n, 1), split), {2, 3, 0, 1});
    y = tosa::DepthwiseConv2DOp::create(
        b, loc, tensorType({xs[0], oh, ow, cout}, et), nhwc, w, bias, zp, zp,
        b.getDenseI64ArrayAttr(pad), b.getDenseI64ArrayAttr(win.stride),
        b.getDenseI64ArrayAttr(win.dilation), TypeAttr::get(et));
  } else {
    int64_t cinG = cin / group, coutG = cout / group;
    SmallVector<Value> parts;
    for (int64_t g = 0; g < group; ++g) {
      Value in = slice(nhwc, {0, 0, 0, g * cinG}, {xs[0], xs[2], xs[3], cinG});
      Value bg = slice(bias, {g * coutG}, {coutG});
      parts.push_back(convOne(in, g, cinG, coutG, bg));
    }
    y = tosa::ConcatOp::create(b, loc, tensorType({xs[0], oh, ow, cout}, et),
                               parts, b.getI32IntegerAttr(3));
  }
  y = transpose(y, {0, 3, 1, 2});
  if (is1d)
    y = reshape(y, {xs[0], cout, ow});
  setValue(n, 0, y);
  return success();
}

LogicalResult ONNXLowering::importGlobalPool(const ONNXNode &n) {
  Value x = get(n, 0);
  int64_t rank = shapeOf(x).size();
  Shape axes;
  for (int64_t i = 2; i < rank; ++i)
    axes.push_back(i);
  Value y = n.op_type() == "GlobalAveragePool"
                ? reduceMean(x, axes)
                : reduce<tosa::ReduceMaxOp>(x, axes);
  setValue(n, 0, y);
  return success();
}

LogicalResult ONNXLowering::importPool(const ONNXNode &n) {
  bool isMax = n.op_type() == "MaxPool";
  if (isMax && hasOutput(n, 1))
    return fail("MaxPool: the Indices output is not supported");
  Value x = get(n, 0);
  Shape xs = shapeOf(x);
  bool is1d = xs.size() == 3;
  auto dil = attrInts(n, "dilations");
  bool dilated = dil && llvm::any_of(*dil, [](int64_t d) { return d != 1; });
  if (xs.size() == 5 || (dilated && xs.size() >= 3))
    return importPoolUnrolled(n, x, isMax);
  if (xs.size() != 4 && !is1d)
    return fail(n.op_type() + ": only 1-D, 2-D and 3-D pooling is supported");
  ONNXNode n2 = is1d ? widenTo2D(n) : n;
  if (is1d) {
    x = reshape(x, {xs[0], xs[1], 1, xs[2]});
    xs = shapeOf(x);
  }
  Window win;
  if (auto ks = attrInts(n2, "kernel_shape"))
    win.kernel = *ks;
  std::string err;
  bool ceilMode = attrInt(n, "ceil_mode", 0) != 0;
  if (failed(resolveWindow(*this, n2, ArrayRef<int64_t>(xs).drop_front(2), win,
                           err, ceilMode)))
    return fail(n.op_type() + ": " + err);
  Type et = elemOf(x);
  Value nhwc = transpose(x, {0, 2, 3, 1});
  if (win.crop[0] || win.crop[1]) {
    xs[2] -= win.crop[0];
    xs[3] -= win.crop[1];
    nhwc = slice(nhwc, {0, 0, 0, 0}, {xs[0], xs[2], xs[3], xs[1]});
  }
  bool includePad = !isMax && attrInt(n, "count_include_pad", 0) != 0;
  Shape pad = {win.padBegin[0], win.padEnd[0], win.padBegin[1], win.padEnd[1]};
  if (includePad && llvm::any_of(pad, [](int64_t p) { return p != 0; })) {
    // Padding counted in the average: pad with zeros explicitly first.
    Shape padded = {xs[0], xs[2] + pad[0] + pad[1], xs[3] + pad[2] + pad[3],
                    xs[1]};
    Value padShape = constShape({0, 0, pad[0], pad[1], pad[2], pad[3], 0, 0});
    nhwc = tosa::PadOp::create(b, loc, tensorType(padded, et), nhwc, padShape,
                               splatConst(et, 0.0, {1}));
    pad = {0, 0, 0, 0};
    xs = {xs[0], xs[1], padded[1], padded[2]};
  }
  int64_t oh = (xs[2] + pad[0] + pad[1] - win.kernel[0]) / win.stride[0] + 1;
  int64_t ow = (xs[3] + pad[2] + pad[3] - win.kernel[1]) / win.stride[1] + 1;
  auto outType = tensorType({xs[0], oh, ow, xs[1]}, et);
  Value y;
  if (isMax) {
    y = tosa::MaxPool2dOp::create(b, loc, outType, nhwc, win.kernel, win.stride,
                                  pad);
  } else {
    Value zp = splatConst(et, 0.0, {1});
    y = tosa::AvgPool2dOp::create(b, loc, outType, nhwc, zp, zp, win.kernel,
                                  win.stride, pad, et);
  }
  y = transpose(y, {0, 3, 1, 2});
  if (is1d)
    y = reshape(y, {xs[0], xs[1], ow});
  setValue(n, 0, y);
  return success();
}

/// Pooling TOSA cannot express (dilations, 3-D windows): the padded input is
/// cut into one strided `tensor.extract_slice` per kernel offset, combined
/// with `tosa.maximum` or `tosa.add`; averages divide by a host-computed
/// per-position count (which handles count_include_pad and ceil_mode).
LogicalResult ONNXLowering::importPoolUnrolled(const ONNXNode &n, Value x,
                                               bool isMax) {
  Shape xs = shapeOf(x);
  int64_t rank = xs.size(), sp = rank - 2;
  Type et = elemOf(x);
  if (!isa<FloatType>(et))
    return fail(n.op_type() + ": only floating-point inputs are supported");
  Window win;
  if (auto ks = attrInts(n, "kernel_shape"))
    win.kernel = *ks;
  std::string err;
  bool ceilMode = attrInt(n, "ceil_mode", 0) != 0;
  Shape in(xs.begin() + 2, xs.end());
  if (failed(resolveWindow(*this, n, in, win, err, ceilMode)))
    return fail(n.op_type() + ": " + err);
  Shape cropped = xs, padded = xs, padVals(2 * rank, 0), out = xs;
  for (int64_t i = 0; i < sp; ++i) {
    cropped[2 + i] -= win.crop[i];
    padded[2 + i] = cropped[2 + i] + win.padBegin[i] + win.padEnd[i];
    padVals[2 * (2 + i)] = win.padBegin[i];
    padVals[2 * (2 + i) + 1] = win.padEnd[i];
    int64_t eff = (win.kernel[i] - 1) * win.dilation[i] + 1;
    out[2 + i] = (padded[2 + i] - eff) / win.stride[i] + 1;
  }
  if (product(out) == 0)
    return fail(n.op_type() + ": empty results are not supported");
  if (cropped != xs)
    x = slice(x, Shape(rank, 0), cropped);
  if (padded != cropped) {
    double fill = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
    Value pads = constShape(padVals);
    Value padValue = splatConst(et, fill, {1});
    x = tosa::PadOp::create(b, loc, tensorType(padded, et), x, pads, padValue);
  }
  Value acc;
  forEachIndex(win.kernel, [&](ArrayRef<int64_t> k, int64_t) {
    Shape offsets(rank, 0), strides(rank, 1);
    for (int64_t i = 0; i < sp; ++i) {
      offsets[2 + i] = k[i] * win.dilation[i];
      strides[2 + i] = win.stride[i];
    }
    Value s = tensor::ExtractSliceOp::create(
        b, loc, tensorType(out, et), x, ValueRange(), ValueRange(),
        ValueRange(), b.getDenseI64ArrayAttr(offsets),
        b.getDenseI64ArrayAttr(out), b.getDenseI64ArrayAttr(strides));
    if (!acc)
      acc = s;
    else if (isMax)
      acc = binary<tosa::MaximumOp>(acc, s);
    else
      acc = binary<tosa::AddOp>(acc, s);
  });
  if (!isMax) {
    // Window elements counted per output position: inside the input, or
    // inside the explicit padding with count_include_pad (never the extra
    // end padding added for ceil_mode).
    bool includePad = attrInt(n, "count_include_pad", 0) != 0;
    Shape attrPads;
    if (auto p = attrInts(n, "pads"))
      attrPads = *p;
    Shape lo(sp), hi(sp);
    for (int64_t i = 0; i < sp; ++i) {
      int64_t padEnd = win.padEnd[i];
      if ((int64_t)attrPads.size() == 2 * sp)
        padEnd = std::min(padEnd, attrPads[sp + i]);
      lo[i] = includePad ? -win.padBegin[i] : 0;
      hi[i] = includePad ? in[i] + padEnd : in[i];
    }
    Shape countShape(out);
    countShape[0] = countShape[1] = 1;
    SmallVector<Attribute> counts;
    forEachIndex(ArrayRef<int64_t>(out).drop_front(2),
                 [&](ArrayRef<int64_t> o, int64_t) {
                   int64_t c = 0;
                   forEachIndex(win.kernel, [&](ArrayRef<int64_t> k, int64_t) {
                     bool inside = true;
                     for (int64_t i = 0; i < sp && inside; ++i) {
                       int64_t pos = o[i] * win.stride[i] +
                                     k[i] * win.dilation[i] - win.padBegin[i];
                       inside = pos >= lo[i] && pos < hi[i];
                     }
                     c += inside;
                   });
                   counts.push_back(b.getFloatAttr(et, (double)c));
                 });
    auto type = tensorType(countShape, et);
    Value count = tosa::ConstOp::create(b, loc, type,
                                        DenseElementsAttr::get(type, counts));
    acc = divide(acc, count);
  }
  setValue(n, 0, acc);
  return success();
}

void mlir::bitmod::onnx_import::populateConvPoolPatterns(
    ONNXPatternTable &patterns) {
  using L = ONNXLowering;
  patterns.onOp("Conv", 1, &L::importConv, 2);
  patterns.onOp("GlobalAveragePool", 1, &L::importGlobalPool);
  patterns.onOp("GlobalMaxPool", 1, &L::importGlobalPool);
  patterns.onOp("AveragePool", 1, &L::importPool);
  patterns.onOp("MaxPool", 1, &L::importPool);
}
