list(APPEND CORE_SRCS
  registration/text_encoding.cpp
  registration/hardware_hash.cpp
  registration/registration_csv.cpp)
list(APPEND CORE_TEST_SRCS
  registration/text_encoding_test.cpp
  registration/hardware_hash_test.cpp
  registration/registration_csv_test.cpp)
