# BF16 LayerNorm / RMSNorm, element-wise add/mul and the rsqrt block
# (rtl/vec/vec_{rsqrt,eltwise_bf16,norm_bf16,layernorm_bf16,rmsnorm_bf16}.sv).
# Small test models: Lanes 3 (non-power-of-two) or 4, short MaxLen. The test
# sources hard-code these parameters (kLanes / kMaxLen constants).
npu_vec_verilate(v2_tb_vec_rsqrt TOP tb_vec_rsqrt
  EXTRA_SOURCES "${CMAKE_CURRENT_SOURCE_DIR}/tb_vec_rsqrt.sv")
npu_vec_verilate(v2_vec_eltwise_bf16 TOP vec_eltwise_bf16 PARAMS -GLanes=3)
npu_vec_verilate(v2_vec_layernorm_bf16 TOP vec_layernorm_bf16 PARAMS -GLanes=3 -GMaxLen=64)
npu_vec_verilate(v2_vec_rmsnorm_bf16 TOP vec_rmsnorm_bf16 PARAMS -GLanes=4 -GMaxLen=50)

npu_vec_test(test_vec_rsqrt SOURCES test_vec_rsqrt.cpp MODELS v2_tb_vec_rsqrt)
npu_vec_test(test_vec_eltwise_bf16 SOURCES test_vec_eltwise_bf16.cpp MODELS v2_vec_eltwise_bf16)
npu_vec_test(test_vec_norm_bf16 SOURCES test_vec_norm_bf16.cpp
  MODELS v2_vec_layernorm_bf16 v2_vec_rmsnorm_bf16)

# Throughput benchmark (not a test): ./bench_vec_bf16_norm_eltwise
add_executable(bench_vec_bf16_norm_eltwise bench_vec_bf16_norm_eltwise.cpp)
target_link_libraries(bench_vec_bf16_norm_eltwise PRIVATE v2_vec_eltwise_bf16 v2_vec_layernorm_bf16
  v2_vec_rmsnorm_bf16 npu_ref npu_tb_common fmt::fmt)
target_compile_options(bench_vec_bf16_norm_eltwise PRIVATE -Wall -Wextra)
