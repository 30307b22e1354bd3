#include "coordinator/scan_store.h"

#include <cmath>

namespace ff::coordinator {

void write_probe(core::Store& store, const media::ProbeResult& probe) {
  store.commit("/probe", [&](core::GroupWriter& g) {
    const media::VideoInfo& v = probe.video;
    g.set_attr_string("path", probe.path.string());
    g.set_attr_string("format", probe.format);
    g.set_attr_f64("duration_s", probe.duration_s);
    g.set_attr_string("fingerprint", probe.fingerprint.key());
    g.set_attr_string("video_codec", v.codec);
    g.set_attr_i64("width", v.width);
    g.set_attr_i64("height", v.height);
    g.set_attr_i64("display_width", v.display_width);
    g.set_attr_i64("display_height", v.display_height);
    g.set_attr_i64("rotation_deg", v.rotation_deg);
    g.set_attr_string("pix_fmt", v.pix_fmt);
    g.set_attr_string("color_primaries", v.color_primaries);
    g.set_attr_string("color_transfer", v.color_transfer);
    g.set_attr_string("color_space", v.color_space);
    g.set_attr_string("color_range", v.color_range);
    g.set_attr_f64("avg_frame_rate", v.avg_frame_rate.value());
    g.set_attr_f64("r_frame_rate", v.r_frame_rate.value());
    g.set_attr_i64("frame_count", v.frame_count);
    g.set_attr_i64("vfr", v.timing.vfr ? 1 : 0);
    g.set_attr_i64("has_audio", probe.audio ? 1 : 0);
    if (probe.audio) {
      g.set_attr_i64("audio_sample_rate", probe.audio->sample_rate);
      g.set_attr_i64("audio_channels", probe.audio->channels);
      g.set_attr_string("audio_layout", probe.audio->channel_layout);
    }
    std::vector<int64_t> keys;
    for (const auto& k : v.keyframes) keys.push_back(k.pts);
    g.write("keyframe_pts", keys, "stream time base ticks");
    g.set_attr_string("keyframe_pts", "time_base",
                      std::to_string(v.time_base.num) + "/" + std::to_string(v.time_base.den));
  });
}

void write_scan(core::Store& store, const ScanPhaseResult& scan, const std::string& scan_key) {
  const analysis::ScanData& d = scan.data;
  store.commit("/scan", [&](core::GroupWriter& g) {
    g.set_attr_string("scan_key", scan_key);
    g.set_attr_i64("display_width", d.display_width);
    g.set_attr_i64("display_height", d.display_height);
    g.set_attr_f64("duration_s", d.duration_s);
    g.set_attr_i64("analysis_width", scan.analysis_width);
    g.set_attr_i64("analysis_height", scan.analysis_height);
    std::vector<int64_t> pts;
    std::vector<double> time_s;
    std::vector<float> score;
    std::vector<int32_t> signature;
    for (size_t i = 0; i < d.frames.size(); ++i) {
      pts.push_back(d.frames[i].pts);
      time_s.push_back(d.frames[i].time_s);
      score.push_back(d.frames[i].scene_score);
      signature.insert(signature.end(), d.signatures[i].begin(), d.signatures[i].end());
    }
    g.write("frame_pts", pts, "stream time base ticks");
    g.write("frame_time", time_s, "s");
    g.write("scene_score", score, "mean abs YUV thumbnail difference, 0..255");
    std::vector<std::string> sig_cols;
    for (int i = 0; i < 64; ++i) sig_cols.push_back("l" + std::to_string(i));
    g.write_table("luma_signature", signature, sig_cols, "8x8 mean luma, 0..255");
    std::vector<float> faces;
    for (const auto& f : d.faces) {
      faces.insert(faces.end(), {static_cast<float>(f.src_frame), static_cast<float>(f.track_id),
                                 f.x, f.y, f.w, f.h, f.score, f.activity});
    }
    g.write_table("faces", faces, {"frame", "track", "x", "y", "w", "h", "score", "activity"},
                  "frame: source frame index; x,y,w,h: normalised to the displayed frame; "
                  "activity: lower-face mean abs change 0..255");
    std::vector<double> chunks;
    for (const auto& c : scan.chunks) {
      chunks.insert(chunks.end(),
                    {static_cast<double>(c.chunk_id), static_cast<double>(c.rank),
                     static_cast<double>(c.frames), c.seconds, c.decode_s, c.analysis_s});
    }
    g.write_table("chunks", chunks,
                  {"chunk", "rank", "frames", "seconds", "decode_s", "analysis_s"}, "s");
  });
}

std::optional<analysis::ScanData> read_scan(const core::Store& store, const std::string& scan_key) {
  if (!store.has("/scan") || !store.has_attr("/scan", "scan_key") ||
      store.read_attr_string("/scan", "scan_key") != scan_key) {
    return std::nullopt;
  }
  analysis::ScanData d;
  d.display_width = static_cast<int>(store.read_attr_i64("/scan", "display_width"));
  d.display_height = static_cast<int>(store.read_attr_i64("/scan", "display_height"));
  d.duration_s = store.read_attr_f64("/scan", "duration_s");
  const auto pts = store.read_i64("/scan/frame_pts");
  const auto time_s = store.read_f64("/scan/frame_time");
  const auto score = store.read_f32("/scan/scene_score");
  const auto sig = store.read_i32("/scan/luma_signature");
  if (time_s.rows != pts.rows || score.rows != pts.rows || sig.rows != pts.rows || sig.cols != 64) {
    return std::nullopt;  // inconsistent: rescan
  }
  for (int64_t i = 0; i < pts.rows; ++i) {
    analysis::ScanFrame f;
    f.src_frame = i;
    f.pts = pts.data[static_cast<size_t>(i)];
    f.time_s = time_s.data[static_cast<size_t>(i)];
    f.scene_score = score.data[static_cast<size_t>(i)];
    d.frames.push_back(f);
    analysis::LumaSignature s{};
    for (int64_t c = 0; c < 64; ++c) s[static_cast<size_t>(c)] = static_cast<uint8_t>(sig.at(i, c));
    d.signatures.push_back(s);
  }
  const auto faces = store.read_f32("/scan/faces");
  for (int64_t i = 0; i < faces.rows; ++i) {
    analysis::FaceBox f;
    f.src_frame = static_cast<int64_t>(std::lround(faces.at(i, 0)));
    f.track_id = static_cast<int32_t>(std::lround(faces.at(i, 1)));
    f.x = faces.at(i, 2);
    f.y = faces.at(i, 3);
    f.w = faces.at(i, 4);
    f.h = faces.at(i, 5);
    f.score = faces.at(i, 6);
    f.activity = faces.at(i, 7);
    d.faces.push_back(f);
  }
  return d;
}

}  // namespace ff::coordinator
