#include "cli/commands.hpp"

int main(int argc, char** argv) { return groundcrew::cli::Main(argc, argv); }
