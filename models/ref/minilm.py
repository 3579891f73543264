"""all-MiniLM-L6-v2 sentence embeddings in numpy, from the published BERT math.

BERT (Devlin et al. 2019; Hugging Face `BertModel`) as configured by the
package's config.json, followed by the sentence-transformers modules.json
pipeline (Transformer -> Pooling(mean) -> Normalize):

    h0 = LayerNorm(word[id] + position[i] + token_type[0])        eps 1e-12
    per layer (post-norm, 6 layers, 12 heads of 32):
        a  = softmax(Q K^T / sqrt(32) + mask) V      mask: -inf on padding keys
        h  = LayerNorm(h + a W_o + b_o)
        h  = LayerNorm(h + GELU(h W_1 + b_1) W_2 + b_2)   GELU exact (erf)
    e = sum_i m_i h_i / sum_i m_i    (mean over the attention mask)
    e = e / max(||e||_2, 1e-12)      -> 384-d embedding

Tokenization: Hugging Face `tokenizers` on the package's tokenizer.json
([CLS] ... [SEP], uncased WordPiece), padding off, truncation at
sentence-transformers' max_seq_length 256.
"""
from __future__ import annotations

import json
import math
import os

import numpy as np

from . import files

_erf = np.frompyfunc(math.erf, 1, 1)


def gelu_erf(x: np.ndarray) -> np.ndarray:
    """GELU, exact form 0.5 x (1 + erf(x / sqrt 2)) (Hendrycks & Gimpel)."""
    return (0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))).astype(x.dtype)


def layer_norm(x, w, b, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def softmax(x, axis=-1):
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


class MiniLM:
    def __init__(self, dtype=np.float64, model_dir: str | None = None, max_len: int = 256):
        from tokenizers import Tokenizer

        self.dir = model_dir or files.minilm_dir()
        self.dtype = np.dtype(dtype)
        with open(os.path.join(self.dir, "config.json")) as f:
            cfg = json.load(f)
        self.d = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.layers = cfg["num_hidden_layers"]
        self.eps = cfg["layer_norm_eps"]
        assert cfg["hidden_act"] == "gelu" and cfg["position_embedding_type"] == "absolute"
        with open(os.path.join(self.dir, "1_Pooling", "config.json")) as f:
            pool = json.load(f)
        assert pool["pooling_mode_mean_tokens"] and not pool["pooling_mode_cls_token"]
        raw = files.read_safetensors(os.path.join(self.dir, "model.safetensors"))
        self.w = {k: v.astype(self.dtype) for k, v in raw.items() if v.dtype.kind == "f"}
        self.tok = Tokenizer.from_file(os.path.join(self.dir, "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(max_len)

    def tokenize(self, text: str) -> list[int]:
        return self.tok.encode(text).ids

    def _lin(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden state (batch, seq, d) for token ids (batch, seq), mask 1/0."""
        w = self.w
        B, T = ids.shape
        nh, hd = self.heads, self.d // self.heads
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][np.arange(T)][None]
             + w["embeddings.token_type_embeddings.weight"][0][None, None])
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        neg = np.where(mask[:, None, None, :] > 0, 0.0, -np.inf).astype(self.dtype)
        scale = self.dtype.type(1.0 / math.sqrt(hd))
        for l in range(self.layers):
            p = f"encoder.layer.{l}."
            def heads(t):
                return t.reshape(B, T, nh, hd).transpose(0, 2, 1, 3)
            q = heads(self._lin(x, p + "attention.self.query"))
            k = heads(self._lin(x, p + "attention.self.key"))
            v = heads(self._lin(x, p + "attention.self.value"))
            a = softmax(q @ k.transpose(0, 1, 3, 2) * scale + neg) @ v
            a = a.transpose(0, 2, 1, 3).reshape(B, T, self.d)
            x = layer_norm(x + self._lin(a, p + "attention.output.dense"),
                           w[p + "attention.output.LayerNorm.weight"],
                           w[p + "attention.output.LayerNorm.bias"], self.eps)
            f = gelu_erf(self._lin(x, p + "intermediate.dense"))
            x = layer_norm(x + self._lin(f, p + "output.dense"),
                           w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        return x

    def embed_ids(self, batch: list[list[int]]) -> np.ndarray:
        """Embeddings (n, 384) of token-id lists; padded into one batch with a mask."""
        T = max(len(s) for s in batch)
        ids = np.zeros((len(batch), T), dtype=np.int64)
        mask = np.zeros((len(batch), T), dtype=self.dtype)
        for i, s in enumerate(batch):
            ids[i, :len(s)] = s
            mask[i, :len(s)] = 1
        h = self.hidden(ids, mask)
        e = (h * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        return e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)

    def embed(self, texts: list[str], batch_size: int = 1) -> np.ndarray:
        """Embeddings (n, 384) of sentences; batch_size > 1 pads batches."""
        ids = [self.tokenize(t) for t in texts]
        out = [self.embed_ids(ids[i:i + batch_size]) for i in range(0, len(ids), batch_size)]
        return np.concatenate(out, axis=0)


def cosine_matrix(e: np.ndarray) -> np.ndarray:
    n = e / np.linalg.norm(e, axis=1, keepdims=True)
    return n @ n.T
