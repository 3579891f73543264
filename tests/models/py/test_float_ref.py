#!/usr/bin/env python3
"""Tests of the numpy float reference of the real models (models/ref/).

  test_float_ref.py minilm     all-MiniLM-L6-v2 (CTest models.float_ref_minilm)
  test_float_ref.py smollm2    SmolLM2-135M-Instruct (CTest models.float_ref_smollm2)

Plain Python with asserts (exit status 1 on the first failure). The numbers
asserted come from published upstream outputs, not from this code: the
sentence-transformers documentation prints the cosines all-MiniLM-L6-v2
gives for its quick-start and semantic-search examples (reproduced here to
the printed 4 decimals). If torch + sentence-transformers / transformers are
importable, the reference is also cross-checked against them; torch is not
part of the default set-up (several GB), so normally that part is skipped.
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from models.ref import files, text  # noqa: E402


def check(cond, msg):
    if not cond:
        print("FAIL:", msg)
        sys.exit(1)
    print("ok:", msg)


def torch_available(*mods):
    try:
        import torch  # noqa: F401
        for m in mods:
            __import__(m)
        return True
    except Exception:
        return False


# ----------------------------------------------------------------- MiniLM
# sentence-transformers docs: README / docs/index.rst quick start
# (model.similarity on three sentences) and
# examples/.../semantic-search/README.md (semantic_search.py output), both
# with all-MiniLM-L6-v2. Printed to 4 decimals.
QUICKSTART = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
QUICKSTART_COS = {(0, 1): 0.6660, (0, 2): 0.1046, (1, 2): 0.1411}
SEARCH_CORPUS = ["A man is eating food.", "A man is eating a piece of bread.",
                 "A man is riding a horse.", "A man is riding a white horse on an enclosed ground.",
                 "A cheetah is running behind its prey.", "A monkey is playing drums.",
                 "A woman is playing violin."]
SEARCH_SCORES = {  # query -> {corpus index: score}
    "A man is eating pasta.": {0: 0.7035, 1: 0.5272, 2: 0.1889, 3: 0.1047, 4: 0.0980},
    "Someone in a gorilla costume is playing a set of drums.":
        {5: 0.6433, 6: 0.2564, 2: 0.1389, 3: 0.1191, 4: 0.1080},
    "A cheetah chases prey on across a field.": {4: 0.8253, 0: 0.1399, 5: 0.1292, 3: 0.1097, 2: 0.0650},
}
PUBLISHED_TOL = 1.5e-4   # 4-decimal rounding (5e-5) + float32 PyTorch vs float64 numpy


def test_minilm():
    from models.ref.minilm import MiniLM, cosine_matrix

    t0 = time.time()
    m = MiniLM(np.float64)
    m32 = MiniLM(np.float32)
    print(f"loaded MiniLM float64 + float32 in {time.time() - t0:.2f} s")

    ids = m.tokenize("A man is eating food.")
    check(ids[0] == 101 and ids[-1] == 102 and len(ids) == 8,
          f"tokenization [CLS] ... [SEP]: {ids}")

    # 1. published quick-start similarity matrix
    e = m.embed(QUICKSTART)
    C = cosine_matrix(e)
    for (i, j), want in QUICKSTART_COS.items():
        check(abs(C[i, j] - want) <= PUBLISHED_TOL,
              f"quick-start cos[{i},{j}] = {C[i, j]:.5f}, published {want:.4f}")

    # 2. published semantic-search scores (15 query/corpus pairs)
    ec = m.embed(SEARCH_CORPUS)
    worst = 0.0
    for q, scores in SEARCH_SCORES.items():
        s = ec @ m.embed([q])[0]
        for j, want in scores.items():
            worst = max(worst, abs(s[j] - want))
        top = [int(i) for i in np.argsort(-s)[:len(scores)]]
        check(top == list(scores), f"semantic-search ranking for '{q}': {top}")
    check(worst <= PUBLISHED_TOL, f"semantic-search scores within {worst:.2e} of the published ones")

    # 3. unit norm; paraphrase >> unrelated
    pair = m.embed(["A man is eating food.", "A man is eating a piece of bread.",
                    "The girl is carrying a baby."])
    norms = np.linalg.norm(pair, axis=1)
    check(np.all(np.abs(norms - 1) < 1e-12), f"embedding norms {norms}")
    para, unrel = float(pair[0] @ pair[1]), float(pair[0] @ pair[2])
    check(para > 0.7 and unrel < 0.1 and para - unrel > 0.6,
          f"paraphrase cos {para:.4f} (> 0.7) vs unrelated {unrel:.4f} (< 0.1)")

    # 4. padding mask: a padded batch gives the same embeddings as one by one
    sents, pairs = text.load_eval()
    one = m.embed(sents)
    batched = m.embed(sents, batch_size=len(sents))
    d = np.abs(one - batched).max()
    check(d < 1e-12, f"padded batch of {len(sents)} == unpadded, max |diff| {d:.1e}")

    # 5. float32 vs float64
    e32 = m32.embed(sents)
    d32 = np.abs(e32.astype(np.float64) - one).max()
    cos32 = np.min(np.sum(e32 * one, axis=1))
    check(d32 < 1e-5, f"float32 vs float64: max |diff| {d32:.2e}, min cos {cos32:.9f}")

    # 6. evaluation set summary (models/text/eval.txt)
    C = cosine_matrix(one)
    n = len(sents)
    iu = np.triu_indices(n, 1)
    np.fill_diagonal(C, -np.inf)
    pc = np.array([C[a, b] for a, b in pairs])
    srt = np.sort(C, axis=1)
    margin = srt[:, -1] - srt[:, -2]
    mutual = all(C[a].argmax() == b and C[b].argmax() == a for a, b in pairs)
    print(f"eval set: {n} sentences, {len(pairs)} paraphrase pairs")
    print(f"  mean pairwise cosine {C[iu].mean():.4f}; paraphrase pairs mean {pc.mean():.4f}, "
          f"min {pc.min():.4f}")
    print(f"  nearest-neighbour margin (best - second best): pair sentences min "
          f"{min(margin[i] for p in pairs for i in p):.4f}, single sentences min "
          f"{min(margin[i] for i in range(2 * len(pairs), n)):.4f}")
    check(mutual, "every paraphrase pair are each other's nearest neighbours")
    check(pc.min() > 0.55 and C[iu].mean() < 0.15, "pairs close, set otherwise spread")

    # 7. optional cross-check against sentence-transformers (PyTorch)
    if torch_available("sentence_transformers"):
        from sentence_transformers import SentenceTransformer
        st = SentenceTransformer(files.minilm_dir(), device="cpu")
        ref = st.encode(sents, convert_to_numpy=True, normalize_embeddings=False).astype(np.float64)
        dt = np.abs(ref - one).max()
        check(dt < 1e-5, f"sentence-transformers cross-check: max |diff| {dt:.2e}")
    else:
        print("torch not installed: cross-check skipped")


# ---------------------------------------------------------------- SmolLM2
def test_smollm2():
    from models.ref.smollm2 import SmolLM2, chat_prompt

    t0 = time.time()
    w = files.read_gguf(files.smollm2_gguf())
    t1 = time.time()
    m = SmolLM2(np.float64, weights=w)
    m32 = SmolLM2(np.float32, weights=w)
    print(f"dequantized GGUF in {t1 - t0:.2f} s, built float64 + float32 in {time.time() - t1:.2f} s")

    # 1. plain factual prompt
    ids = m.encode("The capital of France is")
    check(ids == [504, 3575, 282, 4649, 314], f"prompt tokens {ids}")
    t = time.time()
    out, rows = m.generate(ids, 8, stop_at_eos=False)
    dt = time.time() - t
    txt = m.decode(out)
    check(txt.startswith(" Paris"), f"'The capital of France is' -> {txt!r} ({dt:.2f} s, float64)")
    R = np.stack(rows)
    check(np.all(np.isfinite(R)), f"logits finite; top-1 logits {np.round(R.max(axis=1), 3)}")

    # 2. KV cache == recomputing the whole sequence (causal mask, positions)
    full = m.forward(ids + out[:-1])
    d = np.abs(full[len(ids) - 1:] - R).max()
    check(d < 1e-9, f"KV-cache decoding == full recompute, max |diff| {d:.1e}")

    # 3. float32 agrees (teacher-forced on the float64 tokens)
    f32 = m32.forward(ids + out[:-1])[len(ids) - 1:]
    d = np.abs(f32 - R).max()
    check(np.array_equal(f32.argmax(axis=1), R.argmax(axis=1)) and d < 1e-2,
          f"float32 top-1 == float64 on all 8 steps, max |logit diff| {d:.1e}")

    # 4. chat template
    p = m.encode(chat_prompt("What is the capital of France?"))
    t = time.time()
    out, rows = m.generate(p, 16)
    dt = time.time() - t
    txt = m.decode(out)
    check("Paris" in txt and out[-1] == m.eos,
          f"chat 'What is the capital of France?' -> {txt!r} ({len(p)}+{len(out)} tokens, {dt:.2f} s)")
    out32, _ = m32.generate(p, 16)
    check(out32 == out, f"float32 greedy chat tokens == float64 (first-step top-1 margin "
                        f"{np.diff(np.sort(rows[0])[-2:])[0]:.3f})")

    # 5. RoPE convention: GGUF (permuted) weights + adjacent pairs ==
    #    HF (un-permuted) weights + rotate_half; and the pairing matters.
    mh = SmolLM2(np.float64, weights=w, rope="half")
    a, b = m.forward(ids), mh.forward(ids)
    d = np.abs(a - b).max()
    check(d < 1e-9, f"adjacent pairs on GGUF weights == rotate_half on un-permuted, max |diff| {d:.1e}")
    mh.L, mh.rope = m.L, "half"          # wrong: rotate_half on the GGUF layout
    d = np.abs(mh.forward(ids) - a).max()
    check(d > 1.0, f"rotate_half on GGUF-permuted weights differs (max |logit diff| {d:.2f})")

    # 6. optional cross-check against transformers (PyTorch) on the same GGUF
    if torch_available("transformers"):
        import torch
        from transformers import AutoModelForCausalLM
        path = files.smollm2_gguf()
        hf = AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path),
                                                  torch_dtype=torch.float32)
        with torch.no_grad():
            ref = hf(torch.tensor([ids])).logits[0].double().numpy()
        d = np.abs(ref - a).max()
        check(d < 1e-2 and np.array_equal(ref.argmax(1), a.argmax(1)),
              f"transformers cross-check: max |logit diff| {d:.2e}")
    else:
        print("torch not installed: cross-check skipped")


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    t = time.time()
    if which in ("minilm", "all"):
        test_minilm()
    if which in ("smollm2", "all"):
        test_smollm2()
    if which not in ("minilm", "smollm2", "all"):
        print("usage: test_float_ref.py [minilm|smollm2|all]")
        sys.exit(2)
    print(f"PASS ({time.time() - t:.1f} s)")
