"""SmolLM2-135M-Instruct in numpy, from the published LLaMA math.

LLaMA decoder (Touvron et al. 2023; Hugging Face `LlamaForCausalLM`) with the
hyper-parameters from the GGUF metadata (30 layers, d 576, 9 query heads on 3
KV heads of 64, SwiGLU FFN 1536, RoPE theta 100000, RMSNorm eps 1e-5, output
head tied to the token embedding):

    x = E[token]
    per layer (pre-norm):
        h = RMSNorm(x) * g_attn
        q, k, v = h Wq^T, h Wk^T, h Wv^T           (9, 3, 3 heads of 64)
        q, k = RoPE(q, pos), RoPE(k, pos)
        a = softmax(q k^T / 8 + causal) v           (query head j uses KV head j // 3)
        x = x + a Wo^T
        h = RMSNorm(x) * g_ffn
        x = x + (silu(h Wg^T) * (h Wu^T)) Wd^T
    logits = (RMSNorm(x) * g_out) E^T

Weights: the GGUF file's tensors dequantized by llama.cpp's `gguf` package
(Q4_1 attention/FFN, Q8_0 embedding, F32 norms) and computed in float64 or
float32 - the reference is the float model *of these quantized weights*.

RoPE convention.  llama.cpp's converter (convert_hf_to_gguf.py, LlamaModel)
stores attn_q / attn_k with rows permuted per head,
    W.reshape(n_head, 2, head_dim/2, n_in).swapaxes(1, 2),
so GGUF row 2i of a head is HF row i and GGUF row 2i+1 is HF row i + 32.
llama.cpp runs LLaMA with rope type NORM, which rotates adjacent pairs
(x[2i], x[2i+1]) by pos * theta^(-2i/64).  On the un-permuted (HF) weights
the same rotation is HF's rotate_half: pairs (x[i], x[i+32]).  The two are
the same function of the weights; this module uses the GGUF weights as
stored with adjacent pairs (rope="adjacent", the default), and can
un-permute and use rotate_half instead (rope="half") - the test checks the
logits agree.  V and O are not permuted; q.k is invariant under the shared
permutation of q and k, so attention needs no other change.
"""
from __future__ import annotations

import numpy as np

from . import files

# SmolLM2's published tokenizer.json (HuggingFaceTB/SmolLM2-135M-Instruct):
# no normalizer; pre-tokenizer Sequence[Digits(individual_digits=true),
# ByteLevel(add_prefix_space=false, trim_offsets=true, use_regex=true)];
# BPE without unk token / byte fallback; ByteLevel decoder; the 17 control
# tokens (ids 0..16, GGUF token_type 3) are special added tokens.


