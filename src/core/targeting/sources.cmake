list(APPEND CORE_SRCS targeting/targeting.cpp targeting/eligibility.cpp)
list(APPEND CORE_TEST_SRCS targeting/targeting_test.cpp)
