# Group V4: INT8 softmax (vec_softmax_i8) and integer LayerNorm/RMSNorm
# (vec_norm_i32), both row units built on int_div. Test models are small
# (Lanes = 3 catches packing bugs, MaxLen = 64); the bench uses Lanes = 4,
# MaxLen = 1024 for long rows.
npu_vec_verilate(v4_softmax_i8 TOP vec_softmax_i8 PARAMS -GLanes=3 -GMaxLen=64)
npu_vec_verilate(v4_norm_i32 TOP vec_norm_i32 PARAMS -GLanes=3 -GMaxLen=64
  EXTRA_SOURCES "${PROJECT_SOURCE_DIR}/rtl/common/npu_lzc.sv")

npu_vec_test(test_vec_softmax_i8 SOURCES test_vec_softmax_i8.cpp MODELS v4_softmax_i8)
npu_vec_test(test_vec_norm_i32 SOURCES test_vec_norm_i32.cpp MODELS v4_norm_i32)

# bench_vec_int_softmax_norm: full-rate long rows, prints throughput (not a ctest test).
npu_vec_verilate(v4_bench_softmax_i8 TOP vec_softmax_i8 PARAMS -GLanes=4 -GMaxLen=1024)
npu_vec_verilate(v4_bench_norm_i32 TOP vec_norm_i32 PARAMS -GLanes=4 -GMaxLen=1024
  EXTRA_SOURCES "${PROJECT_SOURCE_DIR}/rtl/common/npu_lzc.sv")
add_executable(bench_vec_int_softmax_norm bench_vec_int_softmax_norm.cpp)
target_link_libraries(bench_vec_int_softmax_norm PRIVATE v4_bench_softmax_i8 v4_bench_norm_i32
  npu_ref npu_tb_common Catch2::Catch2 fmt::fmt)
target_compile_options(bench_vec_int_softmax_norm PRIVATE -Wall -Wextra -ffp-contract=off -fno-fast-math)
