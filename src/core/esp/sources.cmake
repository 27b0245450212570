list(APPEND CORE_SRCS esp/plan.cpp esp/scheduler.cpp esp/lint.cpp)
list(APPEND CORE_TEST_SRCS esp/plan_test.cpp esp/scheduler_test.cpp)
