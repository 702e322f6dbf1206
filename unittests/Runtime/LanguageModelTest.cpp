//===- LanguageModelTest.cpp - KV-cache binding, generation, perplexity ---===//
//
// Fake entries in plain C++ (no compiler): the prefill and decode "models"
// compute their next token from everything they can see (the valid cache
// slots' tokens and positions, the number of attended slots), so a slot in
// the wrong place, a wrong mask or a wrong position changes the tokens.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Runtime/LanguageModel.h"
#include "bitmod/Runtime/Session.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>

using namespace bitmod;
using namespace bitmod::rt;

namespace {

constexpr int64_t kVocab = 11, kPrefill = 4, kSlots = 6;

/// The next token after a sequence: depends on every token, every position
/// and the sequence length.
int64_t nextToken(const std::vector<int64_t> &seq) {
  int64_t s = int64_t(seq.size());
  for (size_t i = 0; i < seq.size(); ++i)
    s += seq[i] + 3 * int64_t(i);
  return s % kVocab;
}

// Prefill: ids, mask, positions [1,4] -> logits [1,4,V], present [1,1,4,2]
// (per slot: token, position).
const int64_t rowShape[] = {1, kPrefill};
const int64_t prefillLogitsShape[] = {1, kPrefill, kVocab};
const int64_t prefillPresentShape[] = {1, 1, kPrefill, 2};
const TensorInfo prefillInputs[] = {
    {"input_ids", 2, rowShape, ElemType::I64},
    {"attention_mask", 2, rowShape, ElemType::I64},
    {"position_ids", 2, rowShape, ElemType::I64}};
const TensorInfo prefillOutputs[] = {
    {"logits", 3, prefillLogitsShape, ElemType::F32},
    {"present.0.key", 4, prefillPresentShape, ElemType::F32}};

void runPrefill(void *, void *const *buffers) {
  auto *ids = static_cast<const int64_t *>(buffers[0]);
  auto *mask = static_cast<const int64_t *>(buffers[1]);
  auto *pos = static_cast<const int64_t *>(buffers[2]);
  auto *logits = static_cast<float *>(buffers[3]);
  auto *present = static_cast<float *>(buffers[4]);
  int64_t sum = 0;
  for (int64_t i = 0; i < kPrefill; ++i) {
    if (mask[i])
      sum += ids[i] + 3 * pos[i] + 1;
    for (int64_t v = 0; v < kVocab; ++v)
      logits[i * kVocab + v] = v == sum % kVocab ? 1.0f : 0.0f;
    present[2 * i] = float(ids[i]);
    present[2 * i + 1] = float(pos[i]);
  }
}

// Decode: ids, positions [1,1], mask [1,C+1], past [1,1,C,2] -> logits
// [1,1,V], present [1,1,C+1,2].
const int64_t oneShape[] = {1, 1};
const int64_t maskShape[] = {1, kSlots + 1};
const int64_t pastShape[] = {1, 1, kSlots, 2};
const int64_t presentShape[] = {1, 1, kSlots + 1, 2};
const int64_t decodeLogitsShape[] = {1, 1, kVocab};
const TensorInfo decodeInputs[] = {
    {"input_ids", 2, oneShape, ElemType::I64},
    {"attention_mask", 2, maskShape, ElemType::I64},
    {"position_ids", 2, oneShape, ElemType::I64},
    {"past_key_values.0.key", 4, pastShape, ElemType::F32}};
const TensorInfo decodeOutputs[] = {
    {"logits", 3, decodeLogitsShape, ElemType::F32},
    {"present.0.key", 4, presentShape, ElemType::F32}};

void runDecode(void *, void *const *buffers) {
  auto *ids = static_cast<const int64_t *>(buffers[0]);
  auto *mask = static_cast<const int64_t *>(buffers[1]);
  auto *pos = static_cast<const int64_t *>(buffers[2]);
  auto *past = static_cast<const float *>(buffers[3]);
  auto *logits = static_cast<float *>(buffers[4]);
  auto *present = static_cast<float *>(buffers[5]);
  int64_t sum = 0;
  for (int64_t s = 0; s < kSlots; ++s)
    if (mask[s])
      sum += int64_t(past[2 * s]) + 3 * int64_t(past[2 * s + 1]) + 1;
  if (mask[kSlots])
    sum += ids[0] + 3 * pos[0] + 1;
  for (int64_t v = 0; v < kVocab; ++v)
    logits[v] = v == sum % kVocab ? 1.0f : 0.0f;
  std::memcpy(present, past, sizeof(float) * 2 * kSlots);
  present[2 * kSlots] = float(ids[0]);
  present[2 * kSlots + 1] = float(pos[0]);
}

const EntryInfo prefillEntry = {"prefill",      3,         prefillInputs, 2,
                                prefillOutputs, runPrefill};
const EntryInfo decodeEntry = {"decode",      4,        decodeInputs, 2,
                               decodeOutputs, runDecode};

LanguageModelBinding bind() {
  auto b = bindLanguageModel(describeEntry(prefillEntry),
                             describeEntry(decodeEntry), {});
  EXPECT_TRUE(bool(b)) << llvm::toString(b.takeError());
  return std::move(*b);
}

std::string errorOf(llvm::Error e) { return llvm::toString(std::move(e)); }

TEST(LanguageModel, Binding) {
  LanguageModelBinding b = bind();
  EXPECT_EQ(b.vocab, kVocab);
  EXPECT_EQ(b.prefillLength, kPrefill);
  EXPECT_EQ(b.cacheSlots, kSlots);
  ASSERT_EQ(b.cache.size(), 1u);
  EXPECT_EQ(b.cache[0].past, "past_key_values.0.key");
  EXPECT_EQ(b.cache[0].seqAxis, 2);
}

TEST(LanguageModel, GenerationFollowsTheTrueSequence) {
  LanguageModelBinding b = bind();
  for (std::vector<int64_t> prompt :
       {std::vector<int64_t>{3}, {3, 1, 4}, {9, 2, 6, 5}}) {
    // The longest generation: prompt + count - 1 = C + 1.
    int64_t count = kSlots + 2 - int64_t(prompt.size());
    Session session;
    auto r = generate(session, prefillEntry, &decodeEntry, b, prompt, count);
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    std::vector<int64_t> seq = prompt, expected;
    for (int64_t i = 0; i < count; ++i) {
      expected.push_back(nextToken(seq));
      seq.push_back(expected.back());
    }
    EXPECT_EQ(r->tokens, expected);
    ASSERT_EQ(r->phases.size(), size_t(count));
    EXPECT_EQ(r->phases[0].name, "prefill");
    EXPECT_EQ(r->phases.back().context, kSlots + 1);
    EXPECT_EQ(r->total.launches, 0u);
  }
}

TEST(LanguageModel, GenerationLimits) {
  LanguageModelBinding b = bind();
  Session session;
  EXPECT_NE(errorOf(generate(session, prefillEntry, &decodeEntry, b,
                             {1, 2, 3, 4, 5}, 2)
                        .takeError())
                .find("the prompt has 5 tokens"),
            std::string::npos);
  EXPECT_NE(errorOf(generate(session, prefillEntry, &decodeEntry, b, {1, 2},
                             kSlots + 1)
                        .takeError())
                .find("at most 6 tokens after this prompt"),
            std::string::npos);
  EXPECT_NE(
      errorOf(generate(session, prefillEntry, &decodeEntry, b, {1, kVocab}, 2)
                  .takeError())
          .find("token #1 is 11, outside the vocabulary [0, 11)"),
      std::string::npos);
  EXPECT_NE(
      errorOf(generate(session, prefillEntry, nullptr, b, {1}, 2).takeError())
          .find("no decode entry"),
      std::string::npos);
}

TEST(LanguageModel, UnpairedNames) {
  EntryDesc decode = describeEntry(decodeEntry);
  decode.inputs[3].name = "cache.0";
  auto b = bindLanguageModel(describeEntry(prefillEntry), decode, {});
  ASSERT_FALSE(bool(b));
  EXPECT_EQ(errorOf(b.takeError()),
            "the KV cache of decode entry 'decode' does not pair: inputs "
            "without a present output: 'cache.0'; outputs without a past "
            "input: 'present.0.key'; present.N.key/value feeds "
            "past_key_values.N.key/value, other names need --feed "
            "present=past");
  auto fed = bindLanguageModel(describeEntry(prefillEntry), decode,
                               {{"present.0.key", "cache.0"}});
  ASSERT_TRUE(bool(fed)) << llvm::toString(fed.takeError());
  EXPECT_EQ(fed->cache[0].past, "cache.0");
}

TEST(LanguageModel, CacheShapes) {
  EntryDesc decode = describeEntry(decodeEntry);
  decode.outputs[1].shape = {1, 1, kSlots + 2, 2};
  auto b = bindLanguageModel(describeEntry(prefillEntry), decode, {});
  ASSERT_FALSE(bool(b));
  EXPECT_NE(errorOf(b.takeError()).find("plus one slot along one axis"),
            std::string::npos);
  decode = describeEntry(decodeEntry);
  decode.inputs.erase(decode.inputs.begin() + 1); // attention_mask
  b = bindLanguageModel(describeEntry(prefillEntry), decode, {});
  ASSERT_FALSE(bool(b));
  EXPECT_NE(errorOf(b.takeError()).find("has no input 'attention_mask'"),
            std::string::npos);
}

// Uniform logits: every target has probability 1/V, so the perplexity is V
// for any stream, window and stride.
void runUniform(void *, void *const *buffers) {
  auto *logits = static_cast<float *>(buffers[3]);
  for (int64_t i = 0; i < kPrefill * kVocab; ++i)
    logits[i] = 0.5f;
}

TEST(LanguageModel, Perplexity) {
  EntryInfo uniform = prefillEntry;
  uniform.run = runUniform;
  LanguageModelBinding b = bind();
  std::vector<int64_t> tokens = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  Session session;
  auto r = computePerplexity(session, uniform, b, tokens, 0, 0);
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  EXPECT_NEAR(r->perplexity, double(kVocab), 1e-9);
  // Window 4, stride 2: every token after the first, windows at 0, 2, 4, 6.
  EXPECT_EQ(r->window, kPrefill);
  EXPECT_EQ(r->stride, kPrefill / 2);
  EXPECT_EQ(r->tokensScored, 9);
  EXPECT_EQ(r->windows, 4);
  auto disjoint = computePerplexity(session, uniform, b, tokens, 4, 4);
  ASSERT_TRUE(bool(disjoint));
  EXPECT_EQ(disjoint->tokensScored, 7); // tokens 4 and 8 start windows
  EXPECT_EQ(disjoint->windows, 3);
  EXPECT_FALSE(bool(computePerplexity(session, uniform, b, tokens, 5, 0)));
  llvm::consumeError(
      computePerplexity(session, uniform, b, tokens, 5, 0).takeError());
}

} // namespace
