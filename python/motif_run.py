"""motif's run directory from Python, for python/train_torch.py: config.json, the folder lock, metrics.jsonl,
checkpoints/ (step folders committed by rename, best.json, rotation), snapshots/ and trainer.json, written as
src/train/ writes them so that motif perplexity, embed, map, similar and generate read a run trained here unchanged
and either engine resumes it. The TypeScript modules own the format (docs/run-directory.md lists them and
describes it once); this file mirrors them, and test/train/torch-engine.test.ts holds the two to one another.
Not a trainer: no model, optimizer or data here.
"""
import atexit
import hashlib
import json
import math
import os
import re
import shutil
import socket
import subprocess
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG, TOKENIZER, METRICS, SNAPSHOTS, CHECKPOINTS = "config.json", "tokenizer.json", "metrics.jsonl", "snapshots", "checkpoints"
TRAINER_STATE, MODEL_FILE, LOCK_FILE = "trainer.json", "model.safetensors", ".lock"

# Defaults of src/model/config.ts (DEFAULT_MODEL, DEFAULT_TRAIN) and src/run/train-options.ts (DEFAULT_RUN):
# what a preset or config file leaves out. The built-in presets state every model and train field.
DEFAULT_MODEL = {"vocabSize": 30000, "maxLen": 2048, "dModel": 384, "nLayers": 6, "nHeads": 6, "dFF": 2048, "dropout": 0.1,
                 "layout": "post-ln", "activation": "relu", "tiedHead": False, "headBias": True, "padId": 0}
DEFAULT_TRAIN = {"batchSize": 8, "seqLen": 2048, "lr": 3e-4, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weightDecay": 0.01,
                 "clipNorm": 1, "l1": 0, "l1Form": "sum", "pctStart": 0.3, "divFactor": 25, "finalDivFactor": 1e4}
DEFAULT_RUN = {"epochs": 10, "steps": 0, "seed": 1, "threads": 0, "precision": "auto", "evalInterval": 0, "checkpointInterval": 0,
               "keepCheckpoints": 3, "maxMinutes": 0, "snapshotEpochs": [0, "last"], "augmentTranspose": 0, "augmentStretch": 0,
               "augmentVelocity": 0}


# The top-level fields of config.json (src/run/config.ts RunConfig).
RUN_CONFIG_KEYS = ["format", "version", "created", "git", "data", "tokenizer", "preset", "model", "train", "compute"]


def _kind(v):
    return "boolean" if isinstance(v, bool) else "number" if isinstance(v, (int, float)) else type(v).__name__


def _fill(defaults, given, where):
    """defaults overridden by `given`, refusing unknown keys and values of another kind (as config.ts fill)."""
    out = dict(defaults)
    for key, value in (given or {}).items():
        if key not in defaults:
            raise ValueError(f"{where}: unknown field '{key}' (known: {', '.join(defaults)})")
        if key != "snapshotEpochs" and _kind(value) != _kind(defaults[key]):
            raise ValueError(f"{where}: '{key}' must be a {_kind(defaults[key])}, got {json.dumps(value)}")
        out[key] = value
    return out


def _check(ok, where, message):
    if not ok:
        raise ValueError(f"{where}: {message}")


def _positive_ints(c, keys, where):
    for k in keys:
        _check(isinstance(c[k], int) and c[k] > 0, where, f"{k} must be a positive integer, got {c[k]}")


def model_config(given, where="model config"):
    """A full, checked model config (the checks of config.ts modelConfig)."""
    c = _fill(DEFAULT_MODEL, given, where)
    _positive_ints(c, ["vocabSize", "maxLen", "dModel", "nLayers", "nHeads", "dFF"], where)
    _check(c["dModel"] % c["nHeads"] == 0, where, f"dModel ({c['dModel']}) must be divisible by nHeads ({c['nHeads']})")
    _check(0 <= c["dropout"] < 1, where, f"dropout must be in [0, 1), got {c['dropout']}")
    _check(c["layout"] in ("post-ln", "pre-ln"), where, f"layout must be 'post-ln' or 'pre-ln', got '{c['layout']}'")
    _check(c["activation"] in ("relu", "gelu"), where, f"activation must be 'relu' or 'gelu', got '{c['activation']}'")
    _check(isinstance(c["padId"], int) and -1 <= c["padId"] < c["vocabSize"], where, f"padId must be -1 or a token id below vocabSize, got {c['padId']}")
    return c


