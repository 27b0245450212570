list(APPEND CORE_SRCS access/console_session.cpp)
list(APPEND CORE_TEST_SRCS access/console_session_test.cpp)
