//===- LanguageModel.cpp - Generation and perplexity in model.sim ---------===//
//
// The static sliding KV cache (docs/llm.md): the prefill entry runs the
// prompt right-padded to its compiled length P (causal attention: the valid
// positions never see the padding); its present K/V of the L valid
// positions go to the last L of the decode entry's C past slots, the other
// slots are zero and masked (attention_mask 0). Each decode step feeds one
// token at its true position and the next past is present without its
// oldest slot, so the valid slots stay right-aligned.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Runtime/LanguageModel.h"

#include "bitmod/Runtime/Session.h"
#include "bitmod/Support/Error.h"
#include "bitmod/Support/Half.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace bitmod;
using namespace bitmod::rt;
using llvm::Error;
using llvm::Expected;

namespace {

int64_t numElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

bool isIntegerElem(ElemType t) {
  return t != ElemType::F32 && t != ElemType::F16 && t != ElemType::F64 &&
         t != ElemType::Bool;
}
bool isFloatElem(ElemType t) {
  return t == ElemType::F32 || t == ElemType::F16 || t == ElemType::F64;
}

/// Stores integer `v` as element `i` of a buffer of type `t` (the caller
/// checked that the value fits: token ids < vocab, positions < P or C + 1,
/// mask 0/1).
void storeInt(ElemType t, uint8_t *buf, int64_t i, int64_t v) {
  auto put = [&](auto x) { std::memcpy(buf + i * sizeof(x), &x, sizeof(x)); };
  switch (t) {
  case ElemType::I8:
  case ElemType::U8:
    return put(int8_t(v));
  case ElemType::I16:
  case ElemType::U16:
    return put(int16_t(v));
  case ElemType::I32:
  case ElemType::U32:
    return put(int32_t(v));
  case ElemType::I64:
  case ElemType::U64:
    return put(int64_t(v));
  case ElemType::Bool:
    buf[i] = v != 0;
    return;
  case ElemType::F32:
    return put(float(v));
  case ElemType::F64:
    return put(double(v));
  case ElemType::F16:
    return put(support::doubleToHalf(double(v)));
  }
}

double loadReal(ElemType t, const uint8_t *buf, int64_t i) {
  switch (t) {
  case ElemType::F32: {
    float f;
    std::memcpy(&f, buf + i * 4, 4);
    return f;
  }
  case ElemType::F64: {
    double d;
    std::memcpy(&d, buf + i * 8, 8);
    return d;
  }
  case ElemType::F16: {
    uint16_t h;
    std::memcpy(&h, buf + i * 2, 2);
    return support::halfToFloat(h);
  }
  default:
    return 0;
  }
}

size_t elemBytes(ElemType t) {
  return support::getNpyElementSize(getNpyType(t));
}

/// The buffers of one entry call (inputs then outputs), kept across calls.
class EntryBuffers {
public:
  explicit EntryBuffers(const EntryInfo &entry) : entry(entry) {
    for (int64_t i = 0; i < entry.numInputs + entry.numOutputs; ++i) {
      const TensorInfo &t = tensor(i);
      int64_t n = numElements({t.shape, size_t(t.rank)});
      // The entry takes an empty tensor as a one-element buffer.
      buffers.emplace_back(size_t(std::max<int64_t>(n, 1)) * elemBytes(t.elem),
                           0);
    }
  }
  const TensorInfo &tensor(int64_t i) const {
    return i < entry.numInputs ? entry.inputs[i]
                               : entry.outputs[i - entry.numInputs];
  }
  uint8_t *input(int64_t i) { return buffers[i].data(); }
  uint8_t *output(int64_t i) { return buffers[entry.numInputs + i].data(); }
  void setInt(int64_t input, int64_t index, int64_t v) {
    storeInt(entry.inputs[input].elem, buffers[input].data(), index, v);
  }
  void fillInput(int64_t input, int64_t v) {
    const TensorInfo &t = entry.inputs[input];
    int64_t n = numElements({t.shape, size_t(t.rank)});
    for (int64_t i = 0; i < n; ++i)
      setInt(input, i, v);
  }
  double getReal(int64_t output, int64_t index) const {
    return loadReal(entry.outputs[output].elem,
                    buffers[entry.numInputs + output].data(), index);
  }
  void run(Session &session) {
    std::vector<void *> ptrs;
    for (std::vector<uint8_t> &b : buffers)
      ptrs.push_back(b.data());
    entry.run(&session, ptrs.data());
  }

private:
  const EntryInfo &entry;
  std::vector<std::vector<uint8_t>> buffers;
};

int64_t findTensor(const std::vector<TensorDesc> &list, llvm::StringRef name) {
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].name == name)
      return int64_t(i);
  return -1;
}

