#include "app/args.h"

#include <sstream>

#include "core/error.h"

namespace ff::app {
namespace {

const OptionSpec* find_option(const ArgSpec& spec, const std::string& name) {
  for (const auto& option : spec.options) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

std::string see_help(const ArgSpec& spec) {
  return "; see 'framefarm " + spec.command + " --help'";
}

}  // namespace

std::optional<std::string> Args::value(const std::string& name) const {
  const auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::all(const std::string& name) const {
  const auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

Args parse_args(const ArgSpec& spec, const std::vector<std::string>& argv) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string word = argv[i];
    if (word == "--help" || word == "-h") {
      args.help = true;
      return args;
    }
    if (word.rfind("--", 0) != 0 || word == "--") {
      args.positional.push_back(word);
      continue;
    }
    std::optional<std::string> inline_value;
    if (const auto eq = word.find('='); eq != std::string::npos) {
      inline_value = word.substr(eq + 1);
      word = word.substr(0, eq);
    }
    const OptionSpec* option = find_option(spec, word);
    if (option == nullptr) {
      throw UsageError("framefarm " + spec.command + ": unknown option " + word + see_help(spec));
    }
    if (option->value_name.empty()) {
      if (inline_value) {
        throw UsageError("framefarm " + spec.command + ": " + word + " takes no value" +
                         see_help(spec));
      }
      args.values[word].push_back("true");
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < argv.size()) {
      value = argv[++i];
    } else {
      throw UsageError("framefarm " + spec.command + ": " + word + " needs a value (" +
                       option->value_name + ")" + see_help(spec));
    }
    auto& slot = args.values[word];
    if (!slot.empty() && !option->repeatable) {
      throw UsageError("framefarm " + spec.command + ": " + word + " given twice" + see_help(spec));
    }
    slot.push_back(value);
  }
  if (args.positional.size() != spec.positional.size()) {
    std::ostringstream os;
    os << "framefarm " << spec.command << ": expected ";
    if (spec.positional.empty()) {
      os << "no arguments";
    } else {
      for (size_t i = 0; i < spec.positional.size(); ++i)
        os << (i ? " " : "") << spec.positional[i];
    }
    os << ", got " << args.positional.size() << " argument(s)" << see_help(spec);
    throw UsageError(os.str());
  }
  for (const auto& option : spec.options) {
    if (option.required && !args.has(option.name)) {
      throw UsageError("framefarm " + spec.command + ": " + option.name + " " + option.value_name +
                       " is required" + see_help(spec));
    }
  }
  return args;
}

std::string usage_text(const ArgSpec& spec) {
  std::ostringstream os;
  os << "usage: framefarm " << spec.command;
  for (const auto& p : spec.positional) os << " " << p;
  if (!spec.options.empty()) os << " [options]";
  os << "\n\n" << spec.summary << "\n";
  if (!spec.options.empty()) {
    os << "\noptions:\n";
    for (const auto& o : spec.options) {
      std::string left = "  " + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
      if (left.size() < 26) left.resize(26, ' ');
      os << left << " " << o.help << (o.required ? " (required)" : "")
         << (o.repeatable ? " (repeatable)" : "") << "\n";
    }
  }
  os << "  --help                   show this help\n";
  return os.str();
}

}  // namespace ff::app
