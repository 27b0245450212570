#include <gtest/gtest.h>
// Filled in with the connection layer.
