list(APPEND CORE_SRCS report/timeline.cpp)
list(APPEND CORE_TEST_SRCS report/timeline_test.cpp)