/// Checks a [1, n] integer (or, for masks, bool/float) input of the entry
/// playing `role` ("prefill" or "decode").
Error checkRowInput(llvm::StringRef role, const EntryDesc &e, int64_t index,
                    int64_t n, bool allowNonInteger) {
  const TensorDesc &t = e.inputs[index];
  bool typeOk = isIntegerElem(t.elem) || allowNonInteger;
  if (t.shape != std::vector<int64_t>{1, n} || !typeOk)
    return makeError(llvm::formatv(
        "{0} entry '{1}': input '{2}' is {3} {4}; expected {5} [1,{6}]", role,
        e.name, t.name, getElemName(t.elem), formatShape(t.shape),
        allowNonInteger ? "an integer, bool or float" : "an integer", n));
  return Error::success();
}

/// The logits output: `logits`, else the first output; [.., rows, V] float.
Expected<int64_t> bindLogits(const EntryDesc &e, int64_t rows, int64_t &vocab) {
  if (e.outputs.empty())
    return makeError("entry '" + e.name + "' has no outputs (logits)");
  int64_t index = findTensor(e.outputs, "logits");
  if (index < 0)
    index = 0;
  const TensorDesc &t = e.outputs[index];
  if (t.shape.size() < 2 || !isFloatElem(t.elem) ||
      numElements(t.shape) != rows * t.shape.back() || t.shape.back() < 1)
    return makeError(llvm::formatv(
        "entry '{0}': logits '{1}' is {2} {3}; expected f32, f16 or f64 "
        "[1,{4},vocab]",
        e.name, t.name, getElemName(t.elem), formatShape(t.shape), rows));
  vocab = t.shape.back();
  return index;
}

std::string joinNames(llvm::ArrayRef<std::string> names) {
  std::string s;
  for (const std::string &n : names)
    s += (s.empty() ? "'" : ", '") + n + "'";
  return s;
}

} // namespace

EntryDesc rt::describeEntry(const EntryInfo &entry) {
  EntryDesc d;
  d.name = entry.name;
  auto describe = [](const TensorInfo &t) {
    return TensorDesc{t.name, std::vector<int64_t>(t.shape, t.shape + t.rank),
                      t.elem};
  };
  for (int64_t i = 0; i < entry.numInputs; ++i)
    d.inputs.push_back(describe(entry.inputs[i]));
  for (int64_t i = 0; i < entry.numOutputs; ++i)
    d.outputs.push_back(describe(entry.outputs[i]));
  return d;
}

Expected<LanguageModelBinding> rt::bindPrefill(const EntryDesc &e) {
  LanguageModelBinding b;
  b.prefillIds = findTensor(e.inputs, "input_ids");
  if (b.prefillIds < 0)
    return makeError("prefill entry '" + e.name + "' has no input 'input_ids'");
  const TensorDesc &ids = e.inputs[b.prefillIds];
  if (ids.shape.size() != 2 || ids.shape[0] != 1 || ids.shape[1] < 1)
    return makeError("prefill entry '" + e.name + "': input_ids is " +
                     formatShape(ids.shape) + "; expected [1,P]");
  b.prefillLength = ids.shape[1];
  if (Error err =
          checkRowInput("prefill", e, b.prefillIds, b.prefillLength, false))
    return std::move(err);
  b.prefillMask = findTensor(e.inputs, "attention_mask");
  if (b.prefillMask >= 0)
    if (Error err =
            checkRowInput("prefill", e, b.prefillMask, b.prefillLength, true))
      return std::move(err);
  b.prefillPositions = findTensor(e.inputs, "position_ids");
  if (b.prefillPositions >= 0)
    if (Error err = checkRowInput("prefill", e, b.prefillPositions,
                                  b.prefillLength, false))
      return std::move(err);
  for (size_t i = 0; i < e.inputs.size(); ++i)
    if (int64_t(i) != b.prefillIds && int64_t(i) != b.prefillMask &&
        int64_t(i) != b.prefillPositions)
      return makeError("prefill entry '" + e.name + "': input '" +
                       e.inputs[i].name +
                       "' has no role (a prefill graph takes input_ids and "
                       "optionally attention_mask and position_ids, no past)");
  auto logits = bindLogits(e, b.prefillLength, b.vocab);
  if (!logits)
    return logits.takeError();
  b.prefillLogits = *logits;
  return b;
}

