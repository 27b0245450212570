list(APPEND CORE_SRCS
  esp/run.cpp
  flow/flow_common.cpp
  flow/technician_flow.cpp
  flow/user_flow.cpp)
list(APPEND CORE_TEST_SRCS
  esp/run_test.cpp
  flow/flow_common_test.cpp
  flow/technician_flow_test.cpp
  flow/user_flow_test.cpp)
