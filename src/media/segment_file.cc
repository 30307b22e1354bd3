#include "media/segment_file.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>
#include <vector>

#include "core/error.h"
#include "core/log.h"

namespace ff::media {
namespace {

constexpr int kMaxSegmentId = 99999;

std::string segment_stem(int id) {
  char name[16];
  std::snprintf(name, sizeof name, "seg_%05d", id);
  return name;
}

// The final path of a valid spec; throws for an id the 5-digit name cannot hold.
std::filesystem::path checked_segment_path(const SegmentSpec& spec) {
  if (spec.id < 0 || spec.id > kMaxSegmentId) {
    throw RuntimeError(spec.dir.string() + ": segment id " + std::to_string(spec.id) +
                       " is out of range; allowed 0.." + std::to_string(kMaxSegmentId));
  }
  return spec.dir / (segment_stem(spec.id) + ".mp4");
}

struct PacketScan {
  int64_t packets = 0;
  bool first_is_key = false;
};

PacketScan scan_video_packets(const std::filesystem::path& path) {
  InputFormatPtr input = open_input(path);
  const int stream =
      av_check(av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0),
               "av_find_best_stream(video)", path);
  PacketPtr packet = make_packet(path);
  PacketScan scan;
  while (true) {
    const int ret = av_read_frame(input.get(), packet.get());
    if (ret == AVERROR_EOF) break;
    av_check(ret, "av_read_frame", path);
    PacketUnref unref(packet.get());
    if (packet->stream_index != stream) continue;
    if (scan.packets == 0) scan.first_is_key = (packet->flags & AV_PKT_FLAG_KEY) != 0;
    ++scan.packets;
  }
  return scan;
}

std::string record_json(const SegmentRecord& r) {
  const nlohmann::json j = {{"segment", r.id},    {"frames", r.frames},     {"bytes", r.bytes},
                            {"sha256", r.sha256}, {"plan_key", r.plan_key}, {"encoder", r.encoder}};
  return j.dump(2) + "\n";
}

}  // namespace

std::filesystem::path segment_path(const std::filesystem::path& dir, int id) {
  return dir / (segment_stem(id) + ".mp4");
}

std::filesystem::path segment_sidecar_path(const std::filesystem::path& dir, int id) {
  return dir / (segment_stem(id) + ".json");
}

std::string sha256_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuntimeError(path.string() + ": cannot open for reading to hash it");
  HashContextPtr hash = make_hash("SHA256", path);
  av_hash_init(hash.get());
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) {
      av_hash_update(hash.get(), reinterpret_cast<const uint8_t*>(buffer.data()),
                     static_cast<size_t>(got));
    }
  }
  if (in.bad()) throw RuntimeError(path.string() + ": read error while hashing it");
  char hex[2 * AV_HASH_MAX_SIZE + 1] = {};
  av_hash_final_hex(hash.get(), reinterpret_cast<uint8_t*>(hex), sizeof hex);
  return hex;
}

int64_t count_video_packets(const std::filesystem::path& path) {
  return scan_video_packets(path).packets;
}

SegmentFile::SegmentFile(SegmentSpec spec, const VideoEncoder& encoder)
    : spec_(std::move(spec)),
      encoder_name_(encoder.name()),
      encoder_time_base_(encoder.time_base()),
      out_(checked_segment_path(spec_)) {
  if (spec_.frames <= 0) {
    throw RuntimeError(out_.final_path().string() + ": a segment needs at least one frame, got " +
                       std::to_string(spec_.frames));
  }
  std::error_code ec;
  std::filesystem::create_directories(spec_.dir, ec);
  if (ec) {
    throw RuntimeError(spec_.dir.string() + ": cannot create the segments directory (" +
                       ec.message() + "); check the work directory's permissions");
  }
  const std::filesystem::path& temp = out_.temp_path();
  AvLogCapture capture;
  AVFormatContext* raw = nullptr;
  // The temp name does not end in .mp4: name the muxer.
  av_check(avformat_alloc_output_context2(&raw, nullptr, "mp4", temp.c_str()),
           "avformat_alloc_output_context2(mp4)", temp);
  mux_.reset(raw);
  mux_->flags |= AVFMT_FLAG_BITEXACT;
  stream_ = av_check_alloc(avformat_new_stream(mux_.get(), nullptr), "avformat_new_stream", temp);
  const AVCodecContext* ctx = encoder.context();
  av_check(avcodec_parameters_from_context(stream_->codecpar, ctx),
           "avcodec_parameters_from_context", temp);
  stream_->time_base = encoder_time_base_;
  stream_->avg_frame_rate = ctx->framerate;
  av_check(avio_open(&mux_->pb, temp.c_str(), AVIO_FLAG_WRITE), "avio_open", temp);
  av_check(avformat_write_header(mux_.get(), nullptr), "avformat_write_header", temp);
}

