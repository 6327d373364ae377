#!/usr/bin/env python3
"""GPU throughput of the project's exported ONNX graphs.

Runs on a machine with Python and numpy (no .NET needed), with one of two executors:
  --executor ort    ONNX Runtime with --provider (CUDAExecutionProvider needs onnxruntime-gpu);
  --executor torch  the graph executed node by node with PyTorch on --device (onnx_torch_exec.py),
                    for machines whose ONNX Runtime has no CUDA provider; its logits are first
                    checked against ONNX Runtime on the CPU and the largest difference is printed. For each generator it
measures N samples of one prompt three ways, as benchmarks/Platform.Benchmarks does on the CPU:
  (a) one at a time, recomputing the whole sequence every step (no KV cache),
  (b) one at a time with the KV cache,
  (c) all N in one batch from one shared prefill (the cache forked N ways),
plus (c) at larger N, PRM scoring throughput, and a MatMul peak measured with ONNX Runtime in the
same run. KV caches stay on the GPU between steps (IOBinding); only logits come back to the host.
Every sample generates exactly --new-tokens tokens (no early stop), so modes compare like for like.
The greedy text of the prompt is printed so it can be checked against the C# runtime's output.

  python3 benchmarks/gpu/onnx_gpu_bench.py --models models/gen-small models/gen-large --prm models/prm
"""
import argparse, json, os, platform, subprocess, time
import numpy as np
import onnxruntime as ort
import onnx_torch_exec


def load(model_dir):
    if not os.path.exists(os.path.join(model_dir, "model.json")):
        return load_optimum(model_dir)
    with open(os.path.join(model_dir, "model.json")) as f:
        manifest = json.load(f)
    return manifest, os.path.join(model_dir, manifest["onnx"]["file"])