Expected<LanguageModelBinding> rt::bindLanguageModel(
    const EntryDesc &prefill, const EntryDesc &decode,
    llvm::ArrayRef<std::pair<std::string, std::string>> feeds) {
  auto bound = bindPrefill(prefill);
  if (!bound)
    return bound.takeError();
  LanguageModelBinding b = std::move(*bound);
  const EntryDesc &d = decode;
  b.decodeIds = findTensor(d.inputs, "input_ids");
  if (b.decodeIds < 0)
    return makeError("decode entry '" + d.name + "' has no input 'input_ids'");
  if (Error err = checkRowInput("decode", d, b.decodeIds, 1, false))
    return std::move(err);
  b.decodePositions = findTensor(d.inputs, "position_ids");
  if (b.decodePositions >= 0)
    if (Error err = checkRowInput("decode", d, b.decodePositions, 1, false))
      return std::move(err);
  b.decodeMask = findTensor(d.inputs, "attention_mask");
  if (b.decodeMask < 0)
    return makeError("decode entry '" + d.name +
                     "' has no input 'attention_mask': the static KV cache "
                     "needs it to mask the empty cache slots");
  int64_t decodeVocab = 0;
  auto logits = bindLogits(d, 1, decodeVocab);
  if (!logits)
    return logits.takeError();
  b.decodeLogits = *logits;
  if (decodeVocab != b.vocab)
    return makeError(llvm::formatv(
        "the prefill logits have {0} classes, the decode logits {1}", b.vocab,
        decodeVocab));

  // The KV cache: every other decode input is a past, every other output a
  // present.
  std::vector<int64_t> pastOf(d.outputs.size(), -1),
      presentOf(d.inputs.size(), -1);
  auto isRole = [&](int64_t i) {
    return i == b.decodeIds || i == b.decodeMask || i == b.decodePositions;
  };
  for (const auto &[out, in] : feeds) {
    int64_t o = findTensor(d.outputs, out), i = findTensor(d.inputs, in);
    if (o < 0 || o == b.decodeLogits)
      return makeError("--feed " + out + "=" + in + ": the decode entry has " +
                       "no present output '" + out + "'");
    if (i < 0 || isRole(i))
      return makeError("--feed " + out + "=" + in + ": the decode entry has " +
                       "no past input '" + in + "'");
    if (pastOf[o] >= 0 || presentOf[i] >= 0)
      return makeError("--feed " + out + "=" + in + ": '" + out + "' or '" +
                       in + "' is already paired");
    pastOf[o] = i;
    presentOf[i] = o;
  }
  const llvm::StringRef pastPrefix = "past_key_values.",
                        presentPrefix = "present.";
  for (size_t i = 0; i < d.inputs.size(); ++i) {
    llvm::StringRef name = d.inputs[i].name;
    if (isRole(int64_t(i)) || presentOf[i] >= 0 ||
        !name.starts_with(pastPrefix))
      continue;
    int64_t o = findTensor(
        d.outputs, (presentPrefix + name.drop_front(pastPrefix.size())).str());
    if (o >= 0 && o != b.decodeLogits && pastOf[o] < 0) {
      pastOf[o] = int64_t(i);
      presentOf[i] = o;
    }
  }
  std::vector<std::string> lonePast, lonePresent;
  for (size_t i = 0; i < d.inputs.size(); ++i)
    if (!isRole(int64_t(i)) && presentOf[i] < 0)
      lonePast.push_back(d.inputs[i].name);
  for (size_t o = 0; o < d.outputs.size(); ++o)
    if (int64_t(o) != b.decodeLogits && pastOf[o] < 0)
      lonePresent.push_back(d.outputs[o].name);
  if (!lonePast.empty() || !lonePresent.empty()) {
    std::string msg =
        "the KV cache of decode entry '" + d.name + "' does not pair:";
    if (!lonePast.empty())
      msg += " inputs without a present output: " + joinNames(lonePast) + ";";
    if (!lonePresent.empty())
      msg += " outputs without a past input: " + joinNames(lonePresent) + ";";
    msg += " present.N.key/value feeds past_key_values.N.key/value, other "
           "names need --feed present=past";
    return makeError(msg);
  }
  if (d.inputs.size() ==
      size_t(1 + (b.decodeMask >= 0) + (b.decodePositions >= 0)))
    return makeError("decode entry '" + d.name +
                     "' has no past inputs (past_key_values.N.key/value)");

  // Shapes: past and present differ in one axis by one slot; the prefill
  // present has P slots there.
  for (size_t o = 0; o < d.outputs.size(); ++o) {
    if (pastOf[o] < 0)
      continue;
    const TensorDesc &past = d.inputs[pastOf[o]], &present = d.outputs[o];
    CachePair pair;
    pair.present = present.name;
    pair.past = past.name;
    pair.decodeOutput = int64_t(o);
    pair.decodeInput = pastOf[o];
    std::string what =
        "KV cache pair '" + present.name + "' -> '" + past.name + "'";
    if (past.elem != present.elem || past.shape.size() != present.shape.size())
      return makeError(what + ": " + getElemName(present.elem) + " " +
                       formatShape(present.shape) + " does not feed " +
                       getElemName(past.elem) + " " + formatShape(past.shape));
    for (size_t a = 0; a < past.shape.size(); ++a) {
      if (past.shape[a] == present.shape[a])
        continue;
      if (pair.seqAxis >= 0 || present.shape[a] != past.shape[a] + 1) {
        pair.seqAxis = -1;
        break;
      }
      pair.seqAxis = int64_t(a);
    }
    if (pair.seqAxis < 0)
      return makeError(what + ": the present " + formatShape(present.shape) +
                       " must be the past " + formatShape(past.shape) +
                       " plus one slot along one axis");
    int64_t slots = past.shape[pair.seqAxis];
    if (b.cacheSlots && slots != b.cacheSlots)
      return makeError(
          llvm::formatv("{0}: {1} cache slots, the other pairs have {2}", what,
                        slots, b.cacheSlots));
    b.cacheSlots = slots;
    pair.prefillOutput = findTensor(prefill.outputs, present.name);
    if (pair.prefillOutput < 0)
      return makeError("prefill entry '" + prefill.name + "' has no output '" +
                       present.name + "' to fill the KV cache");
    std::vector<int64_t> want = past.shape;
    want[pair.seqAxis] = b.prefillLength;
    const TensorDesc &first = prefill.outputs[pair.prefillOutput];
    if (first.shape != want || first.elem != past.elem)
      return makeError("prefill output '" + present.name + "' is " +
                       getElemName(first.elem) + " " +
                       formatShape(first.shape) + "; the decode cache needs " +
                       getElemName(past.elem) + " " + formatShape(want));
    b.cache.push_back(std::move(pair));
  }
  if (Error err =
          checkRowInput("decode", d, b.decodeMask, b.cacheSlots + 1, true))
    return std::move(err);
  return b;
}

