# npu_vec_engine (the VEC command engine with its memory ports) and
# npu_vec_check (the VEC command checker): Verilated on the `small` shape
# (Rows 4, Cols 5, BusBytes 16) with MaxLen 64, and the block test
# against the reference model. CTest prefix `vec_engine:`.
set(npu_vec_engine_params -GRows=4 -GCols=5 -GBusBytes=16 -GAspadAW=10 -GAccAW=8
    -GMaxLen=64 -GReqChannels=64)
npu_vec_verilate(vnpu_vec_engine TOP npu_vec_engine PARAMS ${npu_vec_engine_params})
npu_vec_verilate(vnpu_vec_check TOP npu_vec_check
  PARAMS -GCols=5 -GBusBytes=16 -GAspadWords=1024 -GAccRows=256 -GMaxLen=64 -GReqChannels=64)

add_executable(test_vec_engine test_vec_engine.cpp)
target_link_libraries(test_vec_engine PRIVATE vnpu_vec_engine vnpu_vec_check npu_ref npu_tb_common
  npu_tb_catch_main fmt::fmt)
target_compile_options(test_vec_engine PRIVATE -Wall -Wextra -ffp-contract=off -fno-fast-math)
catch_discover_tests(test_vec_engine TEST_SPEC "~[nightly]" TEST_PREFIX "vec_engine: ")
catch_discover_tests(test_vec_engine TEST_SPEC "[nightly]" TEST_PREFIX "vec_engine nightly: "
                     PROPERTIES LABELS nightly)
