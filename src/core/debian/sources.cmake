list(APPEND CORE_SRCS debian/debian_version.cpp debian/package_name.cpp)
list(APPEND CORE_TEST_SRCS debian/debian_version_test.cpp debian/package_name_test.cpp)
