// Job file and --set overrides -> JobOptions. Reading a key checks its type
// and range (options_schema.h lists them); validate_job then checks across
// keys. Every error is a ConfigError located at "file:line" or "--set ...".
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <sstream>

#include "core/error.h"
#include "core/options.h"
#include "core/options_schema.h"

namespace ff::core {
namespace {

namespace fs = std::filesystem;
using detail::format_number;
using detail::join_quoted;
using detail::nearest;
using detail::Origins;
using detail::toml_quote;

std::string kind_of(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    default: return "a date/time";
  }
}

// The value as the user wrote it, near enough: strings quoted, numbers plain.
std::string value_text(const toml::node& node) {
  if (const auto* s = node.as_string()) return toml_quote(s->get());
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) return detail::toml_float(f->get());
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  if (node.is_table()) return "{...}";
  if (node.is_array()) return "[...]";
  std::ostringstream os;  // a date or time: TOML++ prints it as TOML
  node.visit([&os](const auto& v) { os << v; });
  return os.str();
}

template <class T>
std::string range_text(T min, T max) {
  if (min == max) return format_number(static_cast<double>(min)) + " only";
  return format_number(static_cast<double>(min)) + ".." + format_number(static_cast<double>(max));
}

// Reads the keys present in one TOML table into one options struct, through
// visit_keys. Keys absent from `table` keep their current values, so the same
// reader applies a whole file table or a one-key --set table.
class Reader {
 public:
  using Locate = std::function<std::string(const toml::node&)>;
  Reader(const toml::table& table, std::string_view table_name, Locate locate, Origins& origins,
         fs::path base_dir)
      : table_(table),
        table_name_(table_name),
        locate_(std::move(locate)),
        origins_(origins),
        base_dir_(std::move(base_dir)) {}

  void integer(std::string_view key, int& field, int64_t min, int64_t max) {
    const toml::node* node = find(key);
    if (node == nullptr) return;
    const auto* v = node->as_integer();
    if (v == nullptr) wrong_type(key, *node, "an integer " + range_text(min, max));
    if (v->get() < min || v->get() > max) out_of_range(key, *node, range_text(min, max));
    field = static_cast<int>(v->get());
  }

  void real(std::string_view key, double& field, double min, double max) {
    const toml::node* node = find(key);
    if (node == nullptr) return;
    double value = 0.0;
    if (const auto* f = node->as_floating_point()) {
      value = f->get();
    } else if (const auto* i = node->as_integer()) {
      value = static_cast<double>(i->get());
    } else {
      wrong_type(key, *node, "a number " + range_text(min, max));
    }
    if (!(value >= min && value <= max)) out_of_range(key, *node, range_text(min, max));
    field = value;
  }

  void boolean(std::string_view key, bool& field) {
    const toml::node* node = find(key);
    if (node == nullptr) return;
    const auto* v = node->as_boolean();
    if (v == nullptr) wrong_type(key, *node, "true or false");
    field = v->get();
  }

  void path(std::string_view key, std::string& field) {
    const toml::node* node = find(key);
    if (node == nullptr) return;
    const auto* v = node->as_string();
    if (v == nullptr) wrong_type(key, *node, "a file path string");
    field = v->get();
    if (!field.empty() && fs::path(field).is_relative()) {
      field = fs::absolute(base_dir_ / field).lexically_normal().string();
    }
  }

  template <class E>
  void choice(std::string_view key, E& field, std::span<const std::string_view> names) {
    const toml::node* node = find(key);
    if (node == nullptr) return;
    const auto* v = node->as_string();
    if (v == nullptr) wrong_type(key, *node, "one of " + join_quoted(names));
    assign(key, *node, v->get(), field, names);
  }

  // A choice of level names that also accepts the number: 4.2 or 5 -> "5.0".
  void level(std::string_view key, std::string& field, std::span<const std::string_view> names) {
    const toml::node* node = find(key);
    if (node == nullptr) return;
    std::string name;
    if (const auto* s = node->as_string()) {
      name = s->get();
    } else if (const auto* i = node->as_integer()) {
      name = std::to_string(i->get()) + ".0";
    } else if (const auto* f = node->as_floating_point()) {
      name = detail::toml_float(f->get());
    } else {
      wrong_type(key, *node, "one of " + join_quoted(names));
    }
    assign(key, *node, name, field, names);
  }

