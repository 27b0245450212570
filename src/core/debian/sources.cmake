list(APPEND CORE_SRCS debian/debian_version.cpp)
list(APPEND CORE_TEST_SRCS debian/debian_version_test.cpp)