AcceleratorTotals rt::getAcceleratorTotals(const Session &s) {
  AcceleratorTotals t;
  const sim::TimingResult &timing = s.getTiming();
  t.launches = s.getNumLaunches();
  t.instructions = s.getInstructionsExecuted();
  t.cycles = timing.totalCycles;
  t.macs = timing.macs;
  t.dramBytes = timing.activity.dramReadBytes + timing.activity.dramWriteBytes;
  t.energy = timing.energy;
  return t;
}

AcceleratorTotals rt::operator-(const AcceleratorTotals &a,
                                const AcceleratorTotals &b) {
  AcceleratorTotals d;
  d.launches = a.launches - b.launches;
  d.instructions = a.instructions - b.instructions;
  d.cycles = a.cycles - b.cycles;
  d.macs = a.macs - b.macs;
  d.dramBytes = a.dramBytes - b.dramBytes;
  d.energy.dramPJ = a.energy.dramPJ - b.energy.dramPJ;
  d.energy.actBufferPJ = a.energy.actBufferPJ - b.energy.actBufferPJ;
  d.energy.wgtBufferPJ = a.energy.wgtBufferPJ - b.energy.wgtBufferPJ;
  d.energy.corePJ = a.energy.corePJ - b.energy.corePJ;
  return d;
}

Error rt::checkTokenIds(llvm::ArrayRef<int64_t> tokens, int64_t vocab,
                        llvm::StringRef what) {
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= vocab)
      return makeError(llvm::formatv(
          "{0}: token #{1} is {2}, outside the vocabulary [0, {3}) (the "
          "logits' last dimension)",
          what, i, tokens[i], vocab));
  return Error::success();
}