 private:
  const toml::node* find(std::string_view key) {
    const toml::node* node = table_.get(key);
    if (node != nullptr) origins_.by_key[full(key)] = locate_(*node);
    return node;
  }

  template <class E>
  void assign(std::string_view key, const toml::node& node, const std::string& name, E& field,
              std::span<const std::string_view> names) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      fail(key, node, "is not allowed; allowed " + join_quoted(names));
    }
    if constexpr (std::is_enum_v<E>) {
      field = static_cast<E>(it - names.begin());
    } else {
      field = name;
    }
  }

  std::string full(std::string_view key) const {
    return std::string(table_name_) + "." + std::string(key);
  }
  [[noreturn]] void fail(std::string_view key, const toml::node& node, const std::string& what) {
    throw ConfigError(locate_(node) + ": " + full(key) + " = " + value_text(node) + " " + what);
  }
  [[noreturn]] void wrong_type(std::string_view key, const toml::node& node,
                               const std::string& expected) {
    fail(key, node, "is " + kind_of(node) + "; expected " + expected);
  }
  [[noreturn]] void out_of_range(std::string_view key, const toml::node& node,
                                 const std::string& allowed) {
    fail(key, node, "is out of range; allowed " + allowed);
  }

  const toml::table& table_;
  std::string_view table_name_;
  Locate locate_;
  Origins& origins_;
  fs::path base_dir_;
};

std::string tables_text() {
  std::string out;
  for (const std::string_view t : detail::table_names()) {
    out += (out.empty() ? "[" : ", [") + std::string(t) + "]";
  }
  return out;
}

std::string unknown_table(std::string_view table) {
  const std::string_view guess = nearest(table, detail::table_names());
  if (!guess.empty()) {
    return "unknown table [" + std::string(table) + "]; did you mean [" + std::string(guess) + "]?";
  }
  return "unknown table [" + std::string(table) + "]; job files have " + tables_text();
}

// The table holding `key`, if exactly one does ("crf" -> "output").
std::string_view table_with_key(std::string_view key) {
  std::string_view found;
  for (const std::string_view t : detail::table_names()) {
    const auto& keys = detail::key_names(t);
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
      if (!found.empty()) return {};
      found = t;
    }
  }
  return found;
}

std::string unknown_key(std::string_view table, std::string_view key) {
  const std::string name = std::string(table) + "." + std::string(key);
  const auto& keys = detail::key_names(table);
  std::string_view guess = nearest(key, keys);
  if (!guess.empty()) {
    return "unknown key " + name + "; did you mean " + std::string(table) + "." +
           std::string(guess) + "?";
  }
  if (const std::string_view other = table_with_key(key); !other.empty()) {
    return "unknown key " + name + "; did you mean " + std::string(other) + "." + std::string(key) +
           "?";
  }
  std::string known;
  for (const std::string_view k : keys) known += (known.empty() ? "" : ", ") + std::string(k);
  return "unknown key " + name + "; [" + std::string(table) + "] has " + known;
}

std::string line_of(const std::string& label, const toml::node& node) {
  return label + ":" + std::to_string(node.source().begin.line);
}

// Unknown tables, keys outside tables, unknown keys: the first one in file order.
void check_structure(const toml::table& doc, const std::string& label) {
  uint32_t best_line = UINT32_MAX;
  std::string best;
  const auto note = [&](const toml::node& node, const std::string& what) {
    const uint32_t line = node.source().begin.line;
    if (best.empty() || line < best_line) {
      best_line = line;
      best = line_of(label, node) + ": " + what;
    }
  };
  for (const auto& [key, node] : doc) {
    const std::string_view name = key.str();
    const auto& tables = detail::table_names();
    if (std::find(tables.begin(), tables.end(), name) == tables.end()) {
      if (node.is_table()) {
        note(node, unknown_table(name));
      } else if (const std::string_view t = table_with_key(name); !t.empty()) {
        note(node, std::string(name) + " is outside any table; did you mean " + std::string(t) +
                       "." + std::string(name) + " under [" + std::string(t) + "]?");
      } else {
        note(node, "unknown key " + std::string(name) + " outside any table; job files have " +
                       tables_text());
      }
      continue;
    }
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      note(node, std::string(name) + " must be a table ([" + std::string(name) + "]), not " +
                     kind_of(node));
      continue;
    }
    const auto& keys = detail::key_names(name);
    for (const auto& [k, v] : *table) {
      if (std::find(keys.begin(), keys.end(), k.str()) == keys.end()) {
        note(v, unknown_key(name, k.str()));
      }
    }
  }
  if (!best.empty()) throw ConfigError(best);
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

