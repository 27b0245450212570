list(APPEND CORE_SRCS naming/device_name.cpp naming/certificate_name.cpp)
list(APPEND CORE_TEST_SRCS naming/device_name_test.cpp naming/certificate_name_test.cpp)