def train_options(layers, where="train options"):
    """Optimizer settings and run options merged over the defaults, later layers winning (options.ts resolveTrainOptions)."""
    merged = {}
    for layer in layers:
        for k, v in (layer or {}).items():
            if k not in DEFAULT_TRAIN and k not in DEFAULT_RUN:
                raise ValueError(f'{where}: unknown option "{k}" (known: {", ".join([*DEFAULT_TRAIN, *DEFAULT_RUN])})')
            merged[k] = v
    c = _fill({**DEFAULT_TRAIN, **DEFAULT_RUN}, merged, where)
    _positive_ints(c, ["batchSize", "seqLen", "epochs", "keepCheckpoints"], where)
    for k in ["steps", "threads", "evalInterval", "checkpointInterval"]:
        _check(isinstance(c[k], int) and c[k] >= 0, where, f"{k} must be an integer ≥ 0, got {c[k]}")
    _check(isinstance(c["seed"], int) and 0 <= c["seed"] < 2 ** 32, where, f"seed must be an integer in [0, 2^32), got {c['seed']}")
    _check(c["lr"] > 0 and c["eps"] > 0 and c["weightDecay"] >= 0 and c["l1"] >= 0, where, "lr and eps must be positive; weightDecay and l1 non-negative")
    _check(0 <= c["beta1"] < 1 and 0 <= c["beta2"] < 1, where, "betas must be in [0, 1)")
    _check(c["l1Form"] in ("mean", "sum"), where, f"l1Form must be 'mean' or 'sum', got '{c['l1Form']}'")
    _check(0 < c["pctStart"] < 1 and c["divFactor"] > 0 and c["finalDivFactor"] > 0, where, "pctStart must be in (0, 1), the div factors positive")
    snaps = c["snapshotEpochs"]
    snaps = [s.strip() for s in snaps.split(",") if s.strip()] if isinstance(snaps, str) else snaps
    c["snapshotEpochs"] = ["last" if s == "last" else int(s) for s in snaps]
    return c


def optimizer_config(options):
    """The optimizer and schedule part of the options, as checkpoints record it (motif.optim)."""
    return {k: options[k] for k in DEFAULT_TRAIN}


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise ValueError(f"{path}: cannot be read ({e.strerror})") from e
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: damaged, not valid JSON ({e})") from e


def load_preset(name_or_path):
    """A preset by name (presets/<name>.json) or path: (name, model section, train section)."""
    path = name_or_path if name_or_path.endswith(".json") else os.path.join(ROOT, "presets", name_or_path + ".json")
    if not os.path.exists(path):
        raise ValueError(f"preset '{name_or_path}' not found ({path}); built-in presets: tiny, small, paper")
    raw = _read_json(path)
    return (path if name_or_path.endswith(".json") else name_or_path), raw.get("model", {}), raw.get("train", {})


def write_atomic(path, data):
    """Writes bytes through a temporary sibling and a rename (src/util/atomic.ts writeAtomic)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise ValueError(f"{path}: cannot write ({e.strerror})") from e


def to_json(value):
    """JSON as JavaScript's JSON.stringify writes it: a non-finite number (no validation yet: best loss infinity) is null."""
    def finite(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: finite(x) for k, x in v.items()}
        return [finite(x) for x in v] if isinstance(v, list) else v
    return json.dumps(finite(value), separators=(",", ":"))


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _git_revision():
    """motif's own checkout (not the working directory): revision and whether it has uncommitted changes."""
    try:
        git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()  # noqa: E731
        return {"revision": git("rev-parse", "HEAD"), "dirty": git("status", "--porcelain", "--untracked-files=no") != ""}
    except (OSError, subprocess.CalledProcessError):
        return None


def create_run_dir(out, data, preset, config_file, corpus):
    """A new run's folder and config.json from a preset (+ a JSON config of overrides), as run.ts startRun makes it."""
    if os.path.exists(os.path.join(out, CONFIG)):
        raise ValueError(f"{out}: already holds a run; continue it with --resume, or choose another --out")
    if os.path.isdir(out) and os.listdir(out):
        raise ValueError(f"{out}: exists and is not empty; choose a new --out folder")
    name, model, train = load_preset(preset)
    extra = _read_json(config_file) if config_file else {}
    if not isinstance(extra, dict) or any(k not in ("model", "train", "_comments") for k in extra):
        raise ValueError(f'{config_file}: a run config is an object with "model" and/or "train" sections')
    # The shards' tokenizer fixes the vocabulary and the pad id whatever the preset says.
    model = model_config({**model, **extra.get("model", {}), "vocabSize": corpus.vocab_size, "padId": corpus.pad_id})
    options = train_options([train, extra.get("train")])
    if options["seqLen"] > model["maxLen"]:
        raise ValueError(f"seqLen {options['seqLen']} exceeds the model's maxLen {model['maxLen']}; lower seqLen or raise maxLen")
    os.makedirs(out, exist_ok=True)
    ref = corpus.index["tokenizer"]
    candidates = [os.path.abspath(ref["path"]), os.path.join(os.path.abspath(data), ref["path"]), os.path.join(data, TOKENIZER)]
    source = next((p for p in candidates if os.path.isfile(p) and _sha256(p) == ref["sha256"]), None)
    if source:
        shutil.copyfile(source, os.path.join(out, TOKENIZER))
    created = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    config = {"format": "motif-run", "version": 1, "created": created, "git": _git_revision(), "data": os.path.abspath(data),
              "preset": name, "model": model, "train": options,
              "tokenizer": {"path": ref["path"], "sha256": ref["sha256"], "copy": TOKENIZER if source else None}}
    write_atomic(os.path.join(out, CONFIG), (json.dumps(config, indent=2) + "\n").encode())


