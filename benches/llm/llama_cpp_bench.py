"""llama.cpp (through llama-cpp-python) on the same GGUF and the same token ids as
`llm-bench`: prompt processing and greedy generation speed, printed as one JSON line.

Called by `llm-bench`; installed only for the benchmark (see docs/PERFORMANCE.md).
Usage: python llama_cpp_bench.py MODEL.gguf TOKENS.json GEN_TOKENS THREADS REPS
"""
import json
import statistics
import sys
import time

import llama_cpp
import numpy as np


def main():
    model, tokens_path, gen, threads, reps = sys.argv[1:6]
    gen, threads, reps = int(gen), int(threads), int(reps)
    tokens = json.load(open(tokens_path))
    llm = llama_cpp.Llama(
        model_path=model,
        n_ctx=2048,
        n_batch=512,
        n_ubatch=512,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    pp, tg = [], []
    for _ in range(reps + 1):  # the first round warms up and is dropped
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(tokens)
        pp.append(time.perf_counter() - t0)
        tok = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        t0 = time.perf_counter()
        for _ in range(gen):
            llm.eval([tok])
            tok = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        tg.append(time.perf_counter() - t0)
    pp_s, tg_s = statistics.median(pp[1:]), statistics.median(tg[1:])
    print(json.dumps({
        "engine": "llama.cpp",
        "version": llama_cpp.__version__,
        "prompt_tokens": len(tokens),
        "pp_tok_s": len(tokens) / pp_s,
        "gen_tokens": gen,
        "tg_tok_s": gen / tg_s,
    }))


if __name__ == "__main__":
    main()
