#pragma once
// A small command-line parser for framefarm's subcommands.
//
//   ArgSpec spec{"run", "JOB", "Run a job ...", {{"--input", "FILE", "the input video", true}}};
//   Args args = parse_args(spec, argc - 2, argv + 2);   // throws UsageError
//   args.value("--input");                                // "call.mp4"
//
// Every option takes a value except those declared as flags; `--set` may be
// repeated. `--help` is recognised everywhere and sets `help`.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ff::app {

struct OptionSpec {
  std::string name;        // "--input"
  std::string value_name;  // "FILE"; empty for a flag
  std::string help;        // one line
  bool required = false;
  bool repeatable = false;  // e.g. --set
};

struct ArgSpec {
  std::string command;                  // "run"
  std::vector<std::string> positional;  // names, e.g. {"JOB"}; all required
  std::string summary;                  // one paragraph for --help
  std::vector<OptionSpec> options;
};

struct Args {
  bool help = false;
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values;  // option -> values
  bool has(const std::string& name) const { return values.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
};

Args parse_args(const ArgSpec& spec, const std::vector<std::string>& argv);
std::string usage_text(const ArgSpec& spec);

}  // namespace ff::app
