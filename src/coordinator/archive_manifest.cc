#include "coordinator/archive_manifest.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"

namespace ff::coordinator {
namespace {

constexpr const char* kBlanks = " \t\r\f\v";

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(kBlanks);
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(kBlanks);
  return s.substr(first, last - first + 1);
}

std::string where(const std::filesystem::path& manifest, int line) {
  return manifest.string() + ":" + std::to_string(line) + ": ";
}

}  // namespace

std::filesystem::path default_outdir(const std::filesystem::path& manifest) {
  return manifest.parent_path() / (manifest.stem().string() + ".out");
}

Manifest parse_manifest(const std::string& text, const std::filesystem::path& manifest_path,
                        const std::filesystem::path& outdir) {
  Manifest m;
  m.path = manifest_path;
  m.outdir = outdir;
  m.status_file = outdir / (manifest_path.stem().string() + ".status.json");
  std::map<std::string, const ManifestEntry*> by_stem;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    if (raw.find('\0') != std::string::npos) {
      throw UsageError(where(manifest_path, line) +
                       "not a text line (it holds a NUL byte); a manifest lists one input path "
                       "per line");
    }
    const std::string text_line = trim(raw);
    if (text_line.empty() || text_line.front() == '#') continue;
    ManifestEntry e;
    e.number = static_cast<int>(m.entries.size()) + 1;
    e.line = line;
    e.input = (manifest_path.parent_path() / text_line).lexically_normal();
    const std::string stem = e.input.stem().string();
    if (!e.input.has_filename() || stem.empty() || stem == "." || stem == "..") {
      throw UsageError(where(manifest_path, line) + "'" + text_line +
                       "' names no file; list one input file per line");
    }
    e.output = outdir / (stem + ".mp4");
    e.workdir = outdir / (stem + ".work");
    if (e.output == e.input) {
      throw UsageError(where(manifest_path, line) + "entry " + std::to_string(e.number) +
                       " would be delivered over its own input " + e.input.string() +
                       "; pass another --outdir");
    }
    m.entries.push_back(e);
  }
  // Entries are final now: pointers into the vector stay valid below.
  for (const ManifestEntry& e : m.entries) {
    const std::string name = e.output.filename().string();
    const auto [it, fresh] = by_stem.emplace(name, &e);
    if (!fresh) {
      const ManifestEntry& first = *it->second;
      throw UsageError(where(manifest_path, e.line) + "entry " + std::to_string(e.number) + " (" +
                       e.input.string() + ") has the same output name " + name + " as entry " +
                       std::to_string(first.number) + " (" + first.input.string() + ", line " +
                       std::to_string(first.line) +
                       "); rename one input or list them in separate manifests");
    }
  }
  if (m.entries.empty()) {
    throw UsageError(manifest_path.string() +
                     ": the manifest lists no inputs (only blank lines and # comments); list one "
                     "input path per line");
  }
  return m;
}

Manifest load_manifest(const std::filesystem::path& manifest, const std::filesystem::path& outdir) {
  const std::filesystem::path path = std::filesystem::absolute(manifest).lexically_normal();
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path)) {
    const std::string why =
        std::filesystem::is_directory(path) ? "it is a directory" : std::strerror(errno);
    throw UsageError(path.string() + ": cannot read the manifest: " + why +
                     "; pass a text file with one input path per line");
  }
  std::ostringstream text;
  text << in.rdbuf();
  const std::filesystem::path out =
      outdir.empty() ? default_outdir(path) : std::filesystem::absolute(outdir).lexically_normal();
  return parse_manifest(text.str(), path, out);
}

std::vector<ManifestEntry> select_entries(const Manifest& manifest, std::optional<int> only) {
  if (!only) return manifest.entries;
  const int n = static_cast<int>(manifest.entries.size());
  if (*only < 1 || *only > n) {
    throw UsageError("framefarm archive: --only " + std::to_string(*only) + " is not an entry of " +
                     manifest.path.string() + ", which has " + std::to_string(n) +
                     (n == 1 ? " entry" : " entries") + " (numbered from 1); pass 1.." +
                     std::to_string(n));
  }
  return {manifest.entries[static_cast<size_t>(*only - 1)]};
}

}  // namespace ff::coordinator
