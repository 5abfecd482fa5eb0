"""motif's transformer as a short PyTorch module, for golden fixtures, benchmarks and GPU scale-up.

Its state_dict names and shapes are exactly those of motif's native model (native/src/model.h), and
the safetensors helpers below read and write the files motif saves, so weights move both ways.
It is not a training script; the safetensors format is written by hand because PyPI is not
reachable here (format: 8-byte little-endian header length, JSON header, raw little-endian data).
"""
import json
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


class MotifModel(nn.Module):
    """Token + learned positional embedding -> causal nn.TransformerEncoder -> (final LN) -> head.

    cfg uses motif's config keys (presets/*.json "model"): vocabSize, maxLen, dModel, nLayers,
    nHeads, dFF, dropout, layout ('post-ln' | 'pre-ln'), activation ('relu' | 'gelu'), tiedHead,
    headBias, padId.
    """

    def __init__(self, cfg):
        super().__init__()
        V, C = cfg["vocabSize"], cfg["dModel"]
        pre = cfg["layout"] == "pre-ln"
        self.cfg = dict(cfg)
        self.tok = nn.Embedding(V, C)
        self.pos = nn.Embedding(cfg["maxLen"], C)
        self.drop = nn.Dropout(cfg["dropout"])
        layer = nn.TransformerEncoderLayer(C, cfg["nHeads"], cfg["dFF"], cfg["dropout"], activation=cfg["activation"],
                                           batch_first=True, norm_first=pre)
        self.encoder = nn.TransformerEncoder(layer, cfg["nLayers"], enable_nested_tensor=False)
        self.norm = nn.LayerNorm(C) if pre else None
        self.head = nn.Linear(C, V, bias=cfg["headBias"])
        if cfg["tiedHead"]:
            # N(0, 1) embeddings would give logits of scale sqrt(C) through a tied head.
            nn.init.normal_(self.tok.weight, std=C ** -0.5)
            self.head.weight = self.tok.weight

    def hidden(self, tokens, layers=None):
        """Last hidden state (B, T, C): output of the final block (after the final LN in pre-LN); with
        `layers` < the model's, the output of the first `layers` blocks (0: the embeddings), no final LN."""
        T = tokens.shape[1]
        x = self.drop(self.tok(tokens) + self.pos(torch.arange(T, device=tokens.device)))
        causal = torch.triu(torch.full((T, T), float("-inf"), dtype=x.dtype, device=x.device), 1)
        if layers is not None and layers < len(self.encoder.layers):
            for block in self.encoder.layers[:layers]:
                x = block(x, src_mask=causal)
            return x
        x = self.encoder(x, mask=causal)
        return self.norm(x) if self.norm is not None else x

    def forward(self, tokens):
        return self.head(self.hidden(tokens))

    def loss(self, tokens, logits=None):
        """Mean next-token cross-entropy; targets equal to padId are ignored."""
        if logits is None:
            logits = self(tokens)
        pad = self.cfg["padId"]
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1),
                               ignore_index=pad if pad >= 0 else -100)

    def tensors(self):
        """The state_dict as motif saves it: a tied head is stored once, as tok.weight."""
        sd = self.state_dict()
        if self.cfg["tiedHead"]:
            sd.pop("head.weight")
        return sd

    def load_tensors(self, tensors):
        sd = {k: v for k, v in tensors.items() if "." in k and not k.startswith("optimizer.")}
        if self.cfg["tiedHead"]:
            sd["head.weight"] = sd["tok.weight"]
        self.load_state_dict(sd)


_DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "I32": (torch.int32, 4), "I64": (torch.int64, 8)}


def save_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} (any float dtype is stored as F32) with optional string metadata."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().cpu().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-(8 + len(raw)) % 8)  # data starts 8-byte aligned, as the format recommends
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    """Returns ({name: tensor}, metadata dict)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    metadata = header.pop("__metadata__", {})
    base, out = 8 + n, {}
    for name, info in header.items():
        dtype, _ = _DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(blob[base + start:base + end]), dtype=dtype)
        out[name] = t.reshape(info["shape"])
    return out, metadata
