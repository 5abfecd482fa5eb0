"""Trains motif's transformer with PyTorch DistributedDataParallel: the scale-out engine behind
`motif train --engine torch`, on motif's own token shards, writing a motif run directory.

  torchrun --standalone --nproc_per_node N python/train_torch.py --data <shards> --preset <name|file> --out <run dir>
      [--config <json>] [--resume] [--max-steps n] [--max-minutes m] [--precision bf16|fp32] [--device cpu|cuda]

It runs the loop of src/train/trainer.ts (records, validation, checkpoints, best, snapshots, exact resume)
with the model of motif_model.py. Every step takes the run's batch of batchSize windows from the one seeded
stream motif's trainer draws, and rank r trains on its r-th slice of it: the ranks see disjoint windows, and
whatever the number of processes the run's state is that of a one-process run, so the native engine resumes
it and it resumes a native run. The loss is the mean over the targets of the whole batch, as native.
Dropout masks are seeded by (seed, step, rank), so a resumed run draws the masks it would have drawn.
Not a second design: where this loop and trainer.ts differ, trainer.ts is right.
"""
import argparse
import json
import math
import os
import shutil
import signal
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from motif_data import Corpus, TrainWindows, eval_windows, fill_window  # noqa: E402
from motif_model import MotifModel, load_safetensors, save_safetensors  # noqa: E402
from motif_run import (CONFIG, DEFAULT_RUN, DEFAULT_TRAIN, MODEL_FILE, RUN_CONFIG_KEYS, SNAPSHOTS, TRAINER_STATE,  # noqa: E402
                       CheckpointStore, MetricsLog, commit_dir, create_run_dir, lock_dir, model_config, optimizer_config,
                       read_run_config, remove_stale, snapshot_name, to_json, write_atomic)


def one_cycle_lr(step, total, o):
    """Learning rate of 0-based `step` of `total`: PyTorch's OneCycleLR, cosine, as src/model/one-cycle.ts."""
    initial = o["lr"] / o["divFactor"]
    minimum = initial / o["finalDivFactor"]
    warm_end, end = o["pctStart"] * total - 1, total - 1

    def anneal(start, stop, pct):
        return stop + (start - stop) / 2 * (math.cos(math.pi * pct) + 1)
    if step <= warm_end:
        return anneal(initial, o["lr"], step / warm_end if warm_end > 0 else 1)
    return anneal(o["lr"], minimum, (step - warm_end) / (end - warm_end))


class Ranks:
    """This process's place in the job (torchrun's environment; one process without it) and its collectives."""

    def __init__(self, device):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        cuda = device == "cuda" or (device is None and torch.cuda.is_available())
        if cuda and not torch.cuda.is_available():
            raise ValueError("--device cuda: this PyTorch sees no CUDA device")
        if cuda:
            local = int(os.environ.get("LOCAL_RANK", "0"))
            torch.cuda.set_device(local)
            self.device = torch.device("cuda", local)
        else:
            self.device = torch.device("cpu")
        if self.world > 1:
            dist.init_process_group("nccl" if cuda else "gloo")

    def sum(self, values):
        """Element-wise sums over the ranks (float64)."""
        t = torch.tensor([float(v) for v in values], dtype=torch.float64, device=self.device)
        if self.world > 1:
            dist.all_reduce(t)
        return t.tolist()

    def agree(self, value):
        """Rank 0's value, on every rank."""
        if self.world == 1:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]


class StopRequests:
    """SIGINT, SIGTERM, SIGHUP ask for a stop after the current step with a checkpoint (torchrun passes its
    SIGTERM on to the workers); a second SIGINT (Ctrl-C twice) quits at once, as the native trainer does."""

    def __init__(self, say):
        self.requested, self.interrupts, self.say = False, 0, say
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self.on_signal)

    def on_signal(self, signum, _frame):
        if signum == signal.SIGINT:
            self.interrupts += 1
            if self.interrupts > 1:
                sys.exit(130)
        if not self.requested:
            self.say("stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)")
        self.requested = True


def create_model(cfg, seed):
    """A fresh model. nn.TransformerEncoder deep-copies one layer, so every layer would start equal; motif's
    native initialisation draws each layer on its own, and so does this (same distributions, PyTorch's)."""
    torch.manual_seed(seed)
    model = MotifModel(cfg)
    for layer in model.encoder.layers:
        layer.self_attn._reset_parameters()
        layer.linear1.reset_parameters()
        layer.linear2.reset_parameters()
    return model


