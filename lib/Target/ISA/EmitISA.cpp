//===- EmitISA.cpp - bitmod_hw launches -> isa::Program -------------------===//

#include "bitmod/Target/ISA/EmitISA.h"

#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"
#include "bitmod/Dialect/BitMoD/Transforms/WeightsUtils.h"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWDialect.h"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWOps.h"
#include "bitmod/ISA/Assembly.h"
#include "bitmod/ISA/WeightBlock.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/InitAllDialects.h"
#include "mlir/Tools/mlir-translate/Translation.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::hw;
namespace isa = ::bitmod::isa;
namespace arch = ::bitmod::arch;

/// Stores identical weight blocks once (the same layer compiled for the
/// prefill and the decode phase of a language model, tied weights): every
/// LOAD_WGT of a repeated block reads its first copy and the blob is
/// compacted in first-use order, 16-byte aligned like the schedule's. A
/// program without repeated blocks is left as it is.
static void deduplicateWeightBlocks(isa::Program &p) {
  llvm::DenseMap<std::pair<uint64_t, uint64_t>, uint64_t> newAddress;
  llvm::StringMap<uint64_t> byContent;
  std::vector<uint8_t> blob;
  bool repeated = false;
  for (isa::Instruction &inst : p.instructions) {
    if (inst.opcode != isa::Opcode::LoadWgt)
      continue;
    auto key =
        std::make_pair(inst.loadWgt.dramAddr, uint64_t(inst.loadWgt.bytes));
    if (newAddress.count(key))
      continue;
    StringRef content(reinterpret_cast<const char *>(p.weights.data()) +
                          (key.first - p.weightBase),
                      key.second);
    auto [it, inserted] =
        byContent.try_emplace(content, p.weightBase + blob.size());
    if (inserted) {
      blob.insert(blob.end(), content.begin(), content.end());
      blob.resize((blob.size() + 15) / 16 * 16, 0);
    } else {
      repeated = true;
    }
    newAddress[key] = it->second;
  }
  if (!repeated || blob.size() >= p.weights.size())
    return;
  for (isa::Instruction &inst : p.instructions)
    if (inst.opcode == isa::Opcode::LoadWgt)
      inst.loadWgt.dramAddr = newAddress[std::make_pair(
          inst.loadWgt.dramAddr, uint64_t(inst.loadWgt.bytes))];
  p.weights = std::move(blob);
}

