list(APPEND CORE_SRCS compliance/compliance.cpp)
list(APPEND CORE_TEST_SRCS compliance/compliance_test.cpp)