def load_checkpoint(folder):
    """(tensors, metadata, trainer state) of a checkpoint folder; raises on anything damaged."""
    tensors, meta = load_safetensors(os.path.join(folder, MODEL_FILE))
    with open(os.path.join(folder, TRAINER_STATE)) as f:
        return tensors, meta, json.load(f)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="token shards folder (motif tokenize); with --resume, where the run's shards are on this machine")
    p.add_argument("--preset", default="small", help="tiny, small, paper or a preset .json file (default small)")
    p.add_argument("--config", help='JSON file with "model" and "train" sections overriding the preset (as motif train --config)')
    p.add_argument("--out", required=True, help="the run directory")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its newest checkpoint with its own settings; start it when --out holds no run "
                        "yet, so a requeued cluster job can repeat one command")
    p.add_argument("--max-steps", type=int, help="stop this invocation with a checkpoint once the run has done n steps in all "
                                                 "(the schedule still spans the run's steps; --resume continues it)")
    p.add_argument("--max-minutes", type=float, help="time budget of this invocation; checkpoints and stops when spent")
    p.add_argument("--precision", choices=["bf16", "fp32"], help="autocast bf16 or plain fp32 for training steps (default: bf16 on CUDA, "
                                                                  "fp32 on CPU); weights, optimizer and validation stay fp32")
    p.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda where available (nccl), else cpu (gloo)")
    p.add_argument("--log-windows", metavar="DIR", help="write every window each rank trains on to DIR/rank-R.jsonl "
                                                        "(step, draw in the run's stream, piece id, start): an audit of the data order")
    p.add_argument("--result", metavar="FILE", help="write how the invocation ended as JSON (used by motif train --engine torch)")
    return p.parse_args(argv)


def prepare(args):
    """Rank 0: creates the run when --out holds none, and takes its lock."""
    exists = os.path.exists(os.path.join(args.out, CONFIG))
    if exists and not args.resume:
        raise ValueError(f"{args.out}: already holds a run; continue it with --resume, or choose another --out")
    if not exists:
        if not args.data:
            raise ValueError("a new run needs --data <shards> (and --preset)")
        create_run_dir(args.out, args.data, args.preset, args.config, Corpus(args.data))
    lock_dir(args.out)


def main(argv=None):
    args = parse_args(argv)
    existed, new_run = os.path.exists(args.out), not os.path.exists(os.path.join(args.out, CONFIG))
    ranks = None
    try:
        ranks = Ranks(args.device)
        Trainer(args, ranks).run()
    except ValueError as e:  # a problem with the user's input or files: the message says which
        lead = ranks is None or ranks.rank == 0
        if lead:
            print(f"train_torch: {e}", file=sys.stderr)
        # A start that failed before its first checkpoint keeps no folder, so the same command can be retried (as run.ts).
        if lead and new_run and os.path.exists(os.path.join(args.out, CONFIG)) and not CheckpointStore(args.out).steps():
            for name in os.listdir(args.out) if existed else []:
                path = os.path.join(args.out, name)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
            if not existed:
                shutil.rmtree(args.out)
        sys.exit(1)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


