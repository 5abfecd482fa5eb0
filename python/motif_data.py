"""motif's token shards and batching rules in Python, for python/train_torch.py.

Reads the shard folders `motif tokenize` writes (src/data/shards.ts owns the format: index.json plus raw
little-endian id arrays, mapped here with numpy.memmap, no conversion step) and draws exactly the windows
motif's trainer draws (src/train/batches.ts with the generator of src/util/rng.ts): equal seeds give equal
streams in both languages, so a run moves between the native and the PyTorch engine mid-way.
Not a general data loader, and no tokenizer: pieces arrive tokenized.
"""
import bisect
import json
import os

import numpy as np

NO_SPLIT = "all"  # src/data/shards.ts NO_SPLIT: pieces of datasets without splits
# Special ids of indexes written before they recorded them: the tokenizer's fixed ids (src/train/corpus.ts).
LEGACY_SPECIAL_IDS = {"pad": 0, "bos": 1, "eos": 2}
_DTYPES = {"uint16": "<u2", "int32": "<i4"}
_M32 = 0xFFFFFFFF


def split_of(piece):
    """The split of a piece: its own, or for pieces without one the stable 80/10/10 draw of src/train/corpus.ts."""
    if piece["split"] != NO_SPLIT:
        return piece["split"]
    h = 0x811C9DC5  # FNV-1a over the id's UTF-16 code units, as JavaScript's charCodeAt sees them
    units = piece["id"].encode("utf-16-le")
    for i in range(0, len(units), 2):
        h = ((h ^ (units[i] | units[i + 1] << 8)) * 0x01000193) & _M32
    bucket = h % 10
    return "validation" if bucket == 0 else "test" if bucket == 1 else "train"


class Corpus:
    """An opened, complete shard folder: its index, framing ids, and the pieces of each split as memmap views."""

    def __init__(self, path):
        self.dir = path
        index_path = os.path.join(path, "index.json")
        if not os.path.exists(index_path):
            raise ValueError(f"{path}: no index.json (not a motif shard folder; make one with motif tokenize)")
        with open(index_path) as f:
            self.index = json.load(f)
        if self.index.get("format") != "motif-shards":
            raise ValueError(f"{index_path}: not a motif shard index")
        if not self.index["complete"]:
            raise ValueError(f"{path}: the token shards are incomplete (tokenizing was interrupted); finish them with motif tokenize --resume")
        special = self.index.get("specialIds") or {}
        self.pad_id, self.bos_id, self.eos_id = (special.get(r, LEGACY_SPECIAL_IDS[r]) for r in ("pad", "bos", "eos"))
        self.vocab_size = self.index["vocabSize"]
        self._maps = {}

    def _shard(self, name):
        ids = self._maps.get(name)
        if ids is None:
            entry = next((s for s in self.index["shards"] if s["file"] == name), None)
            if entry is None:
                raise ValueError(f"{self.dir}: shard {name} is not in index.json")
            path = os.path.join(self.dir, name)
            dtype = np.dtype(_DTYPES[self.index["dtype"]])
            size = os.path.getsize(path)
            if size != entry["tokens"] * dtype.itemsize:
                raise ValueError(f"{path}: {size} bytes, expected {entry['tokens'] * dtype.itemsize} ({entry['tokens']} {self.index['dtype']} tokens)")
            ids = np.memmap(path, dtype=dtype, mode="r") if size else np.zeros(0, dtype)
            self._maps[name] = ids
        return ids

    def split(self, name):
        """Ids of every piece of split `name` (`all`: every piece), in index order, as views into the shards."""
        # A held-out split holds out works: train pieces of a work with pieces in another split are left out
        # (src/train/corpus.ts, the same rule).
        held_out = {p.get("piece") for p in self.index["pieces"] if split_of(p) != "train" and p.get("piece")}
        pieces = [p for p in self.index["pieces"] if name == NO_SPLIT or (split_of(p) == name and not (name == "train" and p.get("piece") in held_out))]
        if not pieces:
            present = sorted({split_of(p) for p in self.index["pieces"]})
            raise ValueError(f'{self.dir}: no pieces in split "{name}" (splits present: {", ".join(present) or "none"})')
        return [self._shard(p["shard"])[p["offset"]:p["offset"] + p["length"]] for p in pieces], pieces


class Rng:
    """xoshiro128** seeded through splitmix32: src/util/rng.ts word for word, state included."""

    def __init__(self, seed):
        x, s = seed & _M32, []
        for _ in range(4):
            x = (x + 0x9E3779B9) & _M32
            z = ((x ^ (x >> 16)) * 0x85EBCA6B) & _M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & _M32
            s.append(z ^ (z >> 16))
        self.s = s

    @property
    def state(self):
        return list(self.s)

    @state.setter
    def state(self, v):
        if len(v) != 4 or not any(v):
            raise ValueError("rng: a state is four uint32 words, not all zero")
        self.s = [w & _M32 for w in v]

    def next_u32(self):
        s = self.s
        result = (_rotl((s[1] * 5) & _M32, 7) * 9) & _M32
        t = (s[1] << 9) & _M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 11)
        return result

    def next_int(self, n):
        """Uniform integer in [0, n) from a 53-bit float, as Rng.nextInt (the same double arithmetic)."""
        hi, lo = self.next_u32() >> 5, self.next_u32() >> 6
        return int((hi * 67108864 + lo) / 9007199254740992 * n)


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & _M32


def fill_window(out, ids, start, framing):
    """out[:] = framed tokens [start, start + len(out)) of a piece framed as [bos, ids..., eos], pad past its end."""
    bos, eos, pad = framing
    width, n = len(out), len(ids)
    out[:] = pad
    end = min(start + width, n + 2)  # framed positions [start, end) exist
    lo, hi = max(start, 1), min(end, n + 1)  # framed positions holding ids[i - 1]
    if hi > lo:
        out[lo - start:hi - start] = ids[lo - 1:hi - 1]
    if start == 0:
        out[0] = bos
    if start <= n + 1 < end:
        out[n + 1 - start] = eos


class TrainWindows:
    """Random training windows as src/train/batches.ts TrainWindows: a (piece, start) drawn uniformly among
    the starts that keep the window inside its piece (start 0, padded, for a shorter piece)."""

    def __init__(self, pieces, framing, width, seed):
        if not pieces:
            raise ValueError("batches: the train split has no pieces")
        self.pieces, self.framing, self.width = pieces, framing, width
        self.tokens = sum(len(p) + 2 for p in pieces)
        self.cum_starts = [0]
        for p in pieces:
            self.cum_starts.append(self.cum_starts[-1] + max(1, len(p) + 2 - width + 1))
        self.rng = Rng(seed)

    def steps_per_epoch(self, batch):
        """Optimizer steps per epoch at `batch` windows per step: the train tokens once."""
        windows = -(-self.tokens // self.width)
        return -(-windows // batch)

    def draw(self):
        k = self.rng.next_int(self.cum_starts[-1])
        piece = bisect.bisect_right(self.cum_starts, k) - 1
        return piece, k - self.cum_starts[piece]

    def fill(self, out, draws):
        """Writes the windows `draws` [(piece, start)] into the rows of out (len(draws), width)."""
        for row, (piece, start) in zip(out, draws):
            fill_window(row, self.pieces[piece], start, self.framing)


def eval_windows(pieces, width):
    """Windows covering a split exactly once (src/train/batches.ts evalWindows): starts every width - 1 tokens."""
    return [(p, start) for p, ids in enumerate(pieces) for start in range(0, len(ids) + 1, width - 1)]
