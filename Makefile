# Front door. CMake does the build; this file gives the usual targets.
#   make sim      build the Verilated model, run the default workload (a MiniLM
#                 embedding on `base`; WORKLOAD=gemm: the 256^3 GEMMs; MODEL=<name in
#                 models/> [TOKENS=T]: one compiled layer of that model)
#   make test     lint, synthesis and the default (fast) test suite
#   make formal   bounded proofs of the AXI4 bus rules (SymbiYosys; NPU_FORMAL_DEPTH=n)
#   make test-nightly   the exhaustive `nightly` suite
#   make coverage line/toggle coverage per unit from the npu_top and unit tests (lcov HTML)
#   make bench    throughput figures (GEMM utilization, vector elements/cycle, DMA efficiency)
#   make accuracy regenerate the accuracy table in docs/numerics.md
#   make regress  the regression list regress/$(LIST).yaml (LIST=smoke|nightly|full)
#   make waves TEST=<test> [SEED=n] [FROM=c TO=c]   rerun one test with waves, open them
CONFIG ?= base
BUILD  ?= build
WAVES  ?= 0
SEED   ?= 1
JOBS   ?= $(shell nproc)
FST    ?= $(BUILD)/waves/sim.fst
LIST   ?= smoke
REGRESS_ARGS ?=

SETUP_STAMP := $(BUILD)/.setup-stamp
CMAKE_STAMP := $(BUILD)/CMakeCache.txt

.PHONY: all setup build sim bench accuracy report test test-nightly regress lint synth formal waves coverage clean

all: build

$(SETUP_STAMP): scripts/setup.sh scripts/requirements.txt scripts/requirements-models.txt
	@bash scripts/setup.sh
	@mkdir -p $(BUILD) && touch $@

setup: $(SETUP_STAMP)

$(CMAKE_STAMP): $(SETUP_STAMP)
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: $(CMAKE_STAMP)
	cmake --build $(BUILD) -j $(JOBS)

SIM_BIN := $(BUILD)/sim/npu_sim_$(CONFIG)
# The default workload: a real all-MiniLM-L6-v2 sentence embedding on `base`
# (sentence SENTENCE of the eval set; `small` is too small for its rows of
# 384), GEMMs otherwise; MODEL=<name> runs one compiled layer of models/<name>.yaml.
WORKLOAD ?= $(if $(filter base,$(CONFIG)),minilm,gemm)
SENTENCE ?= 0

# The default workload through the whole accelerator. Each configuration's
# model is built on demand (npu_sim_base is not part of `make build`).
sim: $(CMAKE_STAMP)
	@case "$(CONFIG)" in small|base) ;; *) echo "make sim: no model for CONFIG=$(CONFIG) (have: small, base)"; exit 2;; esac
	@case "$(WORKLOAD)" in minilm|gemm) ;; *) echo "make sim: WORKLOAD=$(WORKLOAD) (have: minilm, gemm)"; exit 2;; esac
	cmake --build $(BUILD) -j $(JOBS) --target npu_sim_$(CONFIG)
	$(SIM_BIN) --config configs/$(CONFIG).yaml --seed $(SEED) \
	  $(if $(filter 1,$(WAVES)),--waves $(FST),) \
	  $(if $(MODEL),--model $(if $(filter %.yaml,$(MODEL)),$(MODEL),models/$(MODEL).yaml),$(if $(filter minilm,$(WORKLOAD)),--embed $(SENTENCE),)) \
	  $(if $(TOKENS),--tokens $(TOKENS),)

# Throughput figures: GEMM utilization with load/compute/store overlap on
# `base` (512^3, memory latency 100), DMA efficiency, every vector function,
# M=1 GEMMs in INT8 and BF16, GEMM and softmax overlap.
bench: build
	cmake --build $(BUILD) -j $(JOBS) --target npu_sim_base
	$(BUILD)/sim/npu_sim_base --config configs/base.yaml --seed $(SEED) --size 512 --latency 100
	cmake --build $(BUILD) -j $(JOBS) --target bench_vec
	cmake --build $(BUILD) -j $(JOBS) --target bench_dma
	cmake --build $(BUILD) -j $(JOBS) --target bench_top
	cmake --build $(BUILD) -j $(JOBS) --target bench_mac_array
	$(BUILD)/tb/bench_mac_array

# The benchmarks' counters as plots (scripts/report.py): GEMMs of 32..256, a MiniLM layer
# (BF16, INT8) and a SmolLM2 decode step on `base` -> $(BUILD)/report/ (report.html, PNGs).
report: build
	cmake --build $(BUILD) -j $(JOBS) --target bench_top_bin
	.venv/bin/python scripts/report.py run --build $(BUILD)

# Regenerates the accuracy table in docs/numerics.md.
accuracy: build
	bash scripts/accuracy.sh

# make waves: opens the trace of `make sim WAVES=1`; make waves TEST=<ctest
# name or regex> [SEED=n] [FROM=cycle] [TO=cycle]: reruns that one test with
# waves (only cycles [FROM, TO)) and opens them.
waves:
	@if [ -n "$(TEST)" ]; then \
	  bash scripts/waves.sh $(BUILD) "$(TEST)" "$(if $(filter command line,$(origin SEED)),$(SEED),)" "$(FROM)" "$(TO)"; \
	else \
	  test -f $(FST) || { echo "no $(FST): run 'make sim WAVES=1' first (or make waves TEST=...)"; exit 1; }; \
	  gtkwave $(FST) sim/waves/npu_top.gtkw; \
	fi

# Coverage of every unit from the `top:` tests and the unit tests, on models Verilated
# with --coverage in $(BUILD)-cov: lcov HTML and a per-unit table in $(BUILD)-cov/coverage/.
coverage: $(SETUP_STAMP)
	JOBS=$(JOBS) bash scripts/coverage.sh $(BUILD)-cov

lint: $(SETUP_STAMP)
	bash scripts/lint.sh

synth: $(SETUP_STAMP)
	bash scripts/synth.sh $(BUILD)/synth

formal: $(SETUP_STAMP)
	bash scripts/formal.sh $(BUILD)/formal

test: build lint synth
	ctest --test-dir $(BUILD) -LE nightly -j $(JOBS) --output-on-failure

test-nightly: build
	cmake --build $(BUILD) -j $(JOBS) --target npu_sim_base bench_top_bin npu_embed_rtl npu_generate_rtl
	ctest --test-dir $(BUILD) -L nightly -j $(JOBS) --output-on-failure

# Regression lists (regress/*.yaml): jobs in parallel, JUnit XML and an HTML
# summary in $(BUILD)/regress/$(LIST)/. REGRESS_ARGS e.g. "--launcher slurm".
regress: build
	@case "$(LIST)" in smoke) ;; *) cmake --build $(BUILD) -j $(JOBS) --target npu_sim_base;; esac
	.venv/bin/python scripts/regress.py $(LIST) -j $(JOBS) --build $(BUILD) $(REGRESS_ARGS)

clean:
	rm -rf $(BUILD)
