#pragma once
// The manifest of `framefarm archive` and its output naming rule
// (docs/archive.md).
//
// A manifest is a text file with one input path per line. Blank lines and
// lines starting with `#` (after leading blanks) are ignored; leading and
// trailing blanks and a trailing CR are trimmed. Relative paths are relative
// to the manifest's directory. Entries are numbered from 1 over the remaining
// lines, so entry N is what `--only N` (a Slurm array task id) selects.
//
// Naming: entry `<dir>/<stem>.<ext>` is delivered as `<outdir>/<stem>.mp4`
// with work directory `<outdir>/<stem>.work/`; the default outdir is
// `<manifest dir>/<manifest stem>.out`, the status file
// `<outdir>/<manifest stem>.status.json`. Two entries with one stem would
// share an output, which is a usage error naming both.
//
// Example:
//   Manifest m = load_manifest("/data/talks.txt", "");   // outdir /data/talks.out
//   m.entries[0].number;                                  // 1
//   m.entries[0].output;                                  // /data/talks.out/keynote.mp4
//   std::vector<ManifestEntry> one = select_entries(m, 2);
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ff::coordinator {

struct ManifestEntry {
  int number = 0;                 // 1-based over the manifest's input lines
  int line = 0;                   // 1-based line in the manifest file
  std::filesystem::path input;    // absolute, lexically normal
  std::filesystem::path output;   // <outdir>/<stem>.mp4
  std::filesystem::path workdir;  // <outdir>/<stem>.work
};

struct Manifest {
  std::filesystem::path path;         // absolute, lexically normal
  std::filesystem::path outdir;       // absolute
  std::filesystem::path status_file;  // <outdir>/<manifest stem>.status.json
  std::vector<ManifestEntry> entries;
};

// Parses manifest text. `manifest_path` (absolute) names the file in errors
// ("<manifest_path>:<line>: ...") and anchors relative inputs; `outdir`
// (absolute) anchors the outputs. Throws ff::UsageError (one line) for a
// line that is not a path (NUL byte, no file name), an output that would
// replace its own input, two entries with one output name, and a manifest
// without entries.
Manifest parse_manifest(const std::string& text, const std::filesystem::path& manifest_path,
                        const std::filesystem::path& outdir);

// Reads and parses the file. `outdir` empty: the default next to the
// manifest; relative paths are made absolute against the working directory.
// Throws ff::UsageError when the file cannot be read, as parse_manifest.
Manifest load_manifest(const std::filesystem::path& manifest, const std::filesystem::path& outdir);

// <manifest dir>/<manifest stem>.out
std::filesystem::path default_outdir(const std::filesystem::path& manifest);

// Every entry, or entry `only` alone; throws ff::UsageError when `only` is
// not an entry number of the manifest.
std::vector<ManifestEntry> select_entries(const Manifest& manifest, std::optional<int> only);

}  // namespace ff::coordinator
