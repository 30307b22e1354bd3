#pragma once
// The `framefarm` command line: parses argv, runs a subcommand, maps errors
// to the documented exit codes (core/error.h).

namespace ff::app {

int main(int argc, char** argv);

}  // namespace ff::app
