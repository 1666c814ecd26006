# Small helpers in the spirit of absl_cc_library: one call per library, test or binary.
# Warnings and sanitizers are INTERFACE targets linked by every target we define; nothing
# is set globally.

add_library(passledger_warnings INTERFACE)
target_compile_options(passledger_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wimplicit-fallthrough
  # GCC 12 reports false -Wrestrict on std::string concatenation at -O2 (GCC PR105329).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
  # base/thread_annotations.h: lock discipline checked by clang (the fuzz build in CI).
  $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety -Werror=thread-safety>)

add_library(passledger_sanitizers INTERFACE)
if(PASSLEDGER_FUZZ)
  # Coverage instrumentation for libFuzzer plus ASan/UBSan; the fuzz targets add the driver.
  target_compile_options(passledger_sanitizers INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(passledger_sanitizers INTERFACE -fsanitize=address,undefined)
elseif(PASSLEDGER_SANITIZE)
  target_compile_options(passledger_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(passledger_sanitizers INTERFACE -fsanitize=address,undefined)
endif()

# passledger_cc_library(NAME events SRCS a.cpp b.cpp PUBLIC_DEPS ... PRIVATE_DEPS ...)
# defines target passledger_<NAME> with alias passledger::<NAME>. Headers are included as
# "<module>/<file>.h" from the repository root.
function(passledger_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(target passledger_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SRCS})
  add_library(passledger::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC "${PROJECT_SOURCE_DIR}")
  target_link_libraries(${target}
    PUBLIC ${ARG_PUBLIC_DEPS} passledger_sanitizers
    PRIVATE ${ARG_PRIVATE_DEPS} passledger_warnings)
endfunction()

# passledger_cc_binary(NAME passledger SRCS main.cpp DEPS ...)
function(passledger_cc_binary)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} passledger_warnings passledger_sanitizers)
endfunction()

# passledger_cc_test(NAME events_test SRCS a_test.cpp DEPS ...) builds one Boost.Test
# executable and registers it with CTest. Each test case gets its own temp dir (see
# tests/testing/temp_dir.h), so suites may run in parallel.
function(passledger_cc_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_compile_definitions(${ARG_NAME} PRIVATE BOOST_TEST_DYN_LINK)
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} Boost::unit_test_framework
    passledger_warnings passledger_sanitizers)
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME} --log_level=message --report_level=short)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  set_tests_properties(${ARG_NAME} PROPERTIES TIMEOUT ${ARG_TIMEOUT})
endfunction()
