#pragma once
// The subcommands of `framefarm`. Each parses its own arguments (app/args.h)
// and returns the process exit code; errors are thrown as ff::Error.
#include <string>
#include <vector>

namespace ff::app {

struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>& args);
};

// nullptr when there is no such command.
const Command* find_command(const std::string& name);

int cmd_probe(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);
int cmd_plan(const std::vector<std::string>& args);
int cmd_qa(const std::vector<std::string>& args);
int cmd_archive(const std::vector<std::string>& args);
int cmd_doctor(const std::vector<std::string>& args);

}  // namespace ff::app