def read_run_config(run_dir):
    """config.json with its data path resolved against the run folder (src/run/config.ts readRunConfig)."""
    path = os.path.join(run_dir, CONFIG)
    if not os.path.exists(path):
        raise ValueError(f"{run_dir}: not a motif run (no {CONFIG})")
    config = _read_json(path)
    if config.get("format") != "motif-run":
        raise ValueError(f"{path}: not a motif run config")
    config["data"] = os.path.normpath(os.path.join(run_dir, config["data"]))
    return config


def lock_dir(run_dir):
    """Takes <run>/.lock as src/util/dir-lock.ts does (exclusive create; a lock of a dead process on this host is
    taken over) until this process exits."""
    path = os.path.join(run_dir, LOCK_FILE)
    for attempt in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = _read_json(path)
            except ValueError:
                owner = None
            abandoned = owner is None or (owner.get("host") == socket.gethostname() and not _alive(owner.get("pid")))
            if not abandoned or attempt > 0:
                who = f"process {owner['pid']} on {owner['host']} (since {owner['since']})" if owner else "another process"
                raise ValueError(f"{run_dir}: in use by {who}; wait for it to end, or, if no such process is running, delete {path}")
            os.remove(path)
            continue
        since = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": since}) + "\n")
        break

    def release():
        try:
            if _read_json(path).get("pid") == os.getpid():
                os.remove(path)
        except (ValueError, OSError):
            pass
    atexit.register(release)


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except (ProcessLookupError, TypeError):
        return False


def remove_stale(folder):
    """Removes what interrupted commits left in `folder` (names holding '.tmp-'), as src/run/checkpoints.ts removeStale."""
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if ".tmp-" in name:
                p = os.path.join(folder, name)
                shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)


def commit_dir(final, write):
    """Creates the folder `final` atomically: `write` fills a temporary sibling, renamed into place; an existing one is kept."""
    if not os.path.exists(final):
        tmp = os.path.join(os.path.dirname(final), f".tmp-{os.path.basename(final)}-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        write(tmp)
        os.rename(tmp, final)
    return final


def snapshot_name(epoch):
    return f"epoch-{epoch:04d}"


class CheckpointStore:
    """checkpoints/ of a run: step-NNNNNNNN folders, best.json, rotation (src/run/checkpoints.ts)."""

    STEP_DIR = re.compile(r"^step-(\d{8,})$")

    def __init__(self, run_dir):
        self.dir = os.path.join(run_dir, CHECKPOINTS)

    def path(self, step):
        return os.path.join(self.dir, f"step-{step:08d}")

    def steps(self):
        if not os.path.isdir(self.dir):
            return []
        return sorted(int(m.group(1)) for m in map(self.STEP_DIR.match, os.listdir(self.dir)) if m)

    def latest(self):
        steps = self.steps()
        return self.path(steps[-1]) if steps else None

    def set_aside(self, step):
        to = self.path(step) + ".damaged"
        shutil.rmtree(to, ignore_errors=True)
        os.rename(self.path(step), to)
        return to

    def commit(self, step, write):
        os.makedirs(self.dir, exist_ok=True)
        return commit_dir(self.path(step), write)

    def set_best(self, step, val_loss):
        record = {"step": step, "checkpoint": os.path.basename(self.path(step)), "valLoss": val_loss}
        write_atomic(os.path.join(self.dir, "best.json"), (to_json(record) + "\n").encode())

    def best_step(self):
        file = os.path.join(self.dir, "best.json")
        if not os.path.exists(file):
            return None
        step = _read_json(file)["step"]
        return step if os.path.exists(self.path(step)) else None

    def rotate(self, keep):
        """Deletes all but the newest `keep` checkpoints, always sparing the best."""
        best, steps = self.best_step(), self.steps()
        for step in steps[:max(0, len(steps) - keep)]:
            if step != best:
                shutil.rmtree(self.path(step), ignore_errors=True)


class MetricsLog:
    """metrics.jsonl: one record per line; a checkpoint stores the byte length a resume cuts the file back to."""

    def __init__(self, run_dir):
        self.path = os.path.join(run_dir, METRICS)

    def bytes(self):
        return os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def truncate(self, size):
        if self.bytes() > size:
            os.truncate(self.path, size)

    def append(self, record):
        with open(self.path, "a") as f:
            f.write(to_json(record) + "\n")
