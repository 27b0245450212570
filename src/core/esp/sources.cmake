list(APPEND CORE_SRCS esp/plan.cpp esp/lint.cpp esp/wall_time.cpp)
list(APPEND CORE_TEST_SRCS esp/plan_test.cpp esp/wall_time_test.cpp)
