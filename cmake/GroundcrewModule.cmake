# gc_add_module(NAME <module> SRCS <files...> DEPS <targets...>)
#   Creates the library gc_<module> for src/<module>. Includes are rooted at src/.
function(gc_add_module)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(gc_${ARG_NAME} STATIC ${ARG_SRCS})
  target_include_directories(gc_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(gc_${ARG_NAME} PUBLIC ${ARG_DEPS})
endfunction()

# gc_add_test(NAME <module> SRCS <files...> DEPS <targets...>)
#   Creates the test executable gc_<module>_test and registers it with CTest.
function(gc_add_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(gc_${ARG_NAME}_test ${ARG_SRCS})
  target_link_libraries(gc_${ARG_NAME}_test PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${ARG_NAME} COMMAND gc_${ARG_NAME}_test)
  set_tests_properties(${ARG_NAME} PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()
