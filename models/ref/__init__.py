"""Independent float reference of the two real models (issue 10 item 5).

numpy implementations of all-MiniLM-L6-v2 (BERT encoder + mean pooling +
L2 normalisation) and SmolLM2-135M-Instruct (LLaMA decoder) written from the
published model math, over the same weight files the C++ loaders read.
Nothing here shares code with sw/: it is the float model the accelerator's
INT8/BF16 results are compared against.  See docs/models.md, "Float reference".
"""
