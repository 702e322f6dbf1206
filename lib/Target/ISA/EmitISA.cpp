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
#include "llvm/Support/xxhash.h"

#include <cstring>

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
  // The loaded blocks (address, size), in the order of their first load.
  struct Block {
    uint64_t addr, bytes, newAddr;
  };
  std::vector<Block> blocks;
  llvm::DenseMap<std::pair<uint64_t, uint64_t>, size_t> blockOf;
  for (const isa::Instruction &inst : p.instructions)
    if (inst.opcode == isa::Opcode::LoadWgt) {
      auto key =
          std::make_pair(inst.loadWgt.dramAddr, uint64_t(inst.loadWgt.bytes));
      if (blockOf.try_emplace(key, blocks.size()).second)
        blocks.push_back({key.first, key.second, 0});
    }
  auto content = [&](const Block &b) {
    return ArrayRef<uint8_t>(p.weights.data() + (b.addr - p.weightBase),
                             b.bytes);
  };
  // New addresses: the first block of each content gets the next 16-byte
  // aligned place of the new blob; repeats point to it. Contents are
  // compared by hash, then byte for byte (no copy of the blob).
  llvm::DenseMap<uint64_t, SmallVector<size_t, 1>> byHash;
  std::vector<size_t> kept;
  uint64_t size = 0;
  bool repeated = false, inPlace = true;
  for (size_t i = 0; i < blocks.size(); ++i) {
    Block &b = blocks[i];
    ArrayRef<uint8_t> bytes = content(b);
    SmallVector<size_t, 1> &same = byHash[llvm::xxh3_64bits(bytes)];
    auto first = llvm::find_if(
        same, [&](size_t j) { return content(blocks[j]) == bytes; });
    if (first != same.end()) {
      b.newAddr = blocks[*first].newAddr;
      repeated = true;
      continue;
    }
    same.push_back(i);
    b.newAddr = p.weightBase + size;
    // Moving the kept blocks down in order overwrites nothing still to be
    // read when each one moves down and they come in address order.
    if (b.newAddr > b.addr ||
        (!kept.empty() &&
         b.addr < blocks[kept.back()].addr + blocks[kept.back()].bytes))
      inPlace = false;
    kept.push_back(i);
    size = (size + b.bytes + 15) / 16 * 16;
  }
  if (!repeated || size >= p.weights.size())
    return;
  if (inPlace) {
    for (size_t i : kept) {
      const Block &b = blocks[i];
      uint8_t *dst = p.weights.data() + (b.newAddr - p.weightBase);
      std::memmove(dst, p.weights.data() + (b.addr - p.weightBase), b.bytes);
      uint64_t padded = (b.bytes + 15) / 16 * 16;
      std::fill(dst + b.bytes, dst + padded, 0);
    }
    p.weights.resize(size);
    p.weights.shrink_to_fit();
  } else {
    std::vector<uint8_t> blob(size, 0);
    for (size_t i : kept) {
      ArrayRef<uint8_t> bytes = content(blocks[i]);
      std::copy(bytes.begin(), bytes.end(),
                blob.begin() + (blocks[i].newAddr - p.weightBase));
    }
    p.weights = std::move(blob);
  }
  for (isa::Instruction &inst : p.instructions)
    if (inst.opcode == isa::Opcode::LoadWgt)
      inst.loadWgt.dramAddr =
          blocks[blockOf.lookup(std::make_pair(inst.loadWgt.dramAddr,
                                               uint64_t(inst.loadWgt.bytes)))]
              .newAddr;
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
