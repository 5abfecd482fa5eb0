// The matmul shapes of the paper preset (C 384, F 2048, V 30000; R = B·T rows) as the linear layers call
// the GEMM: forward x·Wᵀ, backward dx = dy·W and dW = dyᵀ·x. Shared by bench/sgemm.mjs and bench/gemm-bf16.mjs.

/** { name, transA, transB, M, N, K } for R rows. */
export function modelShapes(R) {
  return [
    ['fwd qkv      x·Wᵀ', false, true, R, 1152, 384],
    ['fwd ffn up   x·Wᵀ', false, true, R, 2048, 384],
    ['fwd ffn down x·Wᵀ', false, true, R, 384, 2048],
    ['fwd head     x·Wᵀ', false, true, R, 30000, 384],
    ['bwd ffn dx   dy·W', false, false, R, 384, 2048],
    ['bwd ffn dW   dyᵀ·x', true, false, 2048, 384, R],
    ['bwd head dx  dy·W', false, false, R, 384, 30000],
    ['bwd head dW  dyᵀ·x', true, false, 30000, 384, R],
  ].map(([name, transA, transB, M, N, K]) => ({ name, transA, transB, M, N, K }));
}

/** n deterministic values in [-0.5, 0.5) (an LCG), so every run multiplies the same matrices. */
export function randomMatrix(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

/** GFLOP/s over all shapes: total FLOPs over total time, what a step doing each shape once would see. */
export function overallGflops(shapes, rate) {
  const flops = shapes.map((s) => 2 * s.M * s.N * s.K);
  return flops.reduce((a, b) => a + b) / shapes.reduce((t, s, n) => t + flops[n] / rate(s, n), 0);
}

/**
 * Python that times torch.mm on spec["shapes"] (best of spec["minRuns"] runs or spec["budget"] seconds)
 * into the list `out` of GFLOP/s; the script before it defines cast(tensor) (the dtype under test) and g.
 */
export const TORCH_MM_LOOP = `
out = []
for s in spec["shapes"]:
    a = cast(torch.rand((s["K"], s["M"]) if s["transA"] else (s["M"], s["K"]), generator=g) - 0.5)
    b = cast(torch.rand((s["N"], s["K"]) if s["transB"] else (s["K"], s["N"]), generator=g) - 0.5)
    a = a.t() if s["transA"] else a
    b = b.t() if s["transB"] else b
    c = torch.mm(a, b)
    best, start, r = float("inf"), time.perf_counter(), 0
    while r < spec["minRuns"] or time.perf_counter() - start < spec["budget"]:
        t = time.perf_counter(); torch.mm(a, b, out=c); best = min(best, time.perf_counter() - t); r += 1
    out.append(2 * s["M"] * s["N"] * s["K"] / best / 1e9)
`;
