"""PyTorch side of bench/train-step.mjs and bench/generate.mjs: the same model (python/motif_model.py, nn.TransformerEncoder
as in the reference work) timed on the same threads, one configuration per process so that the
peak memory (max RSS) belongs to that configuration. Prints one JSON object as its last line.
It is not a benchmark on its own: bench/train-step.mjs runs it and computes MFU and ratios.

  /usr/bin/python3 python/bench_torch.py --mode train|forward --config '{model json}' --batch 8 --seq 512
  /usr/bin/python3 python/bench_torch.py --mode sgemm --shapes '[[M, N, K], ...]'
  /usr/bin/python3 python/bench_torch.py --mode decode --config '{model json}' --batch 1 --seq 128 --new 64
  /usr/bin/python3 python/bench_torch.py --mode info
"""
import argparse
import ctypes
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from motif_model import MotifModel  # noqa: E402


def blas_info():
    """Which BLAS library torch's process loaded, and for OpenBLAS the kernel set (core) it chose."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "blas" in os.path.basename(path).lower() or "mkl" in os.path.basename(path).lower():
                libs.add(path)
    info = {"libraries": sorted(libs), "openblas_core": None, "openblas_config": None,
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")}
    for path in sorted(libs):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            info["openblas_core"] = lib.openblas_get_corename().decode()
            info["openblas_config"] = lib.openblas_get_config().decode()
            break
        except (OSError, AttributeError):
            continue
    cap = [l.strip() for l in torch.__config__.show().splitlines() if "CPU capability" in l]
    info["aten_cpu_capability"] = cap[0] if cap else None
    return info


def timed(fn, steps, warmup):
    for _ in range(warmup):
        fn()
    best = float("inf")
    t0 = time.perf_counter()
    for _ in range(steps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return (time.perf_counter() - t0) / steps, best


def bench_model(args):
    cfg = json.loads(args.config)
    torch.manual_seed(0)
    model = MotifModel(cfg)
    tokens = torch.randint(1, cfg["vocabSize"], (args.batch, args.seq))
    bf16 = args.precision == "bf16"

    def loss_of(t):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            return model.loss(t)

    if args.mode == "train":
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.01)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_of(tokens)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            return loss
    else:
        model.eval()

        def step():
            with torch.no_grad():
                return loss_of(tokens)
    mean, best = timed(step, args.steps, args.warmup)
    return {"seconds_per_step": mean, "best_seconds_per_step": best,
            "tokens_per_second": args.batch * args.seq / mean,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def bench_decode(args):
    """Generation by plain recompute: each new token runs the whole prefix through the module (no KV
    cache; the head only on the last position), from a --seq prefix for --new tokens per stream."""
    cfg = json.loads(args.config)
    torch.manual_seed(0)
    model = MotifModel(cfg).eval()
    tokens = torch.randint(1, cfg["vocabSize"], (args.batch, args.seq + args.new))
    with torch.no_grad():
        model.head(model.hidden(tokens[:, :args.seq])[:, -1])  # warm-up
        t0 = time.perf_counter()
        for p in range(args.seq, args.seq + args.new):
            model.head(model.hidden(tokens[:, :p + 1])[:, -1])
        seconds = time.perf_counter() - t0
    return {"tokens_per_second": args.batch * args.new / seconds, "prefix": args.seq, "new": args.new}


def bench_sgemm(args):
    out = []
    for m, n, k in json.loads(args.shapes):
        a, b = torch.randn(m, k), torch.randn(n, k)
        c = torch.empty(m, n)
        mean, best = timed(lambda: torch.mm(a, b.t(), out=c), args.steps, args.warmup)
        out.append({"M": m, "N": n, "K": k, "gflops": 2 * m * n * k / best / 1e9})
    return {"sgemm": out}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["train", "forward", "sgemm", "info", "decode"], required=True)
    p.add_argument("--config")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=512)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--new", type=int, default=64)
    p.add_argument("--shapes")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="bf16: the model's forward under torch.autocast('cpu', bfloat16), as mixed-precision training does")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    if args.mode == "info":
        result.update(blas_info())
    elif args.mode == "sgemm":
        result.update(bench_sgemm(args))
    elif args.mode == "decode":
        result.update(bench_decode(args))
    else:
        result.update(bench_model(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
