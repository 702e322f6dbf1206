//===- Resize.cpp - ONNX ConvTranspose and Resize -> TOSA ---===//
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
// ConvTranspose and Resize
//===----------------------------------------------------------------------===//

/// `t` reversed along each of `axes` (ConvTranspose kernels are flipped).
static ConstTensor reversed(const ConstTensor &t, ArrayRef<int64_t> axes) {
  ConstTensor out = ConstTensor::allocate(t.dtype(), t.shape());
  Shape s(t.shape());
  forEachIndex(s, [&](ArrayRef<int64_t> idx, int64_t flat) {
    int64_t src = 0;
    for (int64_t d = 0, e = s.size(); d < e; ++d)
      src = src * s[d] +
            (llvm::is_contained(axes, d) ? s[d] - 1 - idx[d] : idx[d]);
    copyElement(t, src, out, flat);
  });
  return out;
}

/// ConvTranspose as a regular convolution: the input gets stride - 1 zeros
/// after every element (reshape + tosa.pad + reshape), the spatially
/// flipped kernel runs over it as a stride-1 tosa.conv2d (or
/// tosa.depthwise_conv2d) with (k - 1) * dilation padding, and the ONNX
/// pads / output_padding / output_shape only move the conv's begin/end
/// padding (negative amounts crop the zero-inserted input). LLVM 22 lowers
/// tosa.transpose_conv2d only through tosa-optional-decompositions, which
/// the host pipeline does not run.
LogicalResult ONNXLowering::importConvTranspose(const ONNXNode &n) {
  Value x = get(n, 0);
  Shape xs = shapeOf(x);
  if (xs.size() != 4 && xs.size() != 3)
    return fail("ConvTranspose: only 1-D and 2-D transposed convolutions are "
                "supported (input rank " +
                Twine(xs.size()) + ")");
  Type et = elemOf(x);
  // tosa.conv2d accumulates in f16 or f32 only.
  if (!et.isF32() && !et.isF16())
    return fail("ConvTranspose: only f32 and f16 inputs are supported");
  int64_t sp = xs.size() - 2;
  const ConstTensor *wc = getConst(n, 1);
  Shape ws = wc ? Shape(wc->shape()) : shapeOf(get(n, 1));
  int64_t group = attrInt(n, "group", 1);
  int64_t cin = xs[1];
  if ((int64_t)ws.size() != sp + 2 || group < 1 || cin % group || ws[0] != cin)
    return fail("ConvTranspose: inconsistent weight/group/channel sizes");
  int64_t coutG = ws[1], cinG = cin / group, cout = coutG * group;
  Shape kernel(ws.begin() + 2, ws.end());
  auto ints = [&](StringRef name, int64_t size, int64_t def) {
    return attrInts(n, name).value_or(Shape(size, def));
  };
  Shape stride = ints("strides", sp, 1), dilation = ints("dilations", sp, 1),
        pads = ints("pads", 2 * sp, 0), outPad = ints("output_padding", sp, 0);
  std::optional<Shape> outShape = attrInts(n, "output_shape");
  // output_shape may also list the batch and channel dimensions.
  if (outShape && (int64_t)outShape->size() == sp + 2)
    outShape->erase(outShape->begin(), outShape->begin() + 2);
  std::optional<Shape> ks = attrInts(n, "kernel_shape");
  if ((int64_t)stride.size() != sp || (int64_t)dilation.size() != sp ||
      (int64_t)pads.size() != 2 * sp || (int64_t)outPad.size() != sp ||
      (outShape && (int64_t)outShape->size() != sp) || (ks && *ks != kernel))
    return fail("ConvTranspose: kernel_shape/strides/dilations/pads/"
                "output_padding/output_shape do not match the weight or the "
                "spatial rank");
  std::string autoPad = attrString(n, "auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return fail("ConvTranspose: auto_pad '" + autoPad + "' is not supported");
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";

  // Per spatial dim: the full result (every input element times the whole
  // kernel, plus output_padding), the amounts cropped at each end and the
  // zeros appended for a larger output_shape.
  Shape out(sp), cropBegin(sp), cropEnd(sp), extraEnd(sp);
  for (int64_t i = 0; i < sp; ++i) {
    if (stride[i] < 1 || dilation[i] < 1 || outPad[i] < 0 || pads[i] < 0 ||
        pads[sp + i] < 0)
      return fail("ConvTranspose: invalid strides/dilations/pads/"
                  "output_padding");
    int64_t in = xs[2 + i];
    int64_t full =
        (in - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 + outPad[i];
    if (outShape || same) {
      // ONNX: total_padding = full - output_shape, split with the larger
      // half at the end for SAME_UPPER and at the begin otherwise; an
      // output larger than `full` is zero-extended at the end.
      int64_t target = outShape ? (*outShape)[i] : in * stride[i];
      int64_t total = full - target;
      if (total < 0) {
        extraEnd[i] = -total;
        total = 0;
      }
      cropBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      cropEnd[i] = total - cropBegin[i];
    } else if (autoPad == "NOTSET") {
      cropBegin[i] = pads[i];
      cropEnd[i] = pads[sp + i];
    }
    out[i] = full + extraEnd[i] - cropBegin[i] - cropEnd[i];
    if (out[i] < 1)
      return fail("ConvTranspose: the padding removes the whole output");
  }

  // 1-D: a unit H dimension (kernel, stride, dilation and output 1).
  if (sp == 1) {
    x = reshape(x, {xs[0], xs[1], 1, xs[2]});
    xs = shapeOf(x);
    ws.insert(ws.begin() + 2, 1);
    for (Shape *v : {&kernel, &stride, &dilation, &out})
      v->insert(v->begin(), 1);
    cropBegin.insert(cropBegin.begin(), 0);
  }
  int64_t batch = xs[0], ih = xs[2], iw = xs[3];

  // Zero insertion: [N, H, W, C] -> [N, H, 1, W, 1, C] -> pad to
  // [N, H, sh, W, sw, C] -> [N, H*sh, W*sw, C].
  Value z = transpose(x, {0, 2, 3, 1});
  if (stride[0] > 1 || stride[1] > 1) {
    z = reshape(z, {batch, ih, 1, iw, 1, cin});
    Shape padded = {batch, ih, stride[0], iw, stride[1], cin};
    Value padShape = constShape(
        {0, 0, 0, 0, 0, stride[0] - 1, 0, 0, 0, stride[1] - 1, 0, 0});
    z = tosa::PadOp::create(b, loc, tensorType(padded, et), z, padShape,
                            splatConst(et, 0.0, {1}));
    z = reshape(z, {batch, ih * stride[0], iw * stride[1], cin});
  }
  // Conv padding that makes output position o read the full result at
  // o + cropBegin; negative amounts are cropped from the input instead.
  Shape zs = shapeOf(z), padV(4), start(4, 0), size = zs;
  for (int64_t i = 0; i < 2; ++i) {
    int64_t eff = (kernel[i] - 1) * dilation[i];
    int64_t len = zs[1 + i];
    int64_t pb = eff - cropBegin[i];
    int64_t pe = out[i] - len - pb + eff;
    if (pb < 0) {
      start[1 + i] = -pb;
      size[1 + i] += pb;
      pb = 0;
    }
    if (pe < 0) {
      size[1 + i] += pe;
      pe = 0;
    }
    padV[2 * i] = pb;
    padV[2 * i + 1] = pe;
  }
  z = slice(z, start, size);

  Value bias = hasInput(n, 2) ? get(n, 2) : splatConst(et, 0.0, {cout});
  Value zp = splatConst(et, 0.0, {1});
  Shape unit = {1, 1};
  auto outType = [&](int64_t c) {
    return tensorType({batch, out[0], out[1], c}, et);
  };
  // The ONNX weight [C, M/group, KH, KW], reshaped to 4-D, flipped in KH
  // and KW.
  Shape ws4 = {ws[0], ws[1], ws[2], ws[3]};
  Value wFlip;
  std::optional<ConstTensor> wFlipC;
  if (wc) {
    wFlipC = reversed(wc->reshaped(ws4), {2, 3});
  } else {
    Value w = reshape(get(n, 1), ws4);
    for (int32_t axis : {2, 3})
      w = tosa::ReverseOp::create(b, loc, w.getType(), w,
                                  b.getI32IntegerAttr(axis));
    wFlip = w;
  }
  Value y;
  if (group > 1 && cinG == 1) {
    // Depthwise: [C, M, KH, KW] -> [KH, KW, C, M]; output channel c*M + m
    // is ONNX's g*(M/group) + m.
    Value w = wFlipC ? materialize(wFlipC->transposed({2, 3, 0, 1}), n.input(1))
                     : transpose(wFlip, {2, 3, 0, 1});
    y = tosa::DepthwiseConv2DOp::create(
        b, loc, outType(cout), z, w, bias, zp, zp, b.getDenseI64ArrayAttr(padV),
        b.getDenseI64ArrayAttr(unit), b.getDenseI64ArrayAttr(dilation),
        TypeAttr::get(et));
  } else {
    SmallVector<Value> parts;
    for (int64_t g = 0; g < group; ++g) {
      // Group g: input channels [g*cinG, (g+1)*cinG), weight rows likewise,
      // as TOSA [OC, KH, KW, IC].
      Value w;
      if (wFlipC) {
        ConstTensor part = *wFlipC;
        if (group > 1) {
          part = ConstTensor::allocate(wFlipC->dtype(),
                                       {cinG, coutG, ws[2], ws[3]});
          std::memcpy(part.mutableData(), wFlipC->data() + g * part.numBytes(),
                      part.numBytes());
        }
        w = materialize(part.transposed({1, 2, 3, 0}), n.input(1));
      } else {
        w = slice(wFlip, {g * cinG, 0, 0, 0}, {cinG, coutG, ws[2], ws[3]});
        w = transpose(w, {1, 2, 3, 0});
      }
      Value in = group == 1 ? z
                            : slice(z, {0, 0, 0, g * cinG},
                                    {size[0], size[1], size[2], cinG});
      Value bg = group == 1 ? bias : slice(bias, {g * coutG}, {coutG});
      parts.push_back(tosa::Conv2DOp::create(
          b, loc, outType(coutG), in, w, bg, zp, zp,
          b.getDenseI64ArrayAttr(padV), b.getDenseI64ArrayAttr(unit),
          b.getDenseI64ArrayAttr(dilation), TypeAttr::get(et)));
    }
    y = parts.size() == 1 ? parts[0]
                          : tosa::ConcatOp::create(b, loc, outType(cout), parts,
                                                   b.getI32IntegerAttr(3))
                                .getResult();
  }
  y = transpose(y, {0, 3, 1, 2});
  if (sp == 1)
    y = reshape(y, {batch, cout, out[1]});
  setValue(n, 0, y);
  return success();
}

/// The taps of one Resize axis. Coordinates are computed in float as ONNX
/// Runtime does; align_corners with `scales` divides by in * scale - 1 like
/// ONNX's reference implementation (onnx/onnx#2462), not by out - 1.
static void resizeTaps(StringRef mode, StringRef coord, StringRef nearest,
                       double cubicA, bool excludeOutside, float scale,
                       bool fromSizes, ResizeAxis &ax) {
  int64_t in = ax.in, out = ax.out;
  ax.taps = mode == "nearest" ? 1 : mode == "linear" ? 2 : 4;
  auto clampIdx = [&](double i) {
    return (int64_t)std::clamp(i, 0.0, (double)(in - 1));
  };
  for (int64_t o = 0; o < out; ++o) {
    float xr = (float)o, x;
    if (coord == "half_pixel")
      x = (xr + 0.5f) / scale - 0.5f;
    else if (coord == "pytorch_half_pixel")
      x = out > 1 ? (xr + 0.5f) / scale - 0.5f : 0.f;
    else if (coord == "tf_half_pixel_for_nn")
      x = (xr + 0.5f) / scale;
    else if (coord == "asymmetric")
      x = xr / scale;
    else { // align_corners
      float len = fromSizes ? (float)out : (float)in * scale;
      x = len == 1.f ? 0.f : xr * (float)(in - 1) / (len - 1.f);
    }
    float f = std::floor(x);
    if (ax.taps == 1) {
      double i = f;
      if (nearest == "ceil")
        i = std::ceil(x);
      else if (nearest == "round_prefer_ceil")
        i = x - f >= 0.5f ? f + 1 : f;
      else if (nearest == "round_prefer_floor")
        i = x - f > 0.5f ? f + 1 : f;
      ax.index.push_back(clampIdx(i));
      ax.weight.push_back(1.0);
    } else if (ax.taps == 2) {
      // Clamping the coordinate equals ONNX's edge padding for two taps.
      float xc = std::clamp(x, 0.f, (float)(in - 1));
      float fc = std::floor(xc), r = xc - fc;
      ax.index.append({clampIdx(fc), clampIdx(fc + 1.0)});
      ax.weight.append({1.0 - r, (double)r});
    } else {
      double r = x - f, s = 1.0 - r, a = cubicA;
      double c[4] = {
          ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
          ((a + 2) * r - (a + 3)) * r * r + 1,
          ((a + 2) * s - (a + 3)) * s * s + 1,
          ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
      double sum = 0;
      for (int k = 0; k < 4; ++k) {
        double i = (double)f - 1 + k;
        if (excludeOutside && (i < 0 || i > in - 1))
          c[k] = 0;
        sum += c[k];
      }
      for (int k = 0; k < 4; ++k) {
        ax.index.push_back(clampIdx((double)f - 1 + k));
        ax.weight.push_back(excludeOutside ? c[k] / sum : c[k]);
      }
    }
  }
}

/// True if every output position reads exactly its own index.
static bool isIdentityAxis(const ResizeAxis &ax) {
  if (ax.in != ax.out)
    return false;
  for (int64_t o = 0; o < ax.out; ++o) {
    double own = 0;
    for (int64_t k = 0; k < ax.taps; ++k) {
      int64_t i = o * ax.taps + k;
      if (ax.index[i] == o)
        own += ax.weight[i];
      else if (ax.weight[i] != 0)
        return false;
    }
    if (std::abs(own - 1.0) > 1e-12)
      return false;
  }
  return true;
}

/// For nearest: the integer factor f if output position o reads o / f.
static int64_t replicationFactor(const ResizeAxis &ax) {
  if (ax.taps != 1 || ax.out % ax.in)
    return 0;
  int64_t f = ax.out / ax.in;
  for (int64_t o = 0; o < ax.out; ++o)
    if (ax.index[o] != o / f)
      return 0;
  return f;
}

Value ONNXLowering::resizeAxis(Value x, int64_t axis, const ResizeAxis &ax) {
  Shape out = shapeOf(x);
  out[axis] = ax.out;
  int64_t rank = out.size();
  Type et = elemOf(x);
  // Per tap: an index vector [out] (i32) and, unless nearest, a weight
  // vector [out], both read at the output position along `axis`.
  SmallVector<Value> ins;
  auto vecType = [&](Type t) { return tensorType({ax.out}, t); };
  for (int64_t k = 0; k < ax.taps; ++k) {
    SmallVector<int32_t> idx;
    for (int64_t o = 0; o < ax.out; ++o)
      idx.push_back(ax.index[o * ax.taps + k]);
    auto type = vecType(b.getI32Type());
    ins.push_back(tosa::ConstOp::create(
        b, loc, type, DenseElementsAttr::get(type, ArrayRef<int32_t>(idx))));
  }
  if (ax.taps > 1)
    for (int64_t k = 0; k < ax.taps; ++k) {
      SmallVector<Attribute> w;
      for (int64_t o = 0; o < ax.out; ++o)
        w.push_back(b.getFloatAttr(et, ax.weight[o * ax.taps + k]));
      auto type = vecType(et);
      ins.push_back(
          tosa::ConstOp::create(b, loc, type, DenseElementsAttr::get(type, w)));
    }
  SmallVector<AffineMap> maps(
      ins.size(), AffineMap::get(rank, 0, b.getAffineDimExpr(axis), ctx));
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, out, et);
  int64_t taps = ax.taps;
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{tensorType(out, et)}, ins, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> ivs;
        for (int64_t d = 0; d < rank; ++d)
          ivs.push_back(linalg::IndexOp::create(nb, nl, d));
        Value acc;
        for (int64_t k = 0; k < taps; ++k) {
          ivs[axis] =
              arith::IndexCastOp::create(nb, nl, nb.getIndexType(), args[k]);
          Value v = tensor::ExtractOp::create(nb, nl, x, ivs);
          if (taps > 1)
            v = arith::MulFOp::create(nb, nl, v, args[taps + k]);
          acc = acc ? arith::AddFOp::create(nb, nl, acc, v).getResult() : v;
        }
        linalg::YieldOp::create(nb, nl, acc);
      });
  return generic.getResult(0);
}

