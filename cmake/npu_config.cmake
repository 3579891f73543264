# Reads a named configuration from configs/<name>.yaml into CMake variables
# NPU_<NAME>_ROWS / NPU_<NAME>_COLS. The YAML files are flat enough that a
# regex is sufficient here; the C++ side parses them with yaml-cpp.
function(npu_read_config name)
  set(file "${PROJECT_SOURCE_DIR}/configs/${name}.yaml")
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "unknown configuration '${name}': ${file} does not exist")
  endif()
  file(READ "${file}" text)
  string(TOUPPER "${name}" up)
  foreach(key rows cols)
    if(NOT text MATCHES "[ \t]${key}:[ \t]*([0-9]+)")
      message(FATAL_ERROR "${file}: missing array.${key}")
    endif()
    string(TOUPPER "${key}" ukey)
    set(NPU_${up}_${ukey} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  endforeach()
  # accel: section (npu_top), optional
  foreach(key bus_bytes aspad_words wspad_words acc_rows dma_outstanding vec_maxlen vec_lanes)
    string(TOUPPER "${key}" ukey)
    if(text MATCHES "[ \t]${key}:[ \t]*([0-9]+)")
      set(NPU_${up}_${ukey} "${CMAKE_MATCH_1}" PARENT_SCOPE)
    else()
      set(NPU_${up}_${ukey} "" PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

# RTL file list: rtl/rtl.f is the single source of truth (lint, synth, verilate).
function(npu_rtl_sources out)
  # a file added to rtl.f re-runs the configure step
  set_property(DIRECTORY "${PROJECT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/rtl/rtl.f")
  file(STRINGS "${PROJECT_SOURCE_DIR}/rtl/rtl.f" lines REGEX "^[^#].*\\.sv$")
  set(srcs "")
  foreach(l ${lines})
    string(STRIP "${l}" l)
    list(APPEND srcs "${PROJECT_SOURCE_DIR}/${l}")
  endforeach()
  set(${out} ${srcs} PARENT_SCOPE)
endfunction()

# The files of rtl/rtl.f that module TOP elaborates (itself, what it instantiates, the
# packages it uses), in rtl.f order, then EXTRA sources (test-bench tops), from
# scripts/rtl_deps.py: each model is given only these, so its Verilator run depends only
# on them (verilate() tracks the files Verilator read) and an edit re-verilates only the
# models that elaborate the edited file. Every RTL file is a configure dependency, so an
# edit that adds an instance or an import rescans (the configure step takes well under a
# second).
function(npu_rtl_closure out top)
  npu_rtl_sources(all)
  set_property(DIRECTORY "${PROJECT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${all} ${ARGN})
  execute_process(COMMAND python3 "${PROJECT_SOURCE_DIR}/scripts/rtl_deps.py" ${top} ${ARGN}
    OUTPUT_VARIABLE files ERROR_VARIABLE err RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0 OR files STREQUAL "")
    message(FATAL_ERROR "scripts/rtl_deps.py ${top}: ${err}")
  endif()
  string(REPLACE "\n" ";" files "${files}")
  set(${out} ${files} PARENT_SCOPE)
endfunction()

# C++ optimisation of Verilated code, chosen by measurement (g++ 12, one
# file of the small npu_top model): the __Slow files (constructors, initial
# and settle code, the first full trace dump: run once) take 18.7 s at -O3
# and 3.0 s at -O0 (the largest, Trace__0__Slow: 34.8 s and 7.3 s); the
# per-cycle files keep -O2 (-O1 compiles 1.7x faster but the model is what
# simulates).
set(NPU_VERILATOR_OPT OPT_SLOW -O0 OPT_FAST -O2)

# One copy of Verilator's runtime (verilated.cpp, verilated_fst_c.cpp,
# verilated_threads.cpp: about 25 s of compile at -O3) for every model,
# instead of verilate()'s copy per model (32 models: 13 minutes of CPU).
# Every model here is Verilated with TRACE_FST (and COVERAGE only under NPU_COVERAGE), so one
# set of VM_* definitions fits all; call after verilate().
function(npu_shared_verilator_runtime target)
  if(NOT TARGET npu_verilated_rt)
    set(cov_src "")
    if(NPU_COVERAGE)
      set(cov_src "${VERILATOR_ROOT}/include/verilated_cov.cpp")
    endif()
    add_library(npu_verilated_rt STATIC
      "${VERILATOR_ROOT}/include/verilated.cpp"
      "${VERILATOR_ROOT}/include/verilated_fst_c.cpp"
      "${VERILATOR_ROOT}/include/verilated_threads.cpp" ${cov_src})
    target_include_directories(npu_verilated_rt PUBLIC
      "${VERILATOR_ROOT}/include" "${VERILATOR_ROOT}/include/vltstd")
    target_compile_definitions(npu_verilated_rt PRIVATE
      VM_COVERAGE=$<BOOL:${NPU_COVERAGE}> VM_SC=0 VM_TRACE=1 VM_TRACE_VCD=0 VM_TRACE_FST=1)
    find_package(Threads REQUIRED)
    target_link_libraries(npu_verilated_rt PUBLIC Threads::Threads z)
  endif()
  get_target_property(fst ${target} VERILATOR_TRACE_FST)
  get_target_property(cov ${target} VERILATOR_COVERAGE)
  if(NOT fst OR (cov AND NOT NPU_COVERAGE))
    message(FATAL_ERROR "${target}: the shared Verilator runtime is built for TRACE_FST (COVERAGE only with NPU_COVERAGE)")
  endif()
  if(cov)
    target_compile_definitions(${target} PUBLIC NPU_COVERAGE=1)  # SimControl writes the points
  endif()
  get_target_property(srcs ${target} SOURCES)
  list(FILTER srcs EXCLUDE REGEX "/include/verilated(_[a-z_]+)?\\.cpp$")
  set_property(TARGET ${target} PROPERTY SOURCES ${srcs})
  target_link_libraries(${target} PUBLIC npu_verilated_rt)
endfunction()

# The unit models make coverage runs besides npu_top's (the vector engine at 1, 4 and 16
# lanes, the command decoder, the DMA and CSR blocks): `${NPU_UNIT_COVERAGE}` in their
# verilate() calls, empty unless NPU_COVERAGE.
set(NPU_UNIT_COVERAGE "")
if(NPU_COVERAGE)
  set(NPU_UNIT_COVERAGE COVERAGE)
endif()

# Verilates TOP for configuration CONFIG into a static library TARGET
# (PARAMS: further -GName=Value overrides).
# Parameters Rows/Cols come from the YAML; FST tracing is compiled in and
# enabled only on demand at run time.
function(npu_verilate target)
  cmake_parse_arguments(A "ACCEL;XUNIQUE;EXCLUDE_FROM_ALL" "TOP;CONFIG;PREFIX" "PARAMS" ${ARGN})
  npu_read_config(${A_CONFIG})
  string(TOUPPER "${A_CONFIG}" up)
  npu_rtl_closure(srcs ${A_TOP})
  # XUNIQUE: X assignments and initial values random per run seed, so reset
  # bugs that fast (all-zero) initialisation hides show up.
  if(A_XUNIQUE)
    set(xargs --x-assign unique --x-initial unique)
  else()
    set(xargs --x-assign fast --x-initial fast)
  endif()
  # ACCEL: the npu_top parameters from the accel: section as well.
  set(accel_args "")
  if(A_ACCEL)
    if(NPU_${up}_BUS_BYTES STREQUAL "")
      message(FATAL_ERROR "configs/${A_CONFIG}.yaml has no accel: section")
    endif()
    set(accel_args -GBusBytes=${NPU_${up}_BUS_BYTES} -GAspadWords=${NPU_${up}_ASPAD_WORDS}
      -GWspadWords=${NPU_${up}_WSPAD_WORDS} -GAccRows=${NPU_${up}_ACC_ROWS}
      -GDmaOutstanding=${NPU_${up}_DMA_OUTSTANDING} -GVecMaxLen=${NPU_${up}_VEC_MAXLEN}
      -GVecLanes=${NPU_${up}_VEC_LANES})
  endif()
  set(exclude "")
  if(A_EXCLUDE_FROM_ALL)
    set(exclude EXCLUDE_FROM_ALL)
  endif()
  # NPU_COVERAGE (make coverage, its own build directory): the `small` models with line,
  # toggle and `cover` points, written by SimControl at the end of each simulation (the
  # `base` model with coverage would take gigabytes and many minutes to Verilate).
  set(cov "")
  if(NPU_COVERAGE AND A_CONFIG STREQUAL "small")
    set(cov COVERAGE)
  endif()
  add_library(${target} STATIC ${exclude} "${PROJECT_SOURCE_DIR}/tb/common/empty.cpp")
  verilate(${target}
    SOURCES ${srcs}
    TOP_MODULE ${A_TOP}
    PREFIX ${A_PREFIX}
    TRACE_FST ${cov}
    VERILATOR_ARGS -O3 --assert ${xargs}
      -Wno-fatal "${PROJECT_SOURCE_DIR}/rtl/lint/waivers.vlt"
      -GRows=${NPU_${up}_ROWS} -GCols=${NPU_${up}_COLS} ${accel_args} ${A_PARAMS}
    ${NPU_VERILATOR_OPT})
  npu_shared_verilator_runtime(${target})
  target_compile_definitions(${target} PUBLIC
    NPU_ROWS=${NPU_${up}_ROWS} NPU_COLS=${NPU_${up}_COLS}
    NPU_CONFIG_NAME="${A_CONFIG}")
  if(A_ACCEL)
    target_compile_definitions(${target} PUBLIC NPU_BUS_BYTES=${NPU_${up}_BUS_BYTES})
  endif()
endfunction()
