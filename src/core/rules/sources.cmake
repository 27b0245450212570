# Dynamic membership rules (Microsoft Entra syntax): included by src/core/CMakeLists.txt.
list(APPEND CORE_SRCS
  rules/date.cpp
  rules/explain.cpp
  rules/parser.cpp
  rules/properties.cpp
  rules/reference_interpreter.cpp
  rules/rule.cpp
  rules/rule_set.cpp
  rules/subject.cpp
)
list(APPEND CORE_TEST_SRCS
  rules/explain_test.cpp
  rules/parser_test.cpp
  rules/rule_test.cpp
  rules/rule_set_test.cpp
  rules/rule_property_test.cpp
)