/// Resize (opsets 11-17; opset 10 is refused before the version converter,
/// which would silently change its coordinate mapping). Every axis is
/// resized separately, innermost first like ONNX's reference: its taps
/// (indices and weights) are computed at import and one linalg.generic
/// gathers them with tensor.extract. Nearest upsampling by integer factors
/// that reads o / factor is a reshape + tosa.tile instead. tosa.resize does
/// not fit: its nearest mode rounds halves up, its scale is a rational
/// n/d with an integer offset in 1/n units (float scales such as 0.6 and
/// in * scale - 1 for align_corners are not), it is NHWC-only and has no
/// cubic mode.
LogicalResult ONNXLowering::importResize(const ONNXNode &n) {
  Value x = get(n, 0);
  Shape xs = shapeOf(x);
  int64_t rank = xs.size();
  std::string mode = attrString(n, "mode", "nearest");
  std::string coord =
      attrString(n, "coordinate_transformation_mode", "half_pixel");
  std::string nearest = attrString(n, "nearest_mode", "round_prefer_floor");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return fail("Resize: mode '" + mode + "' is not supported");
  if (coord != "half_pixel" && coord != "asymmetric" &&
      coord != "align_corners" && coord != "pytorch_half_pixel" &&
      coord != "tf_half_pixel_for_nn")
    return fail("Resize: coordinate_transformation_mode '" + coord +
                "' is not supported");
  if (mode == "nearest" && nearest != "round_prefer_floor" &&
      nearest != "round_prefer_ceil" && nearest != "floor" && nearest != "ceil")
    return fail("Resize: nearest_mode '" + nearest + "' is not supported");
  if (int64_t aa = attrInt(n, "antialias", 0))
    return fail("Resize: antialias = " + Twine(aa) + " is not supported");
  if (n.getAttr("axes"))
    return fail("Resize: the axes attribute is not supported");
  std::string policy = attrString(n, "keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch")
    return fail("Resize: keep_aspect_ratio_policy '" + policy +
                "' is not supported");
  if (mode != "nearest" && !isa<FloatType>(elemOf(x)))
    return fail("Resize: mode '" + mode + "' needs a floating-point input");

  // scales (input 2) or sizes (input 3): exactly one non-empty constant.
  auto operand = [&](int i, StringRef name,
                     const ConstTensor *&c) -> LogicalResult {
    c = nullptr;
    if (!hasInput(n, i))
      return success();
    c = getConst(n, i);
    if (!c && product(shapeOf(get(n, i))) != 0)
      return requireConst(n, i, name), failure();
    if (c && c->numElements() == 0)
      c = nullptr;
    if (c && c->numElements() != rank)
      return fail(Twine("Resize: ") + name + " has " + Twine(c->numElements()) +
                  " elements, expected " + Twine(rank));
    return success();
  };
  const ConstTensor *scales, *sizes;
  if (failed(operand(2, "scales", scales)) ||
      failed(operand(3, "sizes", sizes)))
    return failure();
  if (!scales == !sizes)
    return fail("Resize: exactly one of scales and sizes must be given");

  SmallVector<ResizeAxis> axes(rank);
  double cubicA = attrFloat(n, "cubic_coeff_a", -0.75f);
  bool excludeOutside = attrInt(n, "exclude_outside", 0) != 0;
  for (int64_t a = 0; a < rank; ++a) {
    ResizeAxis &ax = axes[a];
    ax.in = xs[a];
    float scale;
    if (sizes) {
      ax.out = sizes->getInt(a);
      scale = (float)ax.out / (float)ax.in;
    } else {
      scale = (float)scales->getDouble(a);
      if (!(scale > 0))
        return fail("Resize: scales must be positive");
      ax.out = (int64_t)std::floor((float)ax.in * scale);
    }
    if (ax.out < 1 || ax.in < 1)
      return fail("Resize: empty inputs or results are not supported");
    resizeTaps(mode, coord, nearest, cubicA, excludeOutside, scale,
               sizes != nullptr, ax);
  }

  SmallVector<int64_t> resized;
  for (int64_t a = 0; a < rank; ++a)
    if (!isIdentityAxis(axes[a]))
      resized.push_back(a);
  bool replicate = !resized.empty() && llvm::all_of(resized, [&](int64_t a) {
    return replicationFactor(axes[a]) != 0;
  });
  if (replicate) {
    // [.., H, ..] -> [.., H, 1, ..] -> tile [.., 1, f, ..] -> [.., H*f, ..].
    Shape expanded, mult, out;
    for (int64_t a = 0; a < rank; ++a) {
      expanded.push_back(xs[a]);
      mult.push_back(1);
      out.push_back(axes[a].out);
      if (llvm::is_contained(resized, a)) {
        expanded.push_back(1);
        mult.push_back(replicationFactor(axes[a]));
      }
    }
    Shape tiled;
    for (int64_t i = 0, e = expanded.size(); i < e; ++i)
      tiled.push_back(expanded[i] * mult[i]);
    Value y = reshape(x, expanded);
    y = tosa::TileOp::create(b, loc, tensorType(tiled, elemOf(x)), y,
                             constShape(mult));
    setValue(n, 0, reshape(y, out));
    return success();
  }
  for (int64_t a : llvm::reverse(resized))
    x = resizeAxis(x, a, axes[a]);
  setValue(n, 0, x);
  return success();
}

void mlir::bitmod::onnx_import::populateResizePatterns(
    ONNXPatternTable &patterns) {
  using L = ONNXLowering;
  patterns.onOp("ConvTranspose", 1, &L::importConvTranspose, 2);
  patterns.onOp("Resize", 10, &L::importResize);
}