/// Argmax of logits row `row` (first maximum, as numpy and torch).
static int64_t argmaxRow(const EntryBuffers &buffers, int64_t output,
                         int64_t row, int64_t vocab) {
  int64_t best = 0;
  double bestValue = buffers.getReal(output, row * vocab);
  for (int64_t v = 1; v < vocab; ++v) {
    double x = buffers.getReal(output, row * vocab + v);
    if (x > bestValue) {
      bestValue = x;
      best = v;
    }
  }
  return best;
}

/// Copies `slots` slots along `axis` from `src` (shape `srcShape`, starting
/// at slot `srcFirst`) to `dst` (shape `dstShape`, starting at `dstFirst`).
static void copySlots(const uint8_t *src, llvm::ArrayRef<int64_t> srcShape,
                      int64_t srcFirst, uint8_t *dst,
                      llvm::ArrayRef<int64_t> dstShape, int64_t dstFirst,
                      int64_t slots, int64_t axis, size_t elemSize) {
  int64_t outer = numElements(srcShape.take_front(axis));
  size_t inner = size_t(numElements(srcShape.drop_front(axis + 1))) * elemSize;
  int64_t srcSlots = srcShape[axis], dstSlots = dstShape[axis];
  for (int64_t o = 0; o < outer; ++o)
    std::memmove(dst + (size_t(o * dstSlots + dstFirst)) * inner,
                 src + (size_t(o * srcSlots + srcFirst)) * inner,
                 size_t(slots) * inner);
}

Expected<GenerationResult>
rt::generate(Session &session, const EntryInfo &prefill,
             const EntryInfo *decode, const LanguageModelBinding &b,
             llvm::ArrayRef<int64_t> prompt, int64_t count) {
  const int64_t L = int64_t(prompt.size()), P = b.prefillLength,
                C = b.cacheSlots, V = b.vocab;
  if (count < 1)
    return makeError(
        llvm::formatv("--generate {0}: at least one token", count));
  if (L < 1)
    return makeError("--generate: the prompt is empty");
  if (L > P)
    return makeError(llvm::formatv(
        "--generate: the prompt has {0} tokens, the prefill entry was "
        "compiled for at most {1} (input_ids [1,{1}])",
        L, P));
  if (count > 1 && !decode)
    return makeError("--generate " + llvm::Twine(count) +
                     ": the model has no decode entry (compile with "
                     "--prefill-model); only one token can be generated");
  if (count > 1 && L + count - 1 > C + 1)
    return makeError(llvm::formatv(
        "--generate {0} after a {1}-token prompt needs a context of {2} "
        "positions; the decode entry was compiled for {3} ({4} cache slots + "
        "the new token): at most {5} tokens after this prompt",
        count, L, L + count - 1, C + 1, C, C + 2 - L));
  if (Error e = checkTokenIds(prompt, V, "--input input_ids"))
    return std::move(e);

  GenerationResult result;
  AcceleratorTotals start = getAcceleratorTotals(session), last = start;
  auto endPhase = [&](std::string name, int64_t tokens, int64_t context) {
    AcceleratorTotals now = getAcceleratorTotals(session);
    result.phases.push_back({std::move(name), tokens, context, now - last});
    last = now;
  };

  // Prefill: the prompt right-padded with token 0 (masked, never attended by
  // the valid positions of a causal model).
  EntryBuffers pre(prefill);
  for (int64_t i = 0; i < P; ++i) {
    pre.setInt(b.prefillIds, i, i < L ? prompt[i] : 0);
    if (b.prefillMask >= 0)
      pre.setInt(b.prefillMask, i, i < L);
    if (b.prefillPositions >= 0)
      pre.setInt(b.prefillPositions, i, i);
  }
  pre.run(session);
  endPhase("prefill", L, L);
  result.tokens.push_back(argmaxRow(pre, b.prefillLogits, L - 1, V));
  if (count == 1) {
    result.total = getAcceleratorTotals(session) - start;
    return result;
  }

  // The cache: the L valid slots right-aligned in C, the rest zero.
  EntryBuffers dec(*decode);
  for (const CachePair &pair : b.cache) {
    const TensorInfo &past = decode->inputs[pair.decodeInput];
    const TensorInfo &present = prefill.outputs[pair.prefillOutput];
    copySlots(pre.output(pair.prefillOutput),
              {present.shape, size_t(present.rank)}, 0,
              dec.input(pair.decodeInput), {past.shape, size_t(past.rank)},
              C - L, L, pair.seqAxis, elemBytes(past.elem));
  }
  int64_t valid = L;
  for (int64_t step = 1; step < count; ++step) {
    int64_t position = L + step - 1;
    dec.setInt(b.decodeIds, 0, result.tokens.back());
    if (b.decodePositions >= 0)
      dec.setInt(b.decodePositions, 0, position);
    for (int64_t s = 0; s <= C; ++s)
      dec.setInt(b.decodeMask, s, s >= C - valid);
    dec.run(session);
    endPhase("decode." + std::to_string(step), 1, valid + 1);
    result.tokens.push_back(argmaxRow(dec, b.decodeLogits, 0, V));
    // Next past = present without its oldest slot.
    for (const CachePair &pair : b.cache) {
      const TensorInfo &past = decode->inputs[pair.decodeInput];
      const TensorInfo &present = decode->outputs[pair.decodeOutput];
      copySlots(dec.output(pair.decodeOutput),
                {present.shape, size_t(present.rank)}, 1,
                dec.input(pair.decodeInput), {past.shape, size_t(past.rank)}, 0,
                C, pair.seqAxis, elemBytes(past.elem));
    }
    ++valid;
  }
  result.total = getAcceleratorTotals(session) - start;
  return result;
}

