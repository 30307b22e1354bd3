// JobOptions -> TOML: every key of every table, in schema order, so the
// effective job written into a work directory says exactly what ran and
// loads back to the same options.
#include "core/options.h"
#include "core/options_schema.h"

namespace ff::core {
namespace {

using detail::toml_quote;

// Appends "key = value" lines through visit_keys.
struct Writer {
  std::string& out;

  void line(std::string_view key, const std::string& value) {
    out += std::string(key) + " = " + value + "\n";
  }
  void integer(std::string_view key, const int& field, int64_t, int64_t) {
    line(key, std::to_string(field));
  }
  void real(std::string_view key, const double& field, double, double) {
    line(key, detail::toml_float(field));
  }
  void boolean(std::string_view key, const bool& field) { line(key, field ? "true" : "false"); }
  void path(std::string_view key, const std::string& field) { line(key, toml_quote(field)); }
  template <class E>
  void choice(std::string_view key, const E& field, std::span<const std::string_view> names) {
    if constexpr (std::is_enum_v<E>) {
      line(key, toml_quote(names[static_cast<size_t>(field)]));
    } else {
      line(key, toml_quote(field));
    }
  }
  void level(std::string_view key, const std::string& field, std::span<const std::string_view>) {
    line(key, toml_quote(field));
  }
};

}  // namespace

std::string to_toml(const JobOptions& job) {
  std::string out = "# framefarm job: every key with the value this job ran with.\n";
  if (!job.source_file.empty()) {
    // One line whatever the path holds: a newline would end the comment.
    std::string from = job.source_file.string();
    for (char& c : from) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    out += "# Read from " + from + " (plus any --set overrides).\n";
  } else {
    out += "# Defaults.\n";
  }
  Writer writer{out};
  detail::for_each_table(job, [&](std::string_view name, const auto& table) {
    out += "\n[" + std::string(name) + "]\n";
    detail::visit_keys(table, writer);
  });
  return out;
}

}  // namespace ff::core