void SegmentFile::write(AVPacket* packet) {
  if (finished_) throw RuntimeError(out_.final_path().string() + ": write() after finish()");
  packet->stream_index = stream_->index;
  av_packet_rescale_ts(packet, encoder_time_base_, stream_->time_base);
  AvLogCapture capture;
  av_check(av_write_frame(mux_.get(), packet), "av_write_frame", out_.temp_path());
  ++packets_written_;
}

void SegmentFile::write_ready(VideoEncoder& encoder) {
  while (PacketPtr packet = encoder.take_packet()) write(packet.get());
}

SegmentRecord SegmentFile::finish() {
  const std::filesystem::path& temp = out_.temp_path();
  const std::filesystem::path& final_path = out_.final_path();
  if (finished_) throw RuntimeError(final_path.string() + ": finish() called twice");
  finished_ = true;
  {
    AvLogCapture capture;
    av_check(av_write_trailer(mux_.get()), "av_write_trailer", temp);
    av_check(avio_closep(&mux_->pb), "avio_closep", temp);  // reports the last write's error
    mux_.reset();
  }
  const PacketScan scan = scan_video_packets(temp);
  if (scan.packets != spec_.frames || !scan.first_is_key) {
    std::filesystem::remove(temp);
    if (scan.packets != spec_.frames) {
      throw RuntimeError(final_path.string() + ": segment " + std::to_string(spec_.id) + " has " +
                         std::to_string(scan.packets) + " frames but the plan expects " +
                         std::to_string(spec_.frames) +
                         "; the file was not kept; run the job again to re-render it");
    }
    throw RuntimeError(final_path.string() + ": segment " + std::to_string(spec_.id) +
                       " does not start with a keyframe, so it cannot be stitched; the file "
                       "was not kept");
  }
  SegmentRecord record;
  record.id = spec_.id;
  record.frames = scan.packets;
  record.bytes = std::filesystem::file_size(temp);
  record.sha256 = sha256_file(temp);
  record.plan_key = spec_.plan_key;
  record.encoder = encoder_name_;
  record.path = final_path;
  core::write_file_atomically(segment_sidecar_path(spec_.dir, spec_.id), record_json(record));
  out_.commit();  // fsync the segment, rename it, fsync the directory
  return record;
}

std::optional<SegmentRecord> read_segment_record(const std::filesystem::path& dir, int id) {
  std::ifstream in(segment_sidecar_path(dir, id));
  if (!in) return std::nullopt;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    SegmentRecord r;
    r.id = j.at("segment").get<int>();
    r.frames = j.at("frames").get<int64_t>();
    r.bytes = j.at("bytes").get<uint64_t>();
    r.sha256 = j.at("sha256").get<std::string>();
    r.plan_key = j.at("plan_key").get<std::string>();
    r.encoder = j.at("encoder").get<std::string>();
    r.path = segment_path(dir, id);
    if (r.id != id) return std::nullopt;
    return r;
  } catch (const nlohmann::json::exception& e) {
    FF_DEBUG(segment_sidecar_path(dir, id).string() << ": unreadable sidecar: " << e.what());
    return std::nullopt;
  }
}

bool segment_is_done(const std::filesystem::path& dir, int id, int64_t expected_frames,
                     const std::string& plan_key) {
  const std::filesystem::path path = segment_path(dir, id);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  auto redo = [&](const std::string& why) {
    FF_INFO(path.string() << ": not reused (" << why << "); rendering it again");
    return false;
  };
  const std::optional<SegmentRecord> record = read_segment_record(dir, id);
  if (!record) return redo("its sidecar is missing or unreadable");
  if (record->plan_key != plan_key) return redo("made for another plan or other settings");
  if (record->frames != expected_frames) {
    return redo("holds " + std::to_string(record->frames) + " frames, the plan expects " +
                std::to_string(expected_frames));
  }
  const uintmax_t bytes = std::filesystem::file_size(path, ec);
  if (ec || bytes != record->bytes) return redo("its size differs from its sidecar's");
  try {
    if (sha256_file(path) != record->sha256) return redo("its SHA-256 differs from its sidecar's");
    const PacketScan scan = scan_video_packets(path);
    if (scan.packets != expected_frames || !scan.first_is_key) {
      return redo("its packets do not match the plan");
    }
  } catch (const Error& e) {
    return redo(e.what());
  }
  return true;
}

int remove_partial_files(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return 0;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().find(".tmp-") == std::string::npos) continue;
    if (!std::filesystem::remove(entry.path(), ec) && ec) {
      throw RuntimeError(entry.path().string() +
                         ": cannot remove a partial file of an earlier run: " + ec.message() +
                         "; remove it by hand");
    }
    ++removed;
  }
  return removed;
}

}  // namespace ff::media
