#include "coordinator/archive_status.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace ff::coordinator {
namespace {

using nlohmann::json;

std::optional<EntryState> state_of(const std::string& s) {
  if (s == "pending") return EntryState::kPending;
  if (s == "done") return EntryState::kDone;
  if (s == "failed") return EntryState::kFailed;
  return std::nullopt;
}

json qa_json(EntryQa qa) {
  switch (qa) {
    case EntryQa::kPass: return "pass";
    case EntryQa::kFail: return "fail";
    case EntryQa::kNone: break;
  }
  return nullptr;
}

std::optional<EntryQa> qa_of(const json& j) {
  if (j.is_null()) return EntryQa::kNone;
  const std::string s = j.get<std::string>();
  if (s == "pass") return EntryQa::kPass;
  if (s == "fail") return EntryQa::kFail;
  return std::nullopt;
}

std::string system_error(const std::filesystem::path& path, const std::string& call) {
  return path.string() + ": " + call + " failed: " + std::strerror(errno);
}

}  // namespace

const char* to_string(EntryState state) {
  switch (state) {
    case EntryState::kPending: return "pending";
    case EntryState::kDone: return "done";
    case EntryState::kFailed: return "failed";
  }
  return "pending";
}

std::string status_json(const ArchiveStatus& status) {
  // In the contract's key order, for readers who look at it.
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const EntryStatus& e : status.entries) {
    nlohmann::ordered_json j;
    j["entry"] = e.entry;
    j["input"] = e.input;
    j["output"] = e.output;
    j["state"] = to_string(e.state);
    j["qa"] = qa_json(e.qa);
    j["wall_s"] = e.wall_s;
    j["tries"] = e.tries;
    j["reason"] = e.reason;
    entries.push_back(std::move(j));
  }
  nlohmann::ordered_json j;
  j["schema"] = kStatusSchema;
  j["manifest"] = status.manifest;
  j["entries"] = std::move(entries);
  return j.dump(2) + "\n";
}

ArchiveStatus parse_status(const std::string& text, const std::filesystem::path& path) {
  const auto bad = [&](const std::string& what) {
    return RuntimeError(path.string() + ": " + what +
                        "; move it away to start the status over (finished outputs are kept, "
                        "and a rerun reuses their work directories)");
  };
  ArchiveStatus status;
  try {
    const json j = json::parse(text);
    if (!j.is_object() || j.value("schema", "") != kStatusSchema) {
      throw bad(std::string("not a framefarm archive status file (schema is not ") + kStatusSchema +
                ")");
    }
    status.manifest = j.at("manifest").get<std::string>();
    for (const json& e : j.at("entries")) {
      EntryStatus s;
      s.entry = e.at("entry").get<int>();
      const std::string entry = "entry " + std::to_string(s.entry) + ": ";
      s.input = e.at("input").get<std::string>();
      s.output = e.at("output").get<std::string>();
      const std::string state = e.at("state").get<std::string>();
      const auto parsed_state = state_of(state);
      if (!parsed_state)
        throw bad(entry + "state \"" + state + "\" is not done, failed or pending");
      s.state = *parsed_state;
      const auto parsed_qa = qa_of(e.at("qa"));
      if (!parsed_qa)
        throw bad(entry + "qa " + e.at("qa").dump() + " is not \"pass\", \"fail\" or null");
      s.qa = *parsed_qa;
      s.wall_s = e.at("wall_s").get<double>();
      s.tries = e.at("tries").get<int>();
      s.reason = e.at("reason").get<std::string>();
      status.entries.push_back(std::move(s));
    }
  } catch (const json::exception& e) {
    throw bad(std::string("not a readable archive status file (") + e.what() + ")");
  }
  std::sort(status.entries.begin(), status.entries.end(),
            [](const auto& a, const auto& b) { return a.entry < b.entry; });
  return status;
}

ArchiveStatus read_status(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return {};
    throw RuntimeError(system_error(path, "open") +
                       "; check the permissions of the output directory");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_status(text.str(), path);
}

std::vector<EntryStatus> pending_entries(const Manifest& manifest) {
  std::vector<EntryStatus> out;
  for (const ManifestEntry& e : manifest.entries) {
    EntryStatus s;
    s.entry = e.number;
    s.input = e.input.string();
    s.output = e.output.string();
    out.push_back(std::move(s));
  }
  return out;
}

ArchiveStatus merge_status(ArchiveStatus current, const std::string& manifest,
                           const std::vector<EntryStatus>& fresh,
                           const std::vector<EntryStatus>& updates) {
  std::map<int, EntryStatus> recorded;
  for (EntryStatus& e : current.entries) recorded[e.entry] = std::move(e);
  std::map<int, EntryStatus> merged;
  for (const EntryStatus& f : fresh) {
    const auto it = recorded.find(f.entry);
    if (it == recorded.end() || it->second.input != f.input) {
      merged[f.entry] = f;
      continue;
    }
    merged[f.entry] = it->second;
    merged[f.entry].output = f.output;  // the output directory may have moved
  }
  for (const EntryStatus& u : updates) merged[u.entry] = u;
  ArchiveStatus out;
  out.manifest = manifest;
  for (auto& [number, e] : merged) out.entries.push_back(std::move(e));
  return out;
}

FileLock::FileLock(const std::filesystem::path& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw RuntimeError(system_error(path, "open") +
                       "; the archive status lock must be writable: check the output directory");
  }
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const std::string message = system_error(path, "flock");
    ::close(fd_);
    throw RuntimeError(message + "; put the output directory on a file system with locks");
  }
}

FileLock::~FileLock() {
  ::close(fd_);  // releases the lock
}

std::filesystem::path lock_path_of(const std::filesystem::path& status_file) {
  return status_file.string() + ".lock";
}

ArchiveStatus update_status(const std::filesystem::path& status_file, const Manifest& manifest,
                            const std::vector<EntryStatus>& updates) {
  const FileLock lock(lock_path_of(status_file));
  ArchiveStatus merged = merge_status(read_status(status_file), manifest.path.string(),
                                      pending_entries(manifest), updates);
  core::write_file_atomically(status_file, status_json(merged));
  return merged;
}

const EntryStatus* find_entry(const ArchiveStatus& status, int number) {
  for (const EntryStatus& e : status.entries) {
    if (e.entry == number) return &e;
  }
  return nullptr;
}

EntryAction decide_entry(const EntryStatus* record, bool output_exists, int max_tries) {
  if (record == nullptr) return EntryAction::kRun;
  if (record->state == EntryState::kDone && output_exists) return EntryAction::kSkipDone;
  if (record->state == EntryState::kFailed && record->tries >= max_tries) {
    return EntryAction::kSkipExhausted;
  }
  return EntryAction::kRun;
}

}  // namespace ff::coordinator
