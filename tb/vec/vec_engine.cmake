# npu_vec_engine (the VEC command engine with its memory ports) and
# npu_vec_check (the VEC command checker), Verilated at the `small` memory
# shape (Cols 5, BusBytes 16, MaxLen 64) with 1, 4 and 16 lanes, and the
# block test against the reference model (test_vec_engine.cpp, one
# executable per lane count). CTest prefix `vec_engine L<lanes>:`.
set(npu_vec_engine_params -GCols=5 -GBusBytes=16 -GAspadAW=10 -GWspadAW=8 -GAccAW=8
    -GMaxLen=64)
npu_vec_verilate(vnpu_vec_check TOP npu_vec_check
  PARAMS -GCols=5 -GBusBytes=16 -GAspadWords=1024 -GWspadWords=256 -GAccRows=256 -GMaxLen=64)

foreach(lanes 1 4 16)
  set(m vnpu_vec_engine_l${lanes})
  add_library(${m} STATIC "${PROJECT_SOURCE_DIR}/tb/common/empty.cpp")
  verilate(${m} SOURCES ${npu_vec_srcs} TOP_MODULE npu_vec_engine PREFIX Vnpu_vec_engine_l${lanes}
    TRACE_FST ${NPU_UNIT_COVERAGE} VERILATOR_ARGS ${npu_vec_vlt_args} ${npu_vec_engine_params} -GLanes=${lanes}
    ${NPU_VERILATOR_OPT})
  npu_shared_verilator_runtime(${m})
  add_executable(test_vec_engine_l${lanes} test_vec_engine.cpp)
  target_compile_definitions(test_vec_engine_l${lanes} PRIVATE
    VEC_ENGINE_HEADER="Vnpu_vec_engine_l${lanes}.h" VEC_ENGINE_CLASS=Vnpu_vec_engine_l${lanes}
    VEC_CHECK_HEADER="Vnpu_vec_check.h" VEC_CHECK_CLASS=Vnpu_vec_check)
  target_link_libraries(test_vec_engine_l${lanes} PRIVATE ${m} vnpu_vec_check npu_ref npu_tb_common
    npu_tb_catch_main fmt::fmt)
  target_compile_options(test_vec_engine_l${lanes} PRIVATE -Wall -Wextra -ffp-contract=off -fno-fast-math)
  catch_discover_tests(test_vec_engine_l${lanes} TEST_SPEC "~[nightly]" TEST_PREFIX "vec_engine L${lanes}: ")
  catch_discover_tests(test_vec_engine_l${lanes} TEST_SPEC "[nightly]" TEST_PREFIX "vec_engine L${lanes} nightly: "
                       PROPERTIES LABELS nightly)
endforeach()

# Throughput benchmark on the `base` shape (16 lanes, Cols 16, BusBytes 32,
# MaxLen 1024): `make bench` builds and runs it (not part of the default build).
add_library(vnpu_vec_engine_base STATIC EXCLUDE_FROM_ALL "${PROJECT_SOURCE_DIR}/tb/common/empty.cpp")
verilate(vnpu_vec_engine_base SOURCES ${npu_vec_srcs} TOP_MODULE npu_vec_engine PREFIX Vnpu_vec_engine_base TRACE_FST
  VERILATOR_ARGS ${npu_vec_vlt_args} -GCols=16 -GBusBytes=32 -GAspadAW=13 -GWspadAW=11 -GAccAW=10
  -GMaxLen=1024 -GLanes=16 ${NPU_VERILATOR_OPT})
npu_shared_verilator_runtime(vnpu_vec_engine_base)
add_executable(bench_vec_bin EXCLUDE_FROM_ALL bench_vec.cpp)
target_link_libraries(bench_vec_bin PRIVATE vnpu_vec_engine_base npu_ref npu_tb_common fmt::fmt)
target_compile_options(bench_vec_bin PRIVATE -Wall -Wextra -ffp-contract=off -fno-fast-math)
add_custom_target(bench_vec COMMAND bench_vec_bin DEPENDS bench_vec_bin USES_TERMINAL
  COMMENT "Vector-engine throughput on the base shape")
