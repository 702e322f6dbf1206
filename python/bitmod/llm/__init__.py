"""Small decoder-only LLMs written here for tests (docs/llm.md).

`zoo` holds four families (Llama, GPT-2, OPT, Phi-2) that follow the
structure and parameter names of the Hugging Face modeling code; `export`
writes them as ONNX prefill / decode-with-past graphs with Optimum naming;
`reference` has the PyTorch greedy loop and sliding-window perplexity the
ONNX Runtime scripts (scripts/ort_generate.js, scripts/ort_perplexity.js)
are checked against; `train` trains the tiny Llama fixture on Debian text.
Needs torch (python3-torch); nothing here downloads anything.
"""
