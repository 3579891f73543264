# INT8 element-wise vector units (vec_requant, vec_eltwise_i8, vec_gelu_i8,
# vec_silu_i8): small Verilated test models (Lanes = 3 catches packing bugs),
# the bit-exact Catch2 tests, and the throughput bench (not a ctest test).
npu_vec_verilate(vvec_requant TOP vec_requant PARAMS -GLanes=3 -GMaxChannels=12)
npu_vec_verilate(vvec_eltwise_i8 TOP vec_eltwise_i8 PARAMS -GLanes=3)
npu_vec_verilate(vvec_gelu_i8 TOP vec_gelu_i8 PARAMS -GLanes=3)
npu_vec_verilate(vvec_silu_i8 TOP vec_silu_i8 PARAMS -GLanes=3)

set(npu_vec_int8_models vvec_requant vvec_eltwise_i8 vvec_gelu_i8 vvec_silu_i8)

# The unit tests are compiled once and linked into the test and the bench.
add_library(vec_int8_eltwise_tests OBJECT
  test_vec_requant.cpp test_vec_eltwise_i8.cpp test_vec_gelu_i8.cpp test_vec_silu_i8.cpp)
target_link_libraries(vec_int8_eltwise_tests PRIVATE ${npu_vec_int8_models} npu_ref npu_tb_common
  Catch2::Catch2 fmt::fmt)
target_compile_options(vec_int8_eltwise_tests PRIVATE -Wall -Wextra -ffp-contract=off -fno-fast-math)

# Not npu_vec_test(): the hidden [bench] cases must stay out of ctest as well.
add_executable(test_vec_int8_eltwise $<TARGET_OBJECTS:vec_int8_eltwise_tests>)
target_link_libraries(test_vec_int8_eltwise PRIVATE ${npu_vec_int8_models} npu_ref npu_tb_common
  npu_tb_catch_main fmt::fmt)
catch_discover_tests(test_vec_int8_eltwise TEST_SPEC "~[nightly]~[bench]" TEST_PREFIX "vec: ")

# bench_vec_int8_eltwise: runs the hidden [bench] cases (long rows, no back-pressure).
add_executable(bench_vec_int8_eltwise bench_vec_int8_eltwise.cpp $<TARGET_OBJECTS:vec_int8_eltwise_tests>)
target_link_libraries(bench_vec_int8_eltwise PRIVATE ${npu_vec_int8_models} npu_ref npu_tb_common
  Catch2::Catch2 fmt::fmt)
