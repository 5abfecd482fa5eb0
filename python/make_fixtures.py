"""Writes the golden fixtures motif's model is tested against (test/fixtures/model/).

For the tiny preset in both layouts (dropout 0, fixed seed): random weights and a padded token
batch -> logits, mean-pooled embedding, loss, every gradient, the gradients of a fixed weighting of the
pooled embedding (the contrastive path), and the parameters after 3 AdamW steps with gradient
clipping (L1 on in the pre-LN case); plus PyTorch OneCycleLR values, and the contrastive head with
symmetric InfoNCE (loss and gradients of head and pooled input) on fixed inputs. PyTorch computes in float64
from float32 weights, so the fixtures are the exact answer for the stored weights.
Run: /usr/bin/python3 python/make_fixtures.py   (needs python3-torch; not run by the tests)
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from motif_model import MotifModel, save_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "model")

CASES = {
    "post_ln": {"layout": "post-ln", "activation": "relu", "tiedHead": False, "headBias": True, "l1": 0.0},
    "pre_ln": {"layout": "pre-ln", "activation": "gelu", "tiedHead": True, "headBias": False, "l1": 1e-3},
}
OPTIM = {"lr": 1e-2, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weightDecay": 0.1, "clip": 1.0}
B, T, LENGTHS = 3, 16, [16, 11, 7]  # sequences 2 and 3 end in padding


def make_case(name, case, seed):
    with open(os.path.join(ROOT, "presets", "tiny.json")) as f:
        cfg = json.load(f)["model"]
    cfg.update({k: v for k, v in case.items() if k != "l1"}, dropout=0.0)
    torch.manual_seed(seed)
    model = MotifModel(cfg)
    with torch.no_grad():  # nn.TransformerEncoder clones one layer: make layers and norms distinct
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    model.double().train()
    pad = cfg["padId"]
    tokens = torch.randint(1, cfg["vocabSize"], (B, T))
    for b, n in enumerate(LENGTHS):
        tokens[b, n:] = pad

    weights = {k: v.clone() for k, v in model.tensors().items()}
    with torch.no_grad():
        mask = (tokens != pad).unsqueeze(-1).double()
        embedding = (model.hidden(tokens) * mask).sum(1) / mask.sum(1)
        # Mean pooling of each inner layer's output (motif embed --layer l).
        layer_embeddings = {f"embedding.layer{l}": (model.hidden(tokens, l) * mask).sum(1) / mask.sum(1)
                            for l in range(cfg["nLayers"])}
    logits = model(tokens)
    loss = model.loss(tokens, logits)
    loss.backward()
    named = dict(model.named_parameters())  # a tied head appears once, as tok.weight
    grads = {k: named[k].grad.clone() for k in weights}

    # The contrastive path: d(sum(w * pooled)) / d(parameters), w[i] = sin(1 + i) as in the TS tests.
    model.zero_grad()
    mask = (tokens != pad).unsqueeze(-1).double()
    pooled = (model.hidden(tokens) * mask).sum(1) / mask.sum(1)
    w = torch.sin(1 + torch.arange(pooled.numel(), dtype=torch.float64)).reshape(pooled.shape)
    (pooled * w).sum().backward()
    pool_grads = {k: (named[k].grad.clone() if named[k].grad is not None else torch.zeros_like(named[k])) for k in weights}
    model.zero_grad()

    opt = torch.optim.AdamW(model.parameters(), lr=OPTIM["lr"], betas=(OPTIM["beta1"], OPTIM["beta2"]),
                            eps=OPTIM["eps"], weight_decay=OPTIM["weightDecay"])
    steps = []
    for _ in range(3):
        opt.zero_grad()
        ce = model.loss(tokens)
        penalty = case["l1"] * sum(p.abs().sum() for p in model.parameters())
        (ce + penalty).backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), OPTIM["clip"])
        opt.step()
        steps.append({"loss": ce.item(), "l1Penalty": float(penalty), "gradNorm": norm.item()})
    after = {k: v.clone() for k, v in model.tensors().items()}

    tensors = {"logits": logits.detach(), "embedding": embedding, **layer_embeddings}
    tensors.update({"weights." + k: v for k, v in weights.items()})
    tensors.update({"grads." + k: v for k, v in grads.items()})
    tensors.update({"poolGrads." + k: v for k, v in pool_grads.items()})
    tensors.update({"after3." + k: v for k, v in after.items()})
    save_safetensors(os.path.join(OUT, name + ".safetensors"), tensors, {"case": name})
    return {"config": cfg, "B": B, "T": T, "tokens": tokens.reshape(-1).tolist(), "loss": loss.item(),
            "optim": dict(OPTIM, l1=case["l1"]), "steps": steps}


def one_cycle_cases():
    """lr per step of torch.optim.lr_scheduler.OneCycleLR (cos annealing, momentum cycling off)."""
    out = []
    for total, max_lr, pct, div, final_div in [(100, 3e-4, 0.3, 25.0, 1e4), (37, 1e-2, 0.25, 10.0, 100.0)]:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=max_lr)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=total, pct_start=pct,
                                                    div_factor=div, final_div_factor=final_div,
                                                    anneal_strategy="cos", cycle_momentum=False)
        lrs = []
        for _ in range(total):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        out.append({"totalSteps": total, "maxLr": max_lr, "pctStart": pct, "divFactor": div,
                    "finalDivFactor": final_div, "lrs": lrs})
    return out


def info_nce_case(seed=99, pairs=4, c=6, d=5, tau=0.2, groups=None, group_weight=0.0):
    """Head (linear + L2 norm) and symmetric InfoNCE on 2·pairs pooled vectors: loss, dW, db, dpooled.
    With groups (negative: none), a share group_weight of each row's target goes evenly to its group's pairs."""
    g = torch.Generator().manual_seed(seed)
    pooled = torch.randn(2 * pairs, c, generator=g, dtype=torch.float64, requires_grad=True)
    weight = (0.5 * torch.randn(d, c, generator=g, dtype=torch.float64)).float().double().requires_grad_()
    bias = (0.1 * torch.randn(d, generator=g, dtype=torch.float64)).float().double().requires_grad_()
    z = torch.nn.functional.normalize(pooled @ weight.T + bias, dim=1)
    s = z[:pairs] @ z[pairs:].T / tau
    target = torch.eye(pairs, dtype=torch.float64)
    for i, gi in enumerate(groups or []):
        if gi >= 0:
            same = torch.tensor([float(gj == gi) for gj in groups], dtype=torch.float64)
            target[i] = (1 - group_weight) * target[i] + group_weight * same / same.sum()
    loss = 0.5 * (torch.nn.functional.cross_entropy(s, target) + torch.nn.functional.cross_entropy(s.T, target.T))
    loss.backward()
    extra = {"groups": groups, "groupWeight": group_weight} if groups else {}
    return {**extra, "pairs": pairs, "C": c, "D": d, "temperature": tau, "pooled": pooled.detach().reshape(-1).tolist(),
            "weight": weight.detach().reshape(-1).tolist(), "bias": bias.detach().tolist(), "loss": loss.item(),
            "dWeight": weight.grad.reshape(-1).tolist(), "dBias": bias.grad.tolist(), "dPooled": pooled.grad.reshape(-1).tolist()}


def main():
    os.makedirs(OUT, exist_ok=True)
    summary = {"torch": torch.__version__, "cases": {}}
    for i, (name, case) in enumerate(CASES.items()):
        summary["cases"][name] = make_case(name, case, seed=1234 + i)
    summary["oneCycle"] = one_cycle_cases()
    summary["infoNce"] = info_nce_case()
    summary["infoNceGroups"] = info_nce_case(seed=98, groups=[0, 1, 0, -1], group_weight=0.6)
    with open(os.path.join(OUT, "fixtures.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
