//===- Trace.cpp - Chrome trace-event export ------------------------------===//

#include "bitmod/Sim/Trace.h"

using namespace bitmod;
using namespace bitmod::arch;
using namespace bitmod::sim;

llvm::json::Value sim::buildChromeTrace(const isa::Program &p,
                                        const TimingResult &t,
                                        const AccelConfig &cfg) {
  llvm::json::Array events;
  double usPerCycle = 1.0 / (cfg.frequencyGHz * 1000.0);
  events.push_back(
      llvm::json::Object{{"name", "process_name"},
                         {"ph", "M"},
                         {"pid", 0},
                         {"args", llvm::json::Object{{"name", "bitmod"}}}});
  for (unsigned q = 0; q < isa::kNumQueues; ++q) {
    events.push_back(llvm::json::Object{
        {"name", "thread_name"},
        {"ph", "M"},
        {"pid", 0},
        {"tid", q},
        {"args", llvm::json::Object{
                     {"name", isa::getQueueName(isa::Queue(q)).str()}}}});
    events.push_back(
        llvm::json::Object{{"name", "thread_sort_index"},
                           {"ph", "M"},
                           {"pid", 0},
                           {"tid", q},
                           {"args", llvm::json::Object{{"sort_index", q}}}});
  }
  for (size_t i = 0; i < t.insts.size(); ++i) {
    const InstTiming &it = t.insts[i];
    const isa::Instruction &inst = p.instructions[i];
    llvm::json::Object args{{"index", int64_t(i)},
                            {"start_cycle", int64_t(it.start)},
                            {"end_cycle", int64_t(it.end)}};
    if (it.layer >= 0)
      args["layer"] = p.layers[it.layer].name;
    if (it.dramBytes)
      args["dram_bytes"] = int64_t(it.dramBytes);
    if (it.macs)
      args["macs"] = int64_t(it.macs);
    events.push_back(
        llvm::json::Object{{"name", isa::getMnemonic(inst.opcode).str()},
                           {"cat", isa::getQueueName(it.queue).str()},
                           {"ph", "X"},
                           {"pid", 0},
                           {"tid", unsigned(it.queue)},
                           {"ts", double(it.start) * usPerCycle},
                           {"dur", double(it.end - it.start) * usPerCycle},
                           {"args", std::move(args)}});
  }
  return llvm::json::Object{{"traceEvents", std::move(events)},
                            {"displayTimeUnit", "ns"}};
}

void sim::writeChromeTrace(const isa::Program &p, const TimingResult &t,
                           const AccelConfig &cfg, llvm::raw_ostream &os) {
  os << llvm::formatv("{0:2}", buildChromeTrace(p, t, cfg)) << '\n';
}