class Trainer:
    """One invocation of the loop of src/train/trainer.ts on this rank; rank 0 writes the run directory."""

    def __init__(self, args, ranks):
        self.args, self.ranks, self.lead = args, ranks, ranks.rank == 0
        error = None
        if self.lead:
            try:
                prepare(args)
            except ValueError as e:
                error = str(e)
        error = ranks.agree(error)
        if error:
            raise ValueError(error)
        config = read_run_config(args.out)
        data = args.data if args.resume and args.data else config["data"]
        corpus = Corpus(data)
        if corpus.index["tokenizer"]["sha256"] != config["tokenizer"]["sha256"]:
            raise ValueError(f"{data}: these shards were made with another tokenizer than the run's; the run cannot continue on them")
        o = self.o = config["train"]
        self.model_cfg = model_config(config["model"], f"{args.out}: model")
        unknown = [k for k in config if k not in RUN_CONFIG_KEYS] + [k for k in o if k not in DEFAULT_TRAIN and k not in DEFAULT_RUN]
        if unknown:  # settings of a newer motif (another objective, say): training without them would be another run
            raise ValueError(f"{args.out}: the run has settings the torch engine does not know ({', '.join(unknown)}); train it with the native engine")
        if o.get("augmentTranspose") or o.get("augmentStretch") or o.get("augmentVelocity"):
            raise ValueError(f"{args.out}: augmentation re-tokenizes the MIDI files every epoch with motif's TypeScript tokenizer; "
                             "train this run with the native engine, or without augmentation")
        if o["batchSize"] % ranks.world:
            raise ValueError(f"batchSize {o['batchSize']} must be a multiple of the {ranks.world} processes "
                             "(each trains batchSize / processes windows of every step)")
        self.per_rank = o["batchSize"] // ranks.world
        if ranks.device.type == "cpu" and o["threads"] > 0:
            torch.set_num_threads(o["threads"])
        self.precision = args.precision or ("bf16" if ranks.device.type == "cuda" else "fp32")
        self.framing = (corpus.bos_id, corpus.eos_id, corpus.pad_id)
        train_ids, self.train_pieces = corpus.split("train")
        self.val_ids, _ = corpus.split("validation")
        self.windows = TrainWindows(train_ids, self.framing, o["seqLen"], o["seed"])
        self.steps_per_epoch = self.windows.steps_per_epoch(o["batchSize"])
        self.total = o["steps"] if o["steps"] > 0 else o["epochs"] * self.steps_per_epoch
        self.epochs = -(-self.total // self.steps_per_epoch)
        self.store, self.metrics = CheckpointStore(args.out), MetricsLog(args.out)
        self.windows_log = None
        if args.log_windows:
            os.makedirs(args.log_windows, exist_ok=True)
            self.windows_log = open(os.path.join(args.log_windows, f"rank-{ranks.rank}.jsonl"), "a")

    def say(self, line):
        if self.lead:
            print(line, file=sys.stderr, flush=True)

    # ── model and optimizer ───────────────────────────────────────────────────────────────────────
    def build(self, checkpoint):
        o, device = self.o, self.ranks.device
        if checkpoint is None:
            self.model = create_model(self.model_cfg, o["seed"])
        else:
            self.model = MotifModel(self.model_cfg)
            self.model.load_tensors(checkpoint[0])
        self.model.to(device)
        named = dict(self.model.named_parameters())  # a tied head appears once, as tok.weight
        self.names = list(self.model.tensors())
        self.params = [named[n] for n in self.names]
        self.opt = torch.optim.AdamW(self.params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weightDecay"])
        if checkpoint is not None:
            tensors, meta, _ = checkpoint
            step = float(meta.get("motif.step", "0"))
            for name, p in zip(self.names, self.params):
                m, v = tensors.get("optimizer.exp_avg." + name), tensors.get("optimizer.exp_avg_sq." + name)
                if m is not None and v is not None:
                    self.opt.state[p] = {"step": torch.tensor(step), "exp_avg": m.to(device).clone(), "exp_avg_sq": v.to(device).clone()}
        # The native core applies λ·Σ|w|; the mean form is the same penalty with λ spread over the parameters.
        n_params = sum(p.numel() for p in self.params)
        self.l1 = o["l1"] / n_params if o.get("l1Form", "sum") == "mean" else o["l1"]  # runs from before l1Form: sum
        self.ddp = self.model if self.ranks.world == 1 else DistributedDataParallel(
            self.model, device_ids=[device.index] if device.type == "cuda" else None)

    def save(self, folder, with_optimizer):
        """model.safetensors as motif's Transformer.save writes it: parameters, AdamW moments, metadata."""
        tensors = dict(self.model.tensors())
        if with_optimizer:
            for name, p in zip(self.names, self.params):
                st = self.opt.state.get(p)
                tensors["optimizer.exp_avg." + name] = st["exp_avg"] if st else torch.zeros_like(p)
                tensors["optimizer.exp_avg_sq." + name] = st["exp_avg_sq"] if st else torch.zeros_like(p)
        compact = {"separators": (",", ":")}
        save_safetensors(os.path.join(folder, MODEL_FILE), tensors, {
            "format": "pt", "motif.config": json.dumps(self.model_cfg, **compact), "motif.optim": json.dumps(optimizer_config(self.o), **compact),
            "motif.seed": str(self.o["seed"]), "motif.step": str(self.s["step"] if with_optimizer else 0),
            "motif.trained_steps": str(self.s["step"]),
            "motif.engine": f"torch {torch.__version__}, {self.ranks.world} processes, {self.ranks.device.type}, {self.precision}"})

    # ── steps and evaluation ─────────────────────────────────────────────────────────────────────
    def loss_sum(self, model, tokens):
        """Σ cross-entropy over the non-pad targets of (B, T) tokens, and their count."""
        pad = self.model_cfg["padId"]
        logits = model(tokens)
        targets = tokens[:, 1:]
        ce = F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]), targets.reshape(-1),
                             ignore_index=pad if pad >= 0 else -100, reduction="sum")
        return ce, ((targets != pad).sum() if pad >= 0 else targets.numel())

    def train_step(self, tokens, lr, flags):
        """One step on this rank's windows; returns the batch's mean loss, the gradient norm and the flags summed over ranks."""
        for g in self.opt.param_groups:
            g["lr"] = lr
        self.opt.zero_grad(set_to_none=True)
        # Masks from (seed, step, rank) alone: a resumed run draws the ones it would have drawn.
        torch.manual_seed((self.o["seed"] << 32) | ((self.s["step"] * self.ranks.world + self.ranks.rank) & 0xFFFFFFFF))
        with torch.autocast(self.ranks.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            ce, count = self.loss_sum(self.ddp, tokens)
        total, targets, *flags = self.ranks.sum([ce.item(), count, *flags])
        # DDP averages gradients over the ranks: scaled so, they are those of the whole batch's mean loss.
        (ce * (self.ranks.world / targets)).backward()
        if self.l1 > 0:
            with torch.no_grad():
                for p in self.params:
                    p.grad.add_(torch.sign(p), alpha=self.l1)
        clip = self.o["clipNorm"]
        norm = torch.nn.utils.clip_grad_norm_(self.params, clip if clip > 0 else float("inf"))
        self.opt.step()
        return total / targets, norm.item(), flags

    def validate(self):
        """Loss over the validation split in the fixed windows of src/train/perplexity.ts, fp32, batches split over the ranks."""
        width, batch = self.o["seqLen"], self.o["batchSize"]
        windows = eval_windows(self.val_ids, width)
        starts = range(self.ranks.rank * batch, len(windows), self.ranks.world * batch)
        buf = np.empty((batch, width), dtype=np.int64)
        loss, count = 0.0, 0
        self.model.eval()
        with torch.no_grad():
            for i in starts:
                rows = windows[i:i + batch]
                for row, (piece, start) in zip(buf, rows):
                    fill_window(row, self.val_ids[piece], start, self.framing)
                ce, n = self.loss_sum(self.model, torch.from_numpy(buf[:len(rows)]).to(self.ranks.device))
                loss, count = loss + ce.item(), count + int(n)
        self.model.train()
        loss, count = self.ranks.sum([loss, count])
        if count == 0:
            raise ValueError("evaluate: the validation split has no tokens to score")
        return {"valLoss": loss / count, "valPerplexity": math.exp(loss / count)}

    # ── the loop ─────────────────────────────────────────────────────────────────────────────────
    def load_newest(self):
        """Rank 0 finds the newest checkpoint that loads (setting damaged ones aside, as trainer.ts); every rank loads it."""
        found, step = None, None
        if self.lead:
            remove_stale(self.store.dir)
            remove_stale(os.path.join(self.args.out, SNAPSHOTS))
            for candidate in reversed(self.store.steps()):
                try:
                    found, step = load_checkpoint(self.store.path(candidate)), candidate
                    break
                except Exception as e:  # noqa: BLE001 — any failure to read means damaged, as trainer.ts loadNewest
                    aside = self.store.set_aside(candidate)
                    self.say(f"warning: {self.store.path(candidate)}: damaged ({str(e).splitlines()[0] if str(e) else type(e).__name__}); "
                             f"moved to {aside}, resuming from the checkpoint before it")
        step = self.ranks.agree(step)
        if step is None or self.lead:
            return found
        return load_checkpoint(self.store.path(step))

    def run(self):
        args, o = self.args, self.o
        started = time.time()
        checkpoint = self.load_newest()
        self.build(checkpoint)
        if checkpoint is not None:
            self.s = checkpoint[2]
            self.s["bestValLoss"] = math.inf if self.s["bestValLoss"] is None else self.s["bestValLoss"]
            self.windows.rng.state = self.s["rng"]
            if self.lead:
                self.metrics.truncate(self.s["metricsBytes"])
        else:
            self.s = {"step": 0, "epochsDone": 0, "stepInEpoch": 0, "rng": self.windows.rng.state, "sinceRecord": self.empty_acc(),
                      "sinceEpoch": self.empty_acc(), "bestValLoss": math.inf, "metricsBytes": 0, "elapsed": 0}
            if self.lead:
                self.metrics.truncate(0)
        s, base = self.s, self.s["elapsed"]
        self.elapsed = lambda: base + time.time() - started
        max_minutes = args.max_minutes if args.max_minutes is not None else o.get("maxMinutes", 0)
        stops = StopRequests(self.say)
        self.say(f"training {args.out} with PyTorch {torch.__version__}: {self.ranks.world} process(es) on {self.ranks.device.type}, "
                 f"{self.precision}, step {s['step']}/{self.total}")

        if checkpoint is None:
            v = self.validate()
            self.write({"kind": "epoch", "step": 0, "epoch": 0, **v, "elapsed": self.elapsed()})
            self.note_validation(v["valLoss"])
            if self.want_snapshot(0):
                self.snapshot(0, v["valLoss"])
            self.checkpoint()
        else:
            self.point_best()

        B, T, b = o["batchSize"], o["seqLen"], self.per_rank
        local = np.empty((b, T), dtype=np.int64)
        status, last = "finished", self.store.latest() or ""
        last_line = time.time()
        # --max-steps: a run at or past it stops, also one resumed there (it does not step past it).
        at_stop_step = lambda: args.max_steps is not None and args.max_steps <= s["step"] < self.total  # noqa: E731
        if at_stop_step():
            status = "stopped"
        while status == "finished" and s["step"] < self.total:
            draws = [self.windows.draw() for _ in range(B)]
            mine = draws[self.ranks.rank * b:(self.ranks.rank + 1) * b]
            self.windows.fill(local, mine)
            if self.windows_log:
                first = s["step"] * B + self.ranks.rank * b
                for i, (piece, start) in enumerate(mine):
                    self.windows_log.write(json.dumps({"step": s["step"] + 1, "draw": first + i, "piece": self.train_pieces[piece]["id"], "start": start}) + "\n")
            lr = one_cycle_lr(s["step"], self.total, o)
            t0 = time.perf_counter()
            over_time = self.lead and max_minutes > 0 and time.time() - started >= max_minutes * 60
            loss, grad_norm, (interrupted, timed_out) = self.train_step(torch.from_numpy(local).to(self.ranks.device), lr, [stops.requested, over_time])
            seconds = time.perf_counter() - t0
            if not math.isfinite(loss):
                raise ValueError(f"training diverged: loss {loss} at step {s['step'] + 1} (lr {lr}); try a lower lr")
            s["step"] += 1
            s["stepInEpoch"] += 1
            for acc in (s["sinceRecord"], s["sinceEpoch"]):
                acc["loss"] += loss
                acc["gradNorm"] += grad_norm
                acc["steps"] += 1
                acc["tokens"] += B * T
                acc["seconds"] += seconds
            if time.time() - last_line >= 60:
                last_line = time.time()
                self.say(f"step {s['step']}/{self.total}  loss {loss:.4f}  tok/s {B * T / seconds:.0f}")

            # The last step always validates and checkpoints, also when a step budget ends it mid-epoch.
            final = s["step"] == self.total
            save = final or (o["checkpointInterval"] > 0 and s["step"] % o["checkpointInterval"] == 0)
            improved = False
            if s["stepInEpoch"] == self.steps_per_epoch:
                s["epochsDone"] += 1
                s["stepInEpoch"] = 0
                v = self.validate()
                self.write({"kind": "epoch", "step": s["step"], "epoch": s["epochsDone"], **self.summarize(s["sinceEpoch"]), **v, "lr": lr,
                            "elapsed": self.elapsed()})
                s["sinceEpoch"], s["sinceRecord"] = self.empty_acc(), self.empty_acc()
                improved = self.note_validation(v["valLoss"])
                if self.want_snapshot(s["epochsDone"]):
                    self.snapshot(s["epochsDone"], v["valLoss"])
                save = True
            elif final or (o["evalInterval"] > 0 and s["step"] % o["evalInterval"] == 0):
                v = self.validate()
                self.write({"kind": "step", "step": s["step"], "epoch": s["epochsDone"] + s["stepInEpoch"] / self.steps_per_epoch,
                            **self.summarize(s["sinceRecord"]), **v, "lr": lr, "elapsed": self.elapsed()})
                s["sinceRecord"] = self.empty_acc()
                improved = self.note_validation(v["valLoss"])
            if save or improved:
                last = self.checkpoint()
            stop = "interrupted" if interrupted else "time-limit" if timed_out else "stopped" if at_stop_step() else None
            if stop:
                status = stop
                if not (save or improved):
                    last = self.checkpoint()
        if self.windows_log:
            self.windows_log.close()
        result = {"status": status, "step": s["step"], "totalSteps": self.total, "epochsDone": s["epochsDone"],
                  "bestValLoss": s["bestValLoss"], "checkpoint": last}
        if self.lead and args.result:
            write_atomic(args.result, (to_json(result) + "\n").encode())
        elif self.lead:
            self.say(f"{status}: step {s['step']}/{self.total}, {s['epochsDone']} epochs, best validation loss {s['bestValLoss']:.4f}"
                     + (f"\ncontinue with --resume --out {args.out}" if status != "finished" else ""))

    @staticmethod
    def empty_acc():
        return {"loss": 0, "gradNorm": 0, "steps": 0, "tokens": 0, "seconds": 0}

    @staticmethod
    def summarize(acc):
        if acc["steps"] == 0:
            return {}
        mean = acc["loss"] / acc["steps"]
        return {"trainLoss": mean, "trainPerplexity": math.exp(mean), "gradNorm": acc["gradNorm"] / acc["steps"],
                "tokensPerSec": acc["tokens"] / max(acc["seconds"], 1e-9)}

    def want_snapshot(self, epoch):
        snaps = self.o["snapshotEpochs"]
        return epoch in snaps or (epoch == self.epochs and "last" in snaps)

    def note_validation(self, val_loss):
        if not val_loss < self.s["bestValLoss"]:
            return False
        self.s["bestValLoss"], self.s["bestStep"] = val_loss, self.s["step"]
        return True

    def write(self, record):
        if self.lead:
            self.metrics.append(record)
            self.say(record_line(record, self.epochs))

    def point_best(self):
        best = self.s.get("bestStep")
        if self.lead and best is not None and self.store.best_step() != best and os.path.exists(self.store.path(best)):
            self.store.set_best(best, self.s["bestValLoss"])

    def checkpoint(self):
        s = self.s
        s["rng"] = self.windows.rng.state
        s["elapsed"] = self.elapsed()
        if self.lead:
            s["metricsBytes"] = self.metrics.bytes()

            def write(folder):
                self.save(folder, True)
                with open(os.path.join(folder, TRAINER_STATE), "w") as f:
                    f.write(to_json(s) + "\n")
            self.store.commit(s["step"], write)
            # Pointer first, rotation after: a kill between the two leaves the best pointed at and kept.
            self.point_best()
            self.store.rotate(self.o["keepCheckpoints"])
        return self.store.path(s["step"])

    def snapshot(self, epoch, val_loss):
        if not self.lead:
            return

        def write(folder):
            self.save(folder, False)
            with open(os.path.join(folder, "snapshot.json"), "w") as f:
                f.write(to_json({"epoch": epoch, "step": self.s["step"], "valLoss": val_loss}) + "\n")
        os.makedirs(os.path.join(self.args.out, SNAPSHOTS), exist_ok=True)
        commit_dir(os.path.join(self.args.out, SNAPSHOTS, snapshot_name(epoch)), write)


def record_line(r, epochs):
    """A metrics record as one line for people, as trainer.ts recordLine."""
    def f(label, key, digits):
        return f"  {label} {r[key]:.{digits}f}" if key in r else ""
    where = f"epoch {r['epoch']}/{epochs}" if r["kind"] == "epoch" else f"step {r['step']} (epoch {r['epoch']:.2f})"
    return (where + f("train loss", "trainLoss", 4) + f("val loss", "valLoss", 4) + f("val ppl", "valPerplexity", 2)
            + (f"  lr {r['lr']:.2e}" if "lr" in r else "") + f("tok/s", "tokensPerSec", 0))


if __name__ == "__main__":
    main()