def build_tokenizer(meta: dict):
    """Hugging Face `tokenizers` BPE from the GGUF vocabulary and merges."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    tokens = list(meta["tokenizer.ggml.tokens"])
    types = list(meta["tokenizer.ggml.token_type"])
    merges = [tuple(m.split(" ")) for m in meta["tokenizer.ggml.merges"]]
    vocab = {t: i for i, t in enumerate(tokens)}
    tk = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False))
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    tk.decoder = decoders.ByteLevel()
    tk.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False)
                           for i, t in enumerate(types) if t == 3])
    return tk


def chat_prompt(user: str, system: str | None = None) -> str:
    """SmolLM2's chat template (GGUF tokenizer.chat_template) for one user turn
    with add_generation_prompt; the template's default system message when
    system is None."""
    if system is None:
        system = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
    return (f"<|im_start|>system\n{system}<|im_end|>\n"
            f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")


def rms_norm(x, g, eps):
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * g


def unpermute_qk(w: np.ndarray, n_head: int) -> np.ndarray:
    """Inverse of convert_hf_to_gguf's LlamaModel.permute: GGUF rows -> HF rows."""
    n_out, n_in = w.shape
    return w.reshape(n_head, n_out // n_head // 2, 2, n_in).swapaxes(1, 2).reshape(n_out, n_in)


class SmolLM2:
    def __init__(self, dtype=np.float64, path: str | None = None, rope: str = "adjacent",
                 weights=None):
        """weights: the (metadata, tensors) of files.read_gguf(path), to share one
        dequantization (~6 s) between several instances."""
        self.path = path or files.smollm2_gguf()
        self.dtype = np.dtype(dtype)
        if rope not in ("adjacent", "half"):
            raise ValueError("rope must be 'adjacent' (GGUF layout) or 'half' (HF layout)")
        self.rope = rope
        meta, t = weights if weights is not None else files.read_gguf(self.path)
        assert meta["general.architecture"] == "llama"
        a = "llama."
        self.n_layer = int(meta[a + "block_count"])
        self.d = int(meta[a + "embedding_length"])
        self.n_head = int(meta[a + "attention.head_count"])
        self.n_kv = int(meta[a + "attention.head_count_kv"])
        self.hd = self.d // self.n_head
        self.ffn = int(meta[a + "feed_forward_length"])
        self.theta = float(meta[a + "rope.freq_base"])
        self.eps = float(meta[a + "attention.layer_norm_rms_epsilon"])
        assert int(meta[a + "rope.dimension_count"]) == self.hd
        self.eos = int(meta["tokenizer.ggml.eos_token_id"])
        self.tok = build_tokenizer(meta)
        dt = self.dtype
        self.emb = t["token_embd.weight"].astype(dt)          # (vocab, d), tied head
        self.out_norm = t["output_norm.weight"].astype(dt)
        self.head = t["output.weight"].astype(dt) if "output.weight" in t else self.emb
        self.L = []
        for i in range(self.n_layer):
            p = f"blk.{i}."
            wq, wk = t[p + "attn_q.weight"], t[p + "attn_k.weight"]
            if rope == "half":
                wq, wk = unpermute_qk(wq, self.n_head), unpermute_qk(wk, self.n_kv)
            self.L.append({
                "attn_norm": t[p + "attn_norm.weight"].astype(dt),
                "wqkv": np.concatenate([wq, wk, t[p + "attn_v.weight"]], axis=0).astype(dt),
                "wo": t[p + "attn_output.weight"].astype(dt),
                "ffn_norm": t[p + "ffn_norm.weight"].astype(dt),
                "wgu": np.concatenate([t[p + "ffn_gate.weight"], t[p + "ffn_up.weight"]], axis=0).astype(dt),
                "wd": t[p + "ffn_down.weight"].astype(dt),
            })
        # RoPE frequencies theta^(-2i/hd), i = 0..hd/2-1 (computed in float64)
        self.inv_freq = self.theta ** (-np.arange(0, self.hd, 2, dtype=np.float64) / self.hd)

    # -- pieces ------------------------------------------------------------
    def _rope(self, x, pos):
        """x: (T, heads, hd); pos: (T,) absolute positions."""
        ang = pos[:, None].astype(np.float64) * self.inv_freq[None, :]       # (T, hd/2)
        c = np.cos(ang).astype(self.dtype)[:, None, :]
        s = np.sin(ang).astype(self.dtype)[:, None, :]
        out = np.empty_like(x)
        if self.rope == "adjacent":   # llama.cpp rope NORM on GGUF-permuted weights
            x0, x1 = x[..., 0::2], x[..., 1::2]
            out[..., 0::2] = x0 * c - x1 * s
            out[..., 1::2] = x0 * s + x1 * c
        else:                         # HF rotate_half on un-permuted weights
            h = self.hd // 2
            x0, x1 = x[..., :h], x[..., h:]
            out[..., :h] = x0 * c - x1 * s
            out[..., h:] = x0 * s + x1 * c
        return out

    def new_cache(self):
        return {"k": [np.zeros((0, self.n_kv, self.hd), self.dtype) for _ in range(self.n_layer)],
                "v": [np.zeros((0, self.n_kv, self.hd), self.dtype) for _ in range(self.n_layer)],
                "pos": 0}

    def forward(self, ids, cache=None) -> np.ndarray:
        """Logits (T, vocab) for tokens ids at positions cache['pos']...; updates cache."""
        if cache is None:
            cache = self.new_cache()
        ids = np.asarray(ids, dtype=np.int64)
        T, P = len(ids), cache["pos"]
        H, KV, hd, d = self.n_head, self.n_kv, self.hd, self.d
        pos = np.arange(P, P + T)
        x = self.emb[ids]
        # causal mask over [cache ; new]: query t sees keys 0..P+t
        mask = np.where(np.arange(P + T)[None, :] <= pos[:, None], 0.0, -np.inf).astype(self.dtype)
        scale = self.dtype.type(1.0 / np.sqrt(hd))
        g = H // KV
        for i, Ly in enumerate(self.L):
            h = rms_norm(x, Ly["attn_norm"], self.eps)
            qkv = h @ Ly["wqkv"].T
            q = self._rope(qkv[:, :d].reshape(T, H, hd), pos)
            k = self._rope(qkv[:, d:d + KV * hd].reshape(T, KV, hd), pos)
            v = qkv[:, d + KV * hd:].reshape(T, KV, hd)
            K = cache["k"][i] = np.concatenate([cache["k"][i], k], axis=0)
            V = cache["v"][i] = np.concatenate([cache["v"][i], v], axis=0)
            # GQA: query head j uses KV head j // g  (q: (KV, g, T, hd))
            qh = q.reshape(T, KV, g, hd).transpose(1, 2, 0, 3)
            s = qh @ K.transpose(1, 2, 0)[:, None] * scale + mask           # (KV, g, T, S)
            s = s - s.max(axis=-1, keepdims=True)
            p = np.exp(s)
            p /= p.sum(axis=-1, keepdims=True)
            a = (p @ V.transpose(1, 0, 2)[:, None])                          # (KV, g, T, hd)
            a = a.transpose(2, 0, 1, 3).reshape(T, d)
            x = x + a @ Ly["wo"].T
            h = rms_norm(x, Ly["ffn_norm"], self.eps)
            gu = h @ Ly["wgu"].T
            gt, up = gu[:, :self.ffn], gu[:, self.ffn:]
            x = x + (gt / (1.0 + np.exp(-gt)) * up) @ Ly["wd"].T
        cache["pos"] = P + T
        return rms_norm(x, self.out_norm, self.eps) @ self.head.T

    # -- use ---------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text, add_special_tokens=False).ids

    def decode(self, ids) -> str:
        return self.tok.decode(list(ids), skip_special_tokens=False)

    def generate(self, prompt_ids, n: int, stop_at_eos: bool = True, on_token=None):
        """Greedy decoding with a KV cache. Returns (new token ids, logits list):
        logits[j] is the (vocab,) row that chose new token j."""
        cache = self.new_cache()
        logits = self.forward(prompt_ids, cache)[-1]
        out, rows = [], []
        for _ in range(n):
            nxt = int(np.argmax(logits))
            out.append(nxt)
            rows.append(logits)
            if on_token:
                on_token(nxt)
            if stop_at_eos and nxt == self.eos:
                break
            logits = self.forward([nxt], cache)[-1]
        return out, rows
