list(APPEND CORE_SRCS settings/catalog.cpp)
list(APPEND CORE_TEST_SRCS settings/catalog_test.cpp)
