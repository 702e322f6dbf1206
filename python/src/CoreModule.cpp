//===- CoreModule.cpp - pybind11 bindings of the MLIR-free libraries ------===//
//
// bitmod._core: the quantizer (BitMoDQuant), the accelerator description
// (BitMoDArch), the cost model and the functional datapath (BitMoDSim) and
// the .bmod container (BitMoDISA). python/bitmod/api.py wraps it; see
// docs/python.md. Every C++ call that can take time runs with the GIL
// released; llvm::Error becomes bitmod.Error (a ValueError) carrying the
// C++ message. Packed storage is exposed as numpy views of the C++ vectors
// (no copy; the view keeps its PackedWeights alive).
//
//===----------------------------------------------------------------------===//

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/ISA/Assembly.h"
#include "bitmod/ISA/Program.h"
#include "bitmod/Quant/DataType.h"
#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/Datapath.h"
#include "bitmod/Support/Half.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace py = pybind11;
using namespace bitmod;

namespace {

/// Raised for every llvm::Error; registered as bitmod._core.Error.
struct BitMoDError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(llvm::Error e) {
  if (e)
    throw BitMoDError(llvm::toString(std::move(e)));
}

template <typename T> T check(llvm::Expected<T> v) {
  if (!v)
    throw BitMoDError(llvm::toString(v.takeError()));
  return std::move(*v);
}

quant::DataType toDataType(const std::string &name) {
  if (std::optional<quant::DataType> t = quant::parseDataType(name))
    return *t;
  throw BitMoDError("unknown data type '" + name +
                    "' (expected one of: " + quant::listDataTypeNames() + ")");
}

quant::Granularity toGranularity(const std::string &name) {
  if (std::optional<quant::Granularity> g = quant::parseGranularity(name))
    return *g;
  throw BitMoDError("unknown granularity '" + name + "'");
}

/// A 2-D C-contiguous float32 view of `a` (float16 is widened, a copy);
/// other dtypes and ranks are errors.
py::array_t<float, py::array::c_style> asFloat32Matrix(const py::array &a,
                                                       const char *what) {
  if (a.ndim() != 2)
    throw BitMoDError(std::string(what) + ": expected a 2-D array, got " +
                      std::to_string(a.ndim()) + "-D");
  py::dtype dt = a.dtype();
  if (dt.kind() == 'f' && dt.itemsize() == 4)
    return py::array_t<float, py::array::c_style>::ensure(a);
  if (dt.kind() == 'f' && dt.itemsize() == 2) {
    auto src = py::array_t<uint16_t, py::array::c_style>::ensure(
        py::array(a).view("uint16"));
    py::array_t<float> out({a.shape(0), a.shape(1)});
    const uint16_t *s = src.data();
    float *d = out.mutable_data();
    size_t n = size_t(a.size());
    {
      py::gil_scoped_release release;
      for (size_t i = 0; i < n; ++i)
        d[i] = support::halfToFloat(s[i]);
    }
    return out;
  }
  throw BitMoDError(std::string(what) + ": expected float32 or float16, got " +
                    std::string(py::str(dt)));
}

/// A numpy view of `vec` owned by `owner` (no copy).
template <typename T>
py::array viewOf(const std::vector<T> &vec, std::vector<py::ssize_t> shape,
                 py::handle owner) {
  if (vec.empty())
    return py::array_t<T>(std::vector<py::ssize_t>{0});
  py::array_t<T> a(shape, vec.data(), owner);
  // Read-only: the packed form must stay consistent with its layout.
  py::detail::array_proxy(a.ptr())->flags &=
      ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return std::move(a);
}

arch::AccelConfig toAccelConfig(const std::string &text) {
  llvm::StringRef s(text);
  s = s.trim();
  if (s.empty())
    return arch::AccelConfig();
  if (s.starts_with("{"))
    return check(arch::parseAccelConfigJSON(s));
  return check(arch::fromKeyValue(s));
}

sim::AcceleratorKind toAcceleratorKind(const std::string &name) {
  if (std::optional<sim::AcceleratorKind> k = sim::parseAcceleratorKind(name))
    return *k;
  throw BitMoDError("unknown accelerator '" + name +
                    "' (expected bitmod, fp16, ant or olive)");
}

arch::ArrayArrangement toArrangement(const std::string &name) {
  if (std::optional<arch::ArrayArrangement> a = arch::parseArrangement(name))
    return *a;
  throw BitMoDError("unknown arrangement '" + name +
                    "' (expected disc, gen or auto)");
}

py::dict costToDict(const sim::GemmCost &c) {
  py::dict d;
  d["accelerator"] = std::string(sim::getAcceleratorName(c.kind));
  d["M"] = c.shape.M;
  d["N"] = c.shape.N;
  d["K"] = c.shape.K;
  d["bits_per_weight"] = c.spec.bitsPerWeight;
  d["terms_per_weight"] = c.spec.termsPerWeight;
  d["group_size"] = c.spec.groupSize;
  d["blocking"] = std::string(sim::getBlockingOrderName(c.plan.order));
  d["arrangement"] = std::string(arch::getArrangementName(c.plan.arrangement));
  d["macs"] = c.macs;
  d["passes"] = c.passes;
  d["pass_cycles"] = c.passCycles;
  d["group_cycles"] = c.groupCycles;
  d["fill_cycles"] = c.fillCycles;
  d["drain_cycles"] = c.drainCycles;
  d["compute_cycles"] = c.computeCycles;
  d["dram_cycles"] = c.dramCycles;
  d["first_load_cycles"] = c.firstLoadCycles;
  d["last_store_cycles"] = c.lastStoreCycles;
  d["total_cycles"] = c.totalCycles;
  d["weight_bytes"] = c.weightBytes;
  d["act_bytes"] = c.actBytes;
  d["out_bytes"] = c.outBytes;
  d["dram_read_bytes"] = c.dramReadBytes;
  d["dram_write_bytes"] = c.dramWriteBytes;
  d["dram_bytes"] = c.dramBytes;
  d["sram_accesses"] = c.sramAccesses;
  d["pe_active_cycles"] = c.peActiveCycles;
  d["dram_pj"] = c.energy.dramPJ;
  d["act_buffer_pj"] = c.energy.actBufferPJ;
  d["wgt_buffer_pj"] = c.energy.wgtBufferPJ;
  d["core_pj"] = c.energy.corePJ;
  d["energy_pj"] = c.energy.getTotalPJ();
  return d;
}

/// Holder of a quantized tensor; numpy views point into it.
using PackedPtr = std::shared_ptr<quant::PackedWeights>;

PackedPtr quantizeArray(const py::array &weights, const std::string &dtype,
                        unsigned groupSize, unsigned scaleBits,
                        const std::string &granularity, unsigned numThreads,
                        const std::string &name) {
  quant::QuantConfig cfg;
  cfg.dtype = toDataType(dtype);
  cfg.groupSize = groupSize;
  cfg.scaleBits = scaleBits;
  cfg.granularity = toGranularity(granularity);
  cfg.numThreads = numThreads;
  cfg.tensorName = name;
  if (weights.ndim() != 2)
    throw BitMoDError(name + ": expected a 2-D array, got " +
                      std::to_string(weights.ndim()) + "-D");
  int64_t N = weights.shape(0), K = weights.shape(1);
  if (N == 0 || K == 0)
    throw BitMoDError(name + ": empty matrix [" + std::to_string(N) + ", " +
                      std::to_string(K) + "]");
  // float16 is handed to the quantizer as it is (it widens one row at a
  // time, exactly); float32 is read in place; others are an error.
  py::array_t<uint16_t, py::array::c_style> halfBits;
  py::array_t<float, py::array::c_style> floats;
  quant::WeightSpan data;
  py::dtype dt = weights.dtype();
  if (dt.kind() == 'f' && dt.itemsize() == 2) {
    halfBits = py::array_t<uint16_t, py::array::c_style>::ensure(
        py::array(weights).view("uint16"));
    data = quant::WeightSpan::f16({halfBits.data(), size_t(N * K)});
  } else {
    floats = asFloat32Matrix(weights, name.c_str());
    data = quant::WeightSpan::f32({floats.data(), size_t(N * K)});
  }
  auto result = std::make_shared<quant::PackedWeights>();
  {
    py::gil_scoped_release release;
    llvm::Expected<quant::PackedWeights> p = quant::quantize(data, N, K, cfg);
    if (!p) {
      std::string msg = llvm::toString(p.takeError());
      py::gil_scoped_acquire acquire;
      throw BitMoDError(msg);
    }
    *result = std::move(*p);
  }
  return result;
}

py::array_t<float> dequantizeToArray(const quant::PackedWeights &p) {
  py::array_t<float> out({p.rows, p.cols});
  float *dst = out.mutable_data();
  {
    py::gil_scoped_release release;
    std::vector<float> v = quant::dequantize(p);
    std::memcpy(dst, v.data(), v.size() * sizeof(float));
  }
  return out;
}

py::dict statsToDict(const quant::QuantStats &st) {
  py::dict d;
  d["count"] = st.count;
  d["mse"] = st.getMSE();
  d["sqnr_db"] = st.getSQNRdB();
  d["max_abs_error"] = st.maxAbsError;
  d["sum_squared_error"] = st.sumSquaredError;
  d["sum_squared_signal"] = st.sumSquaredSignal;
  return d;
}

py::dict symbolToDict(const isa::Symbol &s) {
  py::dict d;
  d["name"] = s.name;
  d["kind"] = std::string(isa::getSymbolKindName(s.kind));
  d["elem_type"] = std::string(isa::getElemTypeName(s.elemType));
  d["shape"] = s.shape;
  d["dram_addr"] = s.dramAddr;
  d["bytes"] = s.bytes;
  return d;
}

py::dict layerToDict(const isa::LayerRange &l) {
  py::dict d;
  d["name"] = l.name;
  d["first_inst"] = l.firstInst;
  d["num_insts"] = l.numInsts;
  d["M"] = l.gemmM;
  d["N"] = l.gemmN;
  d["K"] = l.gemmK;
  return d;
}

} // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "C++ core of bitmod (quantizer, cost model, datapath, .bmod); "
            "use the wrappers in bitmod.api.";
  py::register_exception<BitMoDError>(m, "Error", PyExc_ValueError);

  //--- Data types ----------------------------------------------------------
  m.def(
      "dtype_names",
      [] {
        std::vector<std::string> names;
        for (unsigned i = 0; i < quant::kNumDataTypes; ++i)
          names.emplace_back(quant::getName(quant::DataType(i)));
        return names;
      },
      "Every data type spelling, in dialect enum order.");
  m.def(
      "dtype_info",
      [](const std::string &name) {
        quant::DataType t = toDataType(name);
        py::dict d;
        d["name"] = std::string(quant::getName(t));
        d["id"] = uint32_t(t);
        d["code_bits"] = quant::getCodeBits(t);
        d["is_integer"] = quant::isIntegerType(t);
        d["is_asymmetric"] = quant::isAsymmetric(t);
        d["is_mx"] = quant::isMXType(t);
        d["has_selector"] = quant::hasSelector(t);
        d["has_special_value"] = quant::hasSpecialValue(t);
        d["required_group_size"] = quant::getRequiredGroupSize(t);
        d["value_set"] = quant::getValueSet(t);
        d["qmax"] = quant::getQMax(t);
        d["pe_supported"] = sim::isSupportedByPE(t);
        if (sim::isSupportedByPE(t))
          d["terms_per_weight"] = check(sim::getTermsPerWeight(t));
        return d;
      },
      py::arg("dtype"),
      "Properties of a data type: code bits, value set (integer scaling), "
      "qmax, flags, PE terms per weight.");
  m.def(
      "decode_code",
      [](const std::string &dtype, uint32_t code, unsigned selector) {
        return quant::decodeCode(toDataType(dtype), code, selector);
      },
      py::arg("dtype"), py::arg("code"), py::arg("selector") = 0,
      "Value of one code in the integer scaling of DataType.h.");
  m.def(
      "nominal_bits_per_weight",
      [](const std::string &dtype, unsigned groupSize, unsigned scaleBits) {
        return quant::getNominalBitsPerWeight(toDataType(dtype), groupSize,
                                              scaleBits);
      },
      py::arg("dtype"), py::arg("group_size") = 128, py::arg("scale_bits") = 8,
      "Code bits + per-group metadata bits / G (the paper's bits/weight).");

  //--- Packed weights ------------------------------------------------------
  py::class_<quant::PackedWeights, PackedPtr>(
      m, "PackedWeights",
      "A quantized, packed weight W[N, K] (Quantizer.h storage layout). The "
      "array properties are read-only numpy views of the C++ storage.")
      .def_property_readonly("dtype",
                             [](const quant::PackedWeights &p) {
                               return std::string(quant::getName(p.dtype));
                             })
      .def_property_readonly("granularity",
                             [](const quant::PackedWeights &p) {
                               return std::string(
                                   quant::getGranularityName(p.granularity));
                             })
      .def_property_readonly("shape",
                             [](const quant::PackedWeights &p) {
                               return py::make_tuple(p.rows, p.cols);
                             })
      .def_readonly("scale_bits", &quant::PackedWeights::scaleBits)
      .def_property_readonly("group_size", &quant::PackedWeights::getGroupSize)
      .def_property_readonly("num_groups", &quant::PackedWeights::getNumGroups)
      .def_property_readonly(
          "code_bits",
          [](const quant::PackedWeights &p) { return p.layout.codeBits; })
      .def_property_readonly(
          "padded_k",
          [](const quant::PackedWeights &p) { return p.layout.paddedK; })
      .def_property_readonly("storage_bits_per_weight",
                             &quant::PackedWeights::getStorageBitsPerWeight)
      .def_property_readonly(
          "codes",
          [](py::object self) {
            auto &p = self.cast<quant::PackedWeights &>();
            return viewOf(p.codes, {p.rows, p.layout.rowCodeBytes}, self);
          },
          "uint8 [N, rowCodeBytes]: codes packed LSB-first per row.")
      .def_property_readonly(
          "group_scale_codes",
          [](py::object self) {
            auto &p = self.cast<quant::PackedWeights &>();
            return viewOf(p.groupScaleCodes, {p.rows, p.layout.numGroups},
                          self);
          },
          "int8 [N, numGroups] (scale_bits > 0), else empty.")
      .def_property_readonly(
          "group_scales",
          [](py::object self) {
            auto &p = self.cast<quant::PackedWeights &>();
            return viewOf(p.groupScales, {p.rows, p.layout.numGroups}, self);
          },
          "float32 [N, numGroups] (scale_bits == 0), else empty.")
      .def_property_readonly(
          "channel_scales",
          [](py::object self) {
            auto &p = self.cast<quant::PackedWeights &>();
            return viewOf(p.channelScales, {p.rows}, self);
          },
          "float32 [N] (scale_bits > 0), else empty.")
      .def_property_readonly(
          "selectors",
          [](py::object self) {
            auto &p = self.cast<quant::PackedWeights &>();
            return viewOf(p.selectors, {p.rows, p.layout.rowSelectorBytes},
                          self);
          },
          "uint8 [N, ceil(numGroups/4)]: 2-bit selectors (bitmod3/4).")
      .def_property_readonly(
          "zero_points",
          [](py::object self) {
            auto &p = self.cast<quant::PackedWeights &>();
            return viewOf(p.zeroPoints, {p.rows, p.layout.numGroups}, self);
          },
          "uint8 [N, numGroups] (asym types).")
      .def_property_readonly(
          "shared_exponents",
          [](py::object self) {
            auto &p = self.cast<quant::PackedWeights &>();
            return viewOf(p.sharedExponents, {p.rows, p.layout.numGroups},
                          self);
          },
          "int8 [N, numGroups] (MX types).")
      .def(
          "unpacked_codes",
          [](const quant::PackedWeights &p) {
            py::array_t<uint8_t> out({p.rows, p.layout.paddedK});
            uint8_t *d = out.mutable_data();
            py::gil_scoped_release release;
            for (int64_t n = 0; n < p.rows; ++n)
              for (int64_t k = 0; k < p.layout.paddedK; ++k)
                *d++ = uint8_t(p.getCode(n, k));
            return out;
          },
          "uint8 [N, paddedK]: one code per element (a copy).")
      .def(
          "unpacked_selectors",
          [](const quant::PackedWeights &p) {
            py::array_t<uint8_t> out({p.rows, p.layout.numGroups});
            uint8_t *d = out.mutable_data();
            for (int64_t n = 0; n < p.rows; ++n)
              for (int64_t g = 0; g < p.layout.numGroups; ++g)
                *d++ = uint8_t(p.getSelector(n, g));
            return out;
          },
          "uint8 [N, numGroups]: one selector per group (0 without).")
      .def(
          "effective_scales",
          [](const quant::PackedWeights &p) {
            py::array_t<float> out({p.rows, p.layout.numGroups});
            float *d = out.mutable_data();
            for (int64_t n = 0; n < p.rows; ++n)
              for (int64_t g = 0; g < p.layout.numGroups; ++g)
                *d++ = p.getEffectiveScale(n, g);
            return out;
          },
          "float32 [N, numGroups]: the scale the hardware multiplies by.")
      .def(
          "selector_histogram",
          [](const quant::PackedWeights &p) {
            std::array<uint64_t, 4> h = quant::getSelectorHistogram(p);
            return std::vector<uint64_t>(h.begin(), h.end());
          },
          "Groups per selector value (er_pos, er_neg, ea_pos, ea_neg).")
      .def("dequantize", &dequantizeToArray,
           "float32 [N, K] dequantized matrix.")
      .def(
          "serialize",
          [](const quant::PackedWeights &p) {
            std::vector<uint8_t> bytes;
            {
              py::gil_scoped_release release;
              bytes = quant::serializePacked(p);
            }
            return py::bytes(reinterpret_cast<const char *>(bytes.data()),
                             bytes.size());
          },
          "The .bmqw container (docs/numerics.md) as bytes.")
      .def_static(
          "deserialize",
          [](py::bytes data) {
            std::string_view s = data;
            llvm::ArrayRef<uint8_t> bytes(
                reinterpret_cast<const uint8_t *>(s.data()), s.size());
            return std::make_shared<quant::PackedWeights>(
                check(quant::deserializePacked(bytes)));
          },
          py::arg("data"), "Parses a .bmqw container.");

  m.def("quantize", &quantizeArray, py::arg("weights"), py::arg("dtype"),
        py::arg("group_size") = 128, py::arg("scale_bits") = 8,
        py::arg("granularity") = "per-group", py::arg("num_threads") = 0,
        py::arg("name") = "weight",
        "Quantizes a 2-D float32/float16 [N, K] matrix (groups along K) and "
        "packs it. float32 C-contiguous input is read in place.");
  m.def(
      "_time_quantize",
      [](const py::array &weights, const std::string &dtype, unsigned groupSize,
         unsigned scaleBits, unsigned numThreads) {
        // The C++ side of the overhead benchmark (python/bench_api.py):
        // quant::quantize alone, timed in C++ on the same input.
        auto w = asFloat32Matrix(weights, "weights");
        quant::QuantConfig cfg;
        cfg.dtype = toDataType(dtype);
        cfg.groupSize = groupSize;
        cfg.scaleBits = scaleBits;
        cfg.numThreads = numThreads;
        llvm::ArrayRef<float> data(w.data(), size_t(w.size()));
        py::gil_scoped_release release;
        auto start = std::chrono::steady_clock::now();
        llvm::Expected<quant::PackedWeights> p =
            quant::quantize(data, w.shape(0), w.shape(1), cfg);
        auto stop = std::chrono::steady_clock::now();
        if (!p) {
          std::string msg = llvm::toString(p.takeError());
          py::gil_scoped_acquire acquire;
          throw BitMoDError(msg);
        }
        return std::chrono::duration<double>(stop - start).count();
      },
      py::arg("weights"), py::arg("dtype"), py::arg("group_size") = 128,
      py::arg("scale_bits") = 8, py::arg("num_threads") = 0,
      "Seconds quant::quantize takes in C++ (benchmark helper).");
  m.def(
      "fake_quantize",
      [](const py::array &weights, const std::string &dtype, unsigned groupSize,
         unsigned scaleBits, const std::string &granularity,
         unsigned numThreads, const std::string &name) {
        PackedPtr p = quantizeArray(weights, dtype, groupSize, scaleBits,
                                    granularity, numThreads, name);
        return dequantizeToArray(*p);
      },
      py::arg("weights"), py::arg("dtype"), py::arg("group_size") = 128,
      py::arg("scale_bits") = 8, py::arg("granularity") = "per-group",
      py::arg("num_threads") = 0, py::arg("name") = "weight",
      "quantize() then dequantize(): float32 [N, K].");
  m.def(
      "compute_stats",
      [](const py::array &original, const py::array &dequantized) {
        auto a = asFloat32Matrix(original, "original");
        auto b = asFloat32Matrix(dequantized, "dequantized");
        if (a.shape(0) != b.shape(0) || a.shape(1) != b.shape(1))
          throw BitMoDError("compute_stats: shapes differ");
        quant::QuantStats st;
        {
          py::gil_scoped_release release;
          st = quant::computeStats(
              llvm::ArrayRef<float>(a.data(), size_t(a.size())),
              llvm::ArrayRef<float>(b.data(), size_t(b.size())));
        }
        return statsToDict(st);
      },
      py::arg("original"), py::arg("dequantized"),
      "MSE, SQNR (dB), max |error| of a dequantized matrix.");

  //--- Accelerator and cost model -----------------------------------------
  m.def(
      "accel_config_json",
      [](const std::string &text) {
        return arch::toJSONString(toAccelConfig(text));
      },
      py::arg("config") = "",
      "Normalized AccelConfig JSON of a JSON text or key=value list ('' = "
      "paper defaults); validates it.");
  m.def(
      "estimate",
      [](uint64_t M, uint64_t N, uint64_t K, const std::string &dtype,
         const std::string &accel, const std::string &kind, unsigned groupSize,
         bool attention, const std::string &arrangement, bool analytic) {
        arch::AccelConfig cfg = toAccelConfig(accel);
        sim::AcceleratorKind k = toAcceleratorKind(kind);
        quant::DataType t = toDataType(dtype);
        arch::ArrayArrangement a = toArrangement(arrangement);
        llvm::Expected<sim::GemmCost> cost = [&] {
          py::gil_scoped_release release;
          return sim::estimate(cfg, k, sim::GemmShape{M, N, K}, t, groupSize,
                               attention, a, analytic);
        }();
        return costToDict(check(std::move(cost)));
      },
      py::arg("M"), py::arg("N"), py::arg("K"), py::arg("dtype"),
      py::arg("accel") = "", py::arg("kind") = "bitmod",
      py::arg("group_size") = 128, py::arg("attention") = false,
      py::arg("arrangement") = "auto", py::arg("analytic") = false,
      "Cost (cycles, traffic, energy in pJ) of Y[M,N] = X[M,K] W[N,K]^T: "
      "the planned, simulated cost of the best plan, or with analytic=True "
      "the closed-form formula (CostModel.h estimate/estimateAnalytic).");

  //--- Functional datapath -------------------------------------------------
  m.def(
      "grouped_matmul",
      [](const py::array &x, const quant::PackedWeights &w,
         const std::string &output) {
        if (x.ndim() != 2)
          throw BitMoDError("grouped_matmul: x must be 2-D [M, K]");
        if (x.shape(1) != w.cols)
          throw BitMoDError(
              "grouped_matmul: x has K=" + std::to_string(x.shape(1)) +
              ", weights have K=" + std::to_string(w.cols));
        sim::DatapathOptions opts;
        if (output == "fp16")
          opts.output = sim::OutputRounding::FP16;
        else if (output != "fp32")
          throw BitMoDError("grouped_matmul: output must be fp32 or fp16");
        // The SV register file holds the set the codes were quantized
        // against (the paper's when unset).
        if (w.specialValues) {
          sim::SpecialValueFile sv;
          for (unsigned i = 0; i < 4; ++i)
            sv.values[i] = (*w.specialValues)[i];
          opts.specialValues = sv;
        }
        unsigned M = unsigned(x.shape(0));
        size_t n = size_t(x.size());
        std::vector<uint16_t> xh(n);
        py::dtype dt = x.dtype();
        if (dt.kind() == 'f' && dt.itemsize() == 2) {
          auto src = py::array_t<uint16_t, py::array::c_style>::ensure(
              py::array(x).view("uint16"));
          std::memcpy(xh.data(), src.data(), n * 2);
        } else {
          auto src = asFloat32Matrix(x, "x");
          for (size_t i = 0; i < n; ++i)
            xh[i] = support::floatToHalf(src.data()[i]);
        }
        py::array_t<float> y({py::ssize_t(M), py::ssize_t(w.rows)});
        float *yp = y.mutable_data();
        sim::DatapathStats stats;
        llvm::Error e = [&] {
          py::gil_scoped_release release;
          return sim::groupedMatmul(xh.data(), M, w, yp, opts, &stats);
        }();
        check(std::move(e));
        return py::make_tuple(y, stats.termSteps, stats.groupDequants);
      },
      py::arg("x"), py::arg("weights"), py::arg("output") = "fp32",
      "Bit-exact BitMoD PE datapath: y[M, N] = x (rounded to FP16) W^T; "
      "returns (y, term_steps, group_dequants).");

  //--- .bmod programs ------------------------------------------------------
  py::class_<isa::Program, std::shared_ptr<isa::Program>>(
      m, "Program", "A compiled accelerator program (.bmod container).")
      .def_static(
          "read",
          [](const std::string &path) {
            return std::make_shared<isa::Program>(
                check(isa::readBmodFile(path)));
          },
          py::arg("path"), "Reads and verifies a .bmod file.")
      .def_static(
          "from_bytes",
          [](py::bytes data) {
            std::string_view s = data;
            llvm::MemoryBufferRef ref(llvm::StringRef(s.data(), s.size()),
                                      "<bytes>");
            return std::make_shared<isa::Program>(check(isa::readBmod(ref)));
          },
          py::arg("data"), "Parses a .bmod image.")
      .def_static(
          "from_assembly",
          [](const std::string &text) {
            return std::make_shared<isa::Program>(
                check(isa::parseAssembly(text)));
          },
          py::arg("text"), "Parses an assembly listing (bitmod-translate).")
      .def(
          "to_bytes",
          [](const isa::Program &p) {
            std::string s;
            llvm::raw_string_ostream os(s);
            check(isa::writeBmod(p, os));
            return py::bytes(s);
          },
          "The .bmod image (verifies the program first).")
      .def(
          "write",
          [](const isa::Program &p, const std::string &path) {
            std::error_code ec;
            llvm::raw_fd_ostream os(path, ec);
            if (ec)
              throw BitMoDError("cannot write '" + path + "': " + ec.message());
            check(isa::writeBmod(p, os));
          },
          py::arg("path"), "Writes the .bmod file.")
      .def(
          "assembly",
          [](const isa::Program &p) {
            std::string s;
            llvm::raw_string_ostream os(s);
            isa::printAssembly(p, os);
            return s;
          },
          "The assembly listing.")
      .def(
          "verify", [](const isa::Program &p) { check(isa::verifyProgram(p)); },
          "Raises bitmod.Error when the program is inconsistent.")
      .def_property_readonly("version",
                             [](const isa::Program &p) {
                               return py::make_tuple(p.versionMajor,
                                                     p.versionMinor);
                             })
      .def_readonly("dram_size", &isa::Program::dramSize)
      .def_readonly("weight_base", &isa::Program::weightBase)
      .def_readonly("act_buffer_bytes", &isa::Program::actBufferBytes)
      .def_readonly("wgt_buffer_bytes", &isa::Program::wgtBufferBytes)
      .def_readwrite("accel_config", &isa::Program::accelConfig,
                     "AccelConfig JSON the program was compiled for.")
      .def_property_readonly(
          "num_instructions",
          [](const isa::Program &p) { return p.instructions.size(); })
      .def_property_readonly(
          "opcodes",
          [](const isa::Program &p) {
            std::vector<std::string> ops;
            for (const isa::Instruction &i : p.instructions)
              ops.emplace_back(isa::getMnemonic(i.opcode));
            return ops;
          },
          "Mnemonic of every instruction, in program order.")
      .def_property_readonly(
          "weights",
          [](py::object self) {
            auto &p = self.cast<isa::Program &>();
            return viewOf(p.weights, {py::ssize_t(p.weights.size())}, self);
          },
          "uint8 view of the weight blob.")
      .def_property_readonly("symbols",
                             [](const isa::Program &p) {
                               py::list l;
                               for (const isa::Symbol &s : p.symbols)
                                 l.append(symbolToDict(s));
                               return l;
                             })
      .def_property_readonly("layers", [](const isa::Program &p) {
        py::list l;
        for (const isa::LayerRange &r : p.layers)
          l.append(layerToDict(r));
        return l;
      });
}
