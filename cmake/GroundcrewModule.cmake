# gc_add_module(NAME <module> SRCS <files...> DEPS <targets...>)
#   Creates the library gc_<module> for src/<module>. Includes are rooted at src/.
function(gc_add_module)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(gc_${ARG_NAME} STATIC ${ARG_SRCS})
  target_include_directories(gc_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(gc_${ARG_NAME} PUBLIC ${ARG_DEPS})
endfunction()

# gc_test_sources(<target>)
#   A test's own sources are compiled without optimisation (GROUNDCREW_TEST_OPTIMIZATION, -O0 by
#   default): the code under test is in the product libraries, built as the build type says, and
#   a test's assertions gain nothing from -O2 but take two to three times as long to compile.
#   It also joins `gc_tests`, what `make test` builds (the tests and the binaries they run; the
#   benchmarks are left to `make build` and `make bench`).
function(gc_test_sources target)
  target_compile_options(${target} PRIVATE ${GROUNDCREW_TEST_OPTIMIZATION})
  set_property(GLOBAL APPEND PROPERTY GC_TEST_TARGETS ${target})
endfunction()

# gc_add_test(NAME <module> SRCS <files...> DEPS <targets...>)
#   Creates the test executable gc_<module>_test and registers it with CTest.
function(gc_add_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(gc_${ARG_NAME}_test ${ARG_SRCS})
  gc_test_sources(gc_${ARG_NAME}_test)
  target_link_libraries(gc_${ARG_NAME}_test PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${ARG_NAME} COMMAND gc_${ARG_NAME}_test)
  set_tests_properties(${ARG_NAME} PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    ENVIRONMENT "${GC_TEST_ENVIRONMENT}")
endfunction()
