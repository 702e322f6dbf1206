//===- OutlineHostSegments.cpp - Split long host functions ----------------===//
//
// --bitmod-outline-host-segments: see Passes.td. The host function of an
// LLM reaches the C++ compiler as one function with a loop per host op;
// cutting it into functions of a few dozen loops keeps -O1 linear.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Conversion/Passes.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODOUTLINEHOSTSEGMENTS
#include "bitmod/Conversion/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;

namespace {

/// Number of scf.for ops in `op`, itself included.
unsigned countLoops(Operation *op) {
  unsigned n = 0;
  op->walk([&](scf::ForOp) { ++n; });
  return n;
}

/// Types a segment function can take (what the C++ emitter passes as an
/// array, a scalar or a pointer).
bool isPassable(Type t) {
  if (auto m = dyn_cast<MemRefType>(t))
    return m.hasStaticShape() && m.getLayout().isIdentity();
  return t.isIntOrIndexOrFloat() || isa<emitc::PointerType>(t) ||
         isa<emitc::OpaqueType>(t);
}

struct OutlineHostSegments
    : public mlir::bitmod::impl::BitMoDOutlineHostSegmentsBase<
          OutlineHostSegments> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    for (func::FuncOp f : funcs)
      if (!f.isExternal() && f.getBody().hasOneBlock())
        outline(f, symbols);
  }

  /// Side-effect-free single-result ops without regions whose operands are
  /// rematerializable too: hoisted and cloned instead of passed.
  bool isRematerializable(Operation *op,
                          llvm::DenseMap<Operation *, bool> &memo) {
    auto it = memo.find(op);
    if (it != memo.end())
      return it->second;
    bool ok = op->getNumRegions() == 0 && op->getNumResults() == 1 &&
              isMemoryEffectFree(op);
    memo[op] = false; // no cycles in a block, but be safe
    for (Value v : op->getOperands()) {
      Operation *def = v.getDefiningOp();
      if (!ok)
        break;
      ok = def && def->getBlock() == op->getBlock() &&
           isRematerializable(def, memo);
    }
    memo[op] = ok;
    return ok;
  }

  void outline(func::FuncOp f, SymbolTable &symbols) {
    Block &body = f.getBody().front();
    if (countLoops(f) <= maxLoops)
      return;
    Operation *terminator = body.getTerminator();

    // Hoist the rematerializable ops (in order, so operands stay before
    // their users) to the start of the function.
    llvm::DenseMap<Operation *, bool> remat;
    SmallVector<Operation *> hoisted;
    for (Operation &op : body.without_terminator())
      if (isRematerializable(&op, remat))
        hoisted.push_back(&op);
    Operation *insertPoint = &body.front();
    for (Operation *op : hoisted) {
      if (op != insertPoint)
        op->moveBefore(insertPoint);
      else
        insertPoint = op->getNextNode();
    }
    // The remaining ops, with the index of the last top-level op that uses
    // each one's results.
    SmallVector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      if (!remat.lookup(&op))
        ops.push_back(&op);
    llvm::DenseMap<Operation *, size_t> indexOf;
    for (auto [i, op] : llvm::enumerate(ops))
      indexOf[op] = i;
    auto lastUse = [&](Operation *op) {
      size_t last = indexOf[op];
      for (Value r : op->getResults())
        for (Operation *user : r.getUsers()) {
          Operation *top = body.findAncestorOpInBlock(*user);
          if (top == terminator)
            return ops.size(); // a function result: never cut after it
          auto found = indexOf.find(top);
          if (found != indexOf.end())
            last = std::max(last, found->second);
        }
      return last;
    };

    // Segments [begin, end): cut once a segment holds maxLoops loops and
    // nothing it produces is used later.
    SmallVector<std::pair<size_t, size_t>> segments;
    size_t begin = 0, loops = 0, reach = 0;
    for (size_t i = 0; i < ops.size(); ++i) {
      loops += countLoops(ops[i]);
      reach = std::max(reach, lastUse(ops[i]));
      if (loops >= maxLoops && reach <= i) {
        segments.push_back({begin, i + 1});
        begin = i + 1;
        loops = 0;
        reach = 0;
      }
    }
    // The rest is a segment too unless the terminator uses what it computes
    // (a function result): then it stays inline.
    if (begin < ops.size() && !segments.empty() && reach < ops.size())
      segments.push_back({begin, ops.size()});
    // Nothing to gain from moving the whole body into one part.
    if (segments.empty() ||
        (segments.size() == 1 && segments[0].second - segments[0].first ==
                                     ops.size()))
      return;

    unsigned counter = 0;
    for (auto [b, e] : segments)
      outlineSegment(f, ArrayRef<Operation *>(ops).slice(b, e - b), remat,
                     symbols, counter);
    // Hoisted ops only the segments used are now dead here.
    for (Operation *op : llvm::reverse(hoisted))
      if (op->use_empty())
        op->erase();
  }

  void outlineSegment(func::FuncOp f, ArrayRef<Operation *> segment,
                      llvm::DenseMap<Operation *, bool> &remat,
                      SymbolTable &symbols, unsigned &counter) {
    llvm::SmallPtrSet<Operation *, 32> inSegment(segment.begin(),
                                                 segment.end());
    Block &body = f.getBody().front();
    // Values from outside: arguments, or clones of hoisted ops.
    llvm::SetVector<Value> inputs;
    llvm::SetVector<Operation *> clones;
    bool passable = true;
    std::function<void(Operation *)> addClone = [&](Operation *def) {
      for (Value v : def->getOperands())
        addClone(v.getDefiningOp());
      clones.insert(def);
    };
    for (Operation *top : segment)
      top->walk([&](Operation *op) {
        for (Value v : op->getOperands()) {
          Operation *def = v.getDefiningOp();
          Operation *defTop = def ? body.findAncestorOpInBlock(*def) : nullptr;
          bool outside = def ? (defTop && !inSegment.contains(defTop))
                             : cast<BlockArgument>(v).getOwner() == &body;
          if (!outside)
            continue;
          if (def && remat.lookup(def)) {
            addClone(def);
          } else {
            passable &= isPassable(v.getType());
            inputs.insert(v);
          }
        }
      });
    if (!passable)
      return;

    OpBuilder b(f);
    SmallVector<Type> types;
    for (Value v : inputs)
      types.push_back(v.getType());
    std::string name;
    do
      name = (f.getSymName() + "_part" + Twine(counter++)).str();
    while (symbols.lookup(name));
    auto part =
        func::FuncOp::create(b, f.getLoc(), name, b.getFunctionType(types, {}));
    part.setPrivate();
    symbols.insert(part);
    Block *entry = part.addEntryBlock();
    IRMapping map;
    for (auto [v, arg] : llvm::zip(inputs, entry->getArguments()))
      map.map(v, arg);
    OpBuilder pb = OpBuilder::atBlockEnd(entry);
    for (Operation *c : clones)
      pb.clone(*c, map);
    func::ReturnOp::create(pb, f.getLoc());

    // The call goes where the segment was; the ops move into the part.
    OpBuilder cb(segment.front());
    func::CallOp::create(cb, segment.front()->getLoc(), part,
                         inputs.getArrayRef());
    Operation *ret = entry->getTerminator();
    for (Operation *op : segment)
      op->moveBefore(ret);
    for (auto [from, arg] : llvm::zip(inputs, entry->getArguments()))
      Value(from).replaceUsesWithIf(arg, [&](OpOperand &use) {
        return part->isProperAncestor(use.getOwner());
      });
    for (Operation *c : clones)
      c->getResult(0).replaceUsesWithIf(
          map.lookup(c->getResult(0)), [&](OpOperand &use) {
            return part->isProperAncestor(use.getOwner()) &&
                   !clones.contains(use.getOwner());
          });
  }
};
} // namespace