// "table.key=value": value is a TOML value, or else taken as a bare string.
void apply_override(JobOptions& job, const std::string& text, Origins& origins) {
  const std::string where = "--set " + text;
  const auto eq = text.find('=');
  const std::string path = trim(std::string_view(text).substr(0, eq));
  const auto dot = path.find('.');
  if (eq == std::string::npos || dot == std::string::npos ||
      path.find('.', dot + 1) != std::string::npos) {
    std::string hint;
    if (const std::string_view t = table_with_key(path); !t.empty()) {
      hint = "; did you mean " + std::string(t) + "." + path + "?";
    }
    throw ConfigError(where + ": expected table.key=value, e.g. --set output.crf=23" + hint);
  }
  const std::string table_name = path.substr(0, dot);
  const std::string key = path.substr(dot + 1);
  const auto& keys = detail::key_names(table_name);
  if (keys.empty()) throw ConfigError(where + ": " + unknown_table(table_name));
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
    throw ConfigError(where + ": " + unknown_key(table_name, key));
  }
  const std::string value = trim(std::string_view(text).substr(eq + 1));
  toml::table one;
  try {
    one = toml::parse(key + " = " + value);
  } catch (const toml::parse_error&) {
    one = toml::table{};
  }
  if (one.size() != 1 || !one.contains(key)) {
    one = toml::table{};
    one.insert(key, value);
  }
  const Reader::Locate locate = [where](const toml::node&) { return where; };
  detail::for_each_table(job, [&](std::string_view name, auto& options) {
    if (name != table_name) return;
    Reader reader(one, name, locate, origins, fs::current_path());
    detail::visit_keys(options, reader);
  });
}

JobOptions parse_document(std::string_view text, const std::string& label, const fs::path& base_dir,
                          const std::vector<std::string>& overrides) {
  toml::table doc;
  try {
    doc = toml::parse(text, label);
  } catch (const toml::parse_error& e) {
    throw ConfigError(label + ":" + std::to_string(e.source().begin.line) + ":" +
                      std::to_string(e.source().begin.column) +
                      ": invalid TOML: " + std::string(e.description()));
  }
  check_structure(doc, label);
  JobOptions job;
  Origins origins{label, {}};
  const Reader::Locate locate = [&label](const toml::node& node) { return line_of(label, node); };
  detail::for_each_table(job, [&](std::string_view name, auto& options) {
    if (const toml::table* table = doc.get_as<toml::table>(name)) {
      Reader reader(*table, name, locate, origins, base_dir);
      detail::visit_keys(options, reader);
    }
  });
  for (const std::string& text_override : overrides) apply_override(job, text_override, origins);
  detail::validate_job(job, origins);
  return job;
}

std::string read_file(const fs::path& file) {
  const std::string label = file.string();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!f) throw ConfigError(label + ": cannot read job file: " + std::strerror(errno));
  std::string content;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) content.append(buf, n);
  if (std::ferror(f.get())) {
    throw ConfigError(label + ": cannot read job file: " + std::strerror(errno));
  }
  return content;
}

}  // namespace

JobOptions load_job(const fs::path& file, const std::vector<std::string>& overrides) {
  const std::string text = read_file(file);
  JobOptions job = parse_document(text, file.string(), file.parent_path(), overrides);
  job.source_file = file;
  return job;
}

JobOptions parse_job(std::string_view toml_text, const std::string& label,
                     const std::vector<std::string>& overrides) {
  return parse_document(toml_text, label, fs::path{}, overrides);
}

}  // namespace ff::core
