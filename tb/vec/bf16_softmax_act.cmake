# Group V1: BF16 exp/reciprocal users (vec_exp_neg_split, vec_recip,
# fp32_acc, vec_act_bf16 GELU/SiLU, vec_softmax_bf16). Small test shapes:
# Lanes = 3 (not a power of two) and MaxLen = 64 keep builds and runs short.
npu_vec_verilate(v1_exp_neg_split TOP vec_exp_neg_split PARAMS -GTagWidth=32)
npu_vec_verilate(v1_recip TOP vec_recip PARAMS -GTagWidth=32)
npu_vec_verilate(v1_recip_seed TOP vec_recip_seed)
npu_vec_verilate(v1_fp32_acc TOP fp32_acc)
npu_vec_verilate(v1_act_bf16 TOP vec_act_bf16 PARAMS -GLanes=3)
npu_vec_verilate(v1_softmax_bf16 TOP vec_softmax_bf16 PARAMS -GLanes=3 -GMaxLen=64)

npu_vec_test(test_vec_exp_recip SOURCES test_vec_exp_recip.cpp
  MODELS v1_exp_neg_split v1_recip v1_recip_seed v1_fp32_acc)
npu_vec_test(test_vec_act SOURCES test_vec_act.cpp MODELS v1_act_bf16)
npu_vec_test(test_vec_softmax SOURCES test_vec_softmax.cpp MODELS v1_softmax_bf16)

# Throughput benchmark (not a test): streams long rows with no back-pressure.
add_executable(bench_vec_bf16_softmax_act bench_vec_bf16_softmax_act.cpp)
target_link_libraries(bench_vec_bf16_softmax_act PRIVATE v1_act_bf16 v1_softmax_bf16 npu_ref
  npu_tb_common fmt::fmt)
target_compile_options(bench_vec_bf16_softmax_act PRIVATE -Wall -Wextra -ffp-contract=off -fno-fast-math)