FailureOr<isa::Program> mlir::bitmod::buildISAProgram(ModuleOp module) {
  isa::Program p;
  arch::AccelConfig cfg = getAccelConfig(module);
  p.actBufferBytes = uint32_t(cfg.actBufferBytes);
  p.wgtBufferBytes = uint32_t(cfg.wgtBufferBytes);
  p.accelConfig = arch::toJSONString(cfg);
  auto memory = module->getAttrOfType<DictionaryAttr>(kMemoryAttrName);
  auto weightBytes =
      memory ? memory.getAs<IntegerAttr>("weight_bytes") : IntegerAttr();
  auto dramBytes =
      memory ? memory.getAs<IntegerAttr>("dram_bytes") : IntegerAttr();
  if (!weightBytes || !dramBytes)
    return module.emitError() << "module has no '" << kMemoryAttrName
                              << "' DRAM plan {weight_bytes, dram_bytes}; run "
                                 "--bitmod-bit-serial-schedule first";
  p.weightBase = 0;
  p.weights.assign(uint64_t(weightBytes.getInt()), 0);
  p.dramSize = uint64_t(dramBytes.getInt());

  SmallVector<LaunchOp> launches;
  module.walk([&](LaunchOp l) { launches.push_back(l); });
  if (launches.empty())
    return module.emitError("module holds no bitmod_hw.launch");
  for (auto [index, launch] : llvm::enumerate(launches)) {
    auto w = launch.getWeights().getDefiningOp<WeightsOp>();
    if (!w)
      return launch.emitOpError("weights must be a bitmod.weights constant");
    FailureOr<::bitmod::quant::PackedWeights> packed = getPackedWeights(w);
    if (failed(packed))
      return failure();
    if (!launch.getDramInput() || !launch.getDramOutput())
      return launch.emitOpError("needs dram_input and dram_output");
    uint32_t first = uint32_t(p.instructions.size());
    std::optional<isa::ConfigFields> config;
    llvm::DenseSet<uint64_t> packedBlocks;
    for (Operation &op : launch.getBody().front()) {
      isa::Instruction inst = toInstruction(&op);
      if (inst.opcode == isa::Opcode::Config)
        config = inst.config;
      if (inst.opcode == isa::Opcode::Halt && index + 1 != launches.size())
        return op.emitOpError("halt is only allowed in the last launch");
      if (auto lw = dyn_cast<LoadWgtOp>(op)) {
        std::optional<ArrayRef<int64_t>> block = lw.getBlock();
        if (!block)
          return lw.emitOpError("needs a `block` to pack its weight bytes");
        if (!config)
          return lw.emitOpError("needs a preceding bitmod_hw.config");
        uint64_t dram = uint64_t(lw.getDramAddr());
        if (dram + uint64_t(lw.getBytes()) > p.weights.size())
          return lw.emitOpError("reads outside the ")
                 << p.weights.size() << "-byte weight blob";
        if (packedBlocks.insert(dram).second) {
          auto bytes = isa::packWeightBlock(*packed, *config, (*block)[0],
                                            uint32_t((*block)[1]), (*block)[2],
                                            uint32_t((*block)[3]));
          if (!bytes)
            return lw.emitOpError("cannot pack weight block: ")
                   << llvm::toString(bytes.takeError());
          if (bytes->size() != uint64_t(lw.getBytes()))
            return lw.emitOpError("weight block packs to ")
                   << bytes->size() << " bytes, but the instruction loads "
                   << lw.getBytes();
          std::copy(bytes->begin(), bytes->end(), p.weights.begin() + dram);
        }
      }
      p.instructions.push_back(inst);
    }
    auto inTy = launch.getInput().getType();
    auto outTy = launch.getResult().getType();
    int64_t M = inTy.getDimSize(0), K = inTy.getDimSize(1),
            N = outTy.getDimSize(1);
    std::string name = launch.getSymName().str();
    isa::LayerRange layer;
    layer.name = name;
    layer.firstInst = first;
    layer.numInsts = uint32_t(p.instructions.size()) - first;
    layer.gemmM = uint64_t(M);
    layer.gemmN = uint64_t(N);
    layer.gemmK = uint64_t(K);
    p.layers.push_back(layer);
    isa::ElemType outElem = outTy.getElementType().isF16() ? isa::ElemType::F16
                                                           : isa::ElemType::F32;
    p.symbols.push_back({name + ".x",
                         isa::SymbolKind::Input,
                         isa::ElemType::F16,
                         {M, K},
                         uint64_t(*launch.getDramInput()),
                         uint64_t(M * K * 2)});
    p.symbols.push_back({name + ".y",
                         isa::SymbolKind::Output,
                         outElem,
                         {M, N},
                         uint64_t(*launch.getDramOutput()),
                         uint64_t(M * N) * isa::getElemBytes(outElem)});
  }
  deduplicateWeightBlocks(p);
  if (p.instructions.empty() ||
      p.instructions.back().opcode != isa::Opcode::Halt) {
    isa::Instruction halt;
    halt.opcode = isa::Opcode::Halt;
    p.instructions.push_back(halt);
  }
  if (llvm::Error e = isa::verifyProgram(p))
    return module.emitError("invalid program: ")
           << llvm::toString(std::move(e));
  return p;
}

/// A compiled module holds the launches next to arbitrary host ops (tosa,
/// math, ... from the importer): accept every upstream dialect.
static void registerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registry.insert<BitMoDDialect, BitMoDHWDialect>();
}

/// Builds the program of `op` (a module) and hands it to `emit`.
static LogicalResult translateModule(
    Operation *op,
    function_ref<LogicalResult(ModuleOp, const isa::Program &)> emit) {
  auto module = dyn_cast<ModuleOp>(op);
  if (!module)
    return op->emitError("expected a builtin.module");
  FailureOr<isa::Program> program = buildISAProgram(module);
  if (failed(program))
    return failure();
  return emit(module, *program);
}

void mlir::bitmod::registerBitMoDISATranslations() {
  static bool registered = [] {
    TranslateFromMLIRRegistration emitIsa(
        "emit-isa", "Emit the BitMoD instruction stream as a .bmod file",
        [](Operation *op, raw_ostream &os) {
          return translateModule(
              op, [&](ModuleOp module, const isa::Program &p) -> LogicalResult {
                if (llvm::Error e = isa::writeBmod(p, os))
                  return module.emitError("cannot write .bmod: ")
                         << llvm::toString(std::move(e));
                return success();
              });
        },
        registerDialects);
    TranslateFromMLIRRegistration emitAsm(
        "emit-asm", "Emit the BitMoD assembly listing",
        [](Operation *op, raw_ostream &os) {
          return translateModule(op, [&](ModuleOp, const isa::Program &p) {
            isa::printAssembly(p, os);
            return success();
          });
        },
        registerDialects);
    return true;
  }();
  (void)registered;
}