def load_optimum(model_dir):
    """A Hugging Face Optimum export (config.json + model.onnx): the fields this benchmark needs, read as the C# runtime reads them.
    The prompt is parity.json's first prompt ids where the folder has them (models/hf-test), since no tokenizer runs here."""
    with open(os.path.join(model_dir, "config.json")) as f:
        c = json.load(f)
    layers = c.get("num_hidden_layers", c.get("n_layer"))
    heads = c.get("num_attention_heads", c.get("n_head"))
    hidden = c.get("hidden_size", c.get("n_embd"))
    kv = c.get("num_key_value_heads", heads)
    head_dim = c.get("head_dim", hidden // heads)
    import onnx
    graph = onnx.load(os.path.join(model_dir, "model.onnx"), load_external_data=False).graph
    params = sum(int(np.prod(t.dims)) for t in graph.initializer if t.data_type in (1, 10, 16))
    tied = c.get("tie_word_embeddings", c.get("model_type") == "gpt2")
    if tied and sum(int(np.prod(t.dims)) == c["vocab_size"] * hidden for t in graph.initializer) >= 2:
        params -= c["vocab_size"] * hidden  # one matrix the export wrote twice
    matmul = params if tied else params - c["vocab_size"] * hidden  # an untied input embedding is a lookup (as OptimumManifest counts)
    prompt = None
    if os.path.exists(os.path.join(model_dir, "parity.json")):
        with open(os.path.join(model_dir, "parity.json")) as f:
            prompt = json.load(f)["prompt_ids"][0]
    eos = c.get("eos_token_id")
    manifest = {"name": os.path.basename(os.path.normpath(model_dir)), "architecture": {"layers": layers, "heads": kv, "head_dim": head_dim, "vocab_size": c["vocab_size"]},
                "flops_per_token": 2 * matmul, "attention_flops_per_position": 4 * layers * heads * head_dim, "prompt_ids": prompt,
                "eos": eos if isinstance(eos, int) else eos[0]}
    return manifest, os.path.join(model_dir, "model.onnx")


def prompt_of(manifest, problem):
    if "prompt_ids" in manifest:
        return manifest["prompt_ids"] or [1, 2, 3, 4, 5, 6, 7, 8]
    return encode(manifest, manifest["prompt_template"].replace("{problem}", problem))


def text_of(manifest, ids):
    if "tokenizer" not in manifest:
        return " ".join(str(t) for t in ids)  # token ids: no tokenizer runs here
    vocab = manifest["tokenizer"]["vocabulary"]
    return "".join(vocab[t] if t > 2 else ("|" if t == 2 else "") for t in ids)


def encode(manifest, text):
    vocab = manifest["tokenizer"]["vocabulary"]
    ids = [vocab.index(c) for c in text]
    return ([manifest["special_tokens"]["bos"]] if manifest.get("add_bos") else []) + ids


def session(path, provider):
    providers = [provider] + (["CPUExecutionProvider"] if provider != "CPUExecutionProvider" else [])
    s = ort.InferenceSession(path, providers=providers)
    if s.get_providers()[0] != provider:
        raise SystemExit(f"{provider} is not available here (got {s.get_providers()})")
    return s


class Decoder:
    def __init__(self, manifest, path, provider):
        a = manifest["architecture"]
        self.m, self.layers, self.heads, self.hd, self.vocab = manifest, a["layers"], a["heads"], a["head_dim"], a["vocab_size"]
        self.sess = session(path, provider)
        self.device = "cuda" if provider == "CUDAExecutionProvider" else "cpu"
        self.names = [f"past_key_values.{i}.{kind}" for i in range(self.layers) for kind in ("key", "value")]
        self.outs = ["logits"] + [f"present.{i}.{kind}" for i in range(self.layers) for kind in ("key", "value")]

    def fork(self, present, n):
        return [ort.OrtValue.ortvalue_from_numpy(np.repeat(p.numpy(), n, axis=0), self.device, 0) for p in present]

    def flops(self, attended):
        return self.m["flops_per_token"] + self.m["attention_flops_per_position"] * attended

    def step(self, ids, mask, positions, past):
        """One forward pass; past is a list of OrtValues on the device; returns (host logits, device presents)."""
        io = self.sess.io_binding()
        for name, arr in (("input_ids", ids), ("attention_mask", mask), ("position_ids", positions)):
            io.bind_ortvalue_input(name, ort.OrtValue.ortvalue_from_numpy(arr, self.device, 0))
        for name, value in zip(self.names, past):
            io.bind_ortvalue_input(name, value)
        io.bind_output("logits", "cpu")
        for name in self.outs[1:]:
            io.bind_output(name, self.device, 0)
        self.sess.run_with_iobinding(io)
        outputs = io.get_outputs()
        return outputs[0].numpy(), outputs[1:]

    def empty(self, batch):
        z = np.zeros((batch, self.heads, 0, self.hd), dtype=np.float32)
        return [ort.OrtValue.ortvalue_from_numpy(z, self.device, 0) for _ in self.names]

    def sample(self, logits, rng, temperature):
        if temperature <= 0:
            return logits.argmax(-1)
        z = logits / temperature
        z = np.exp(z - z.max(-1, keepdims=True))
        p = z / z.sum(-1, keepdims=True)
        u = rng.random((p.shape[0], 1))
        return np.minimum((p.cumsum(-1) < u).sum(-1), self.vocab - 1)

    def batched(self, prompt, n, new_tokens, temperature, seed):
        """(c): prefill once, fork the cache n ways on the device, decode all n together."""
        rng = np.random.default_rng(seed)
        L = len(prompt)
        logits, present = self.step(np.array([prompt], np.int64), np.ones((1, L), np.int64), np.arange(L, dtype=np.int64)[None], self.empty(1))
        flops = sum(self.flops(j) for j in range(1, L + 1))
        past = self.fork(present, n)
        tokens = self.sample(np.repeat(logits[:, -1], n, axis=0), rng, temperature)
        out = [tokens]
        for t in range(1, new_tokens):
            T = L + t
            logits, past = self.step(tokens[:, None].astype(np.int64), np.ones((n, T), np.int64), np.full((n, 1), T - 1, np.int64), past)
            flops += n * self.flops(T)
            tokens = self.sample(logits[:, -1], rng, temperature)
            out.append(tokens)
        return np.stack(out, 1), flops

    def uncached(self, prompt, new_tokens, temperature, seed):
        """(a): one sample, the whole sequence recomputed at every step."""
        rng = np.random.default_rng(seed)
        seq, flops = list(prompt), 0.0
        for _ in range(new_tokens):
            n = len(seq)
            logits, _ = self.step(np.array([seq], np.int64), np.ones((1, n), np.int64), np.arange(n, dtype=np.int64)[None], self.empty(1))
            flops += sum(self.flops(j) for j in range(1, n + 1))
            seq.append(int(self.sample(logits[:, -1], rng, temperature)[0]))
        return seq[len(prompt):], flops


class TorchDecoder(Decoder):
    """Same interface as Decoder, the graph run by onnx_torch_exec on a torch device."""

    def __init__(self, manifest, path, device):
        import torch
        self.torch = torch
        a = manifest["architecture"]
        self.m, self.layers, self.heads, self.hd, self.vocab = manifest, a["layers"], a["heads"], a["head_dim"], a["vocab_size"]
        self.graph = onnx_torch_exec.load(path).to(device)
        self.dev = torch.device(device)
        self.names = [f"past_key_values.{i}.{kind}" for i in range(self.layers) for kind in ("key", "value")]
        self.outs = ["logits"] + [f"present.{i}.{kind}" for i in range(self.layers) for kind in ("key", "value")]

    def step(self, ids, mask, positions, past):
        t = self.torch
        feeds = {"input_ids": t.from_numpy(ids).to(self.dev), "attention_mask": t.from_numpy(mask).to(self.dev),
                 "position_ids": t.from_numpy(positions).to(self.dev)}
        feeds.update(zip(self.names, past))
        out = self.graph.run(feeds, self.outs)
        return out[0].float().cpu().numpy(), out[1:]

    def empty(self, batch):
        return [self.torch.zeros((batch, self.heads, 0, self.hd), device=self.dev) for _ in self.names]

    def fork(self, present, n):
        return [p.repeat_interleave(n, dim=0) for p in present]


def parity(manifest, path, device, prompt):
    """Largest |Δlogit| between ONNX Runtime (CPU) and the torch executor on one prompt."""
    ort_dec = Decoder(manifest, path, "CPUExecutionProvider")
    torch_dec = TorchDecoder(manifest, path, device)
    L = len(prompt)
    args = (np.array([prompt], np.int64), np.ones((1, L), np.int64), np.arange(L, dtype=np.int64)[None])
    a, _ = ort_dec.step(*args, ort_dec.empty(1))
    b, _ = torch_dec.step(*args, torch_dec.empty(1))
    return float(np.abs(a - b).max())


def timed(fn, repeats):
    fn()  # warm-up
    best = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        tokens, flops = fn()
        dt = time.perf_counter() - t0
        if best is None or tokens / dt > best[0] / best[1]:
            best = (tokens, dt, flops)
    return best


def matmul_peak(path, size, provider, repeats=20):
    s = session(path, provider)
    a = np.random.default_rng(0).random((size, size), dtype=np.float32)
    device = "cuda" if provider == "CUDAExecutionProvider" else "cpu"
    io = s.io_binding()
    io.bind_ortvalue_input("a", ort.OrtValue.ortvalue_from_numpy(a, device, 0))
    io.bind_ortvalue_input("b", ort.OrtValue.ortvalue_from_numpy(a, device, 0))
    io.bind_output("y", device, 0)
    s.run_with_iobinding(io)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        s.run_with_iobinding(io)
        io.synchronize_outputs()
        best = min(best, time.perf_counter() - t0)
    return 2.0 * size ** 3 / best / 1e9


def prm_throughput(model_dir, args, rows, repeats):
    manifest, path = load(model_dir)
    text = "Q: (37+48)*3-19\n37+48=85\n85*3=255\n255-19=236\nA: 236\n"
    ids = np.array([encode(manifest, text)] * rows, np.int64)
    mask = np.ones_like(ids)
    if args.executor == "ort":
        s = session(path, args.provider)
        call = lambda: s.run(["scores"], {"input_ids": ids, "attention_mask": mask})[0]
    else:
        import torch
        graph = onnx_torch_exec.load(path).to(args.device)
        feeds = {"input_ids": torch.from_numpy(ids).to(args.device), "attention_mask": torch.from_numpy(mask).to(args.device)}
        call = lambda: graph.run(feeds, ["scores"])[0].cpu().numpy()
    call()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        scores = call()
        best = min(best, time.perf_counter() - t0)
    return rows * ids.shape[1] / best, rows / best, scores[0, [i for i, c in enumerate(ids[0]) if c == manifest["tokenizer"]["vocabulary"].index("\n")][1:]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["models/gen-small"])
    ap.add_argument("--prm", default=None)
    ap.add_argument("--executor", choices=["ort", "torch"], default="ort")
    ap.add_argument("--provider", default="CUDAExecutionProvider", help="ONNX Runtime provider (--executor ort)")
    ap.add_argument("--device", default="cuda", help="torch device (--executor torch)")
    ap.add_argument("--problem", default="(122+713-406)*2+132-(47-12)")
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--large-batches", type=int, nargs="*", default=[64, 256, 1024])
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--matmul", default="benchmarks/gpu/matmul-4096.onnx")
    args = ap.parse_args()

    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
    size = int(args.matmul.split("-")[-1].split(".")[0])
    if args.executor == "ort":
        print(f"machine: {gpu or 'no GPU'}; {os.cpu_count()} cores; executor ONNX Runtime {ort.__version__}, provider {args.provider}")
        peak = matmul_peak(args.matmul, size, args.provider)
    else:
        import torch
        print(f"machine: {gpu or 'no GPU'}; {os.cpu_count()} cores; executor: ONNX graph run by torch {torch.__version__} on {args.device} (ONNX Runtime {ort.__version__} here has providers {ort.get_available_providers()})")
        graph = onnx_torch_exec.load(args.matmul).to(args.device)
        a = torch.rand((size, size), device=args.device)
        graph.run({"a": a, "b": a})
        best = float("inf")
        for _ in range(20):
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            graph.run({"a": a, "b": a})
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - t0)
        peak = 2.0 * size ** 3 / best / 1e9
    print(f"MatMul peak ({size}^3, fp32, same executor): {peak:.0f} GFLOP/s")
    for model_dir in args.models:
        manifest, path = load(model_dir)
        prompt = prompt_of(manifest, args.problem)
        if args.executor == "ort":
            dec = Decoder(manifest, path, args.provider)
        else:
            print(f"{manifest['name']}: max |Δlogit| torch executor vs ONNX Runtime CPU on the prompt: {parity(manifest, path, args.device, prompt):.2e}")
            dec = TorchDecoder(manifest, path, args.device)
        greedy, _ = dec.batched(prompt, 1, 40, 0.0, 0)
        print(f"\n{manifest['name']}: greedy output: {text_of(manifest, greedy[0])!r}")
        n, k = args.samples, args.new_tokens
        rows = []
        a = timed(lambda: (lambda r: (len(r[0]) * n, r[1] * n))(dec.uncached(prompt, k, args.temperature, 1)), 1)
        rows.append(("a: one at a time, no KV cache (x N, timed once)", a[0], a[1] * n, a[2]))
        b = timed(lambda: (lambda r: (r[0].size * n, r[1] * n))(dec.batched(prompt, 1, k, args.temperature, 1)), args.repeats)
        rows.append(("b: one at a time, KV cache (x N)", b[0], b[1] * n, b[2]))
        c = timed(lambda: (lambda r: (r[0].size, r[1]))(dec.batched(prompt, n, k, args.temperature, 1)), args.repeats)
        rows.append((f"c: batched N={n}, shared-prefix KV cache", c[0], c[1], c[2]))
        for big in args.large_batches:
            r = timed(lambda: (lambda x: (x[0].size, x[1]))(dec.batched(prompt, big, k, args.temperature, 1)), args.repeats)
            rows.append((f"c: batched N={big}", r[0], r[1], r[2]))
        print(f"| {manifest['name']} mode | tokens | seconds | tokens/s | GFLOP/s | share of MatMul peak |")
        print("|---|---|---|---|---|---|")
        for name, tokens, seconds, flops in rows:
            print(f"| {name} | {tokens} | {seconds:.3f} | {tokens / seconds:.0f} | {flops / seconds / 1e9:.2f} | {100 * flops / seconds / 1e9 / peak:.2f}% |")
        print(f"c/a = {(c[0] / c[1]) / (a[0] / (a[1] * n)):.1f}x, c/b = {(c[0] / c[1]) / (b[0] / (b[1] * n)):.1f}x")
    if args.prm:
        for rows in (64, 1024):
            tps, sps, scores = prm_throughput(args.prm, args, rows, args.repeats)
            print(f"PRM, {rows} solutions per call: {sps:.0f} solutions/s, {tps:.0f} tokens/s; step scores of the sample: {np.round(scores, 3).tolist()}")


if __name__ == "__main__":
    main()
