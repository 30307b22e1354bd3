#include "app/commands.h"

#include <array>

namespace ff::app {

const Command* find_command(const std::string& name) {
  static const std::array kCommands{
      Command{"probe", cmd_probe}, Command{"run", cmd_run},         Command{"plan", cmd_plan},
      Command{"qa", cmd_qa},       Command{"archive", cmd_archive}, Command{"doctor", cmd_doctor},
  };
  for (const auto& c : kCommands) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

}  // namespace ff::app