Expected<PerplexityResult> rt::computePerplexity(
    Session &session, const EntryInfo &prefill, const LanguageModelBinding &b,
    llvm::ArrayRef<int64_t> tokens, int64_t window, int64_t stride) {
  const int64_t P = b.prefillLength, V = b.vocab, n = int64_t(tokens.size());
  PerplexityResult r;
  r.window = window ? window : P;
  r.stride = stride ? stride : std::max<int64_t>(r.window / 2, 1);
  if (r.window < 2 || r.window > P)
    return makeError(llvm::formatv(
        "--window {0}: must be in [2, {1}] (the prefill entry's compiled "
        "length P = {1})",
        r.window, P));
  if (r.stride < 1 || r.stride > r.window)
    return makeError(llvm::formatv(
        "--stride {0}: must be in [1, {1}] (the window)", r.stride, r.window));
  if (n < 2)
    return makeError("--perplexity: the token stream needs at least 2 tokens");
  if (Error e = checkTokenIds(tokens, V, "--perplexity"))
    return std::move(e);

  AcceleratorTotals start = getAcceleratorTotals(session);
  EntryBuffers pre(prefill);
  double nll = 0;
  int64_t prevEnd = 0;
  for (int64_t begin = 0; begin < n; begin += r.stride) {
    int64_t end = std::min(begin + r.window, n);
    int64_t len = end - begin;
    for (int64_t i = 0; i < P; ++i) {
      pre.setInt(b.prefillIds, i, i < len ? tokens[begin + i] : 0);
      if (b.prefillMask >= 0)
        pre.setInt(b.prefillMask, i, i < len);
      if (b.prefillPositions >= 0)
        pre.setInt(b.prefillPositions, i, i);
    }
    pre.run(session);
    ++r.windows;
    // Row j predicts token begin + j + 1; score the targets after prevEnd.
    for (int64_t target = std::max(prevEnd, begin + 1); target < end;
         ++target) {
      int64_t row = target - begin - 1;
      double maxLogit = -std::numeric_limits<double>::infinity();
      for (int64_t v = 0; v < V; ++v)
        maxLogit =
            std::max(maxLogit, pre.getReal(b.prefillLogits, row * V + v));
      double sum = 0;
      for (int64_t v = 0; v < V; ++v)
        sum += std::exp(pre.getReal(b.prefillLogits, row * V + v) - maxLogit);
      double logProb = pre.getReal(b.prefillLogits, row * V + tokens[target]) -
                       maxLogit - std::log(sum);
      nll -= logProb;
      ++r.tokensScored;
    }
    prevEnd = end;
    if (end == n)
      break;
  }
  r.meanNLL = nll / double(r.tokensScored);
  r.perplexity = std::exp(r.meanNLL);
  r.total = getAcceleratorTotals(session) - start;
  return r;
}

llvm::json::Object rt::totalsToJSON(const AcceleratorTotals &t,
                                    double frequencyGHz) {
  return llvm::json::Object{{"launches", int64_t(t.launches)},
                            {"instructions", int64_t(t.instructions)},
                            {"cycles", int64_t(t.cycles)},
                            {"time_us", t.cycles / (frequencyGHz * 1000.0)},
                            {"macs", int64_t(t.macs)},
                            {"dram_bytes", int64_t(t.dramBytes)},
                            {"energy_pj", energyToJSON(t.energy)}};
}
