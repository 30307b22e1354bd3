#include "coordinator/audio_shot_meters.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "core/error.h"

namespace ff::coordinator {
namespace {

media::LoudnessMeter make_meter(bool true_peak) {
  media::LoudnessMeter::Options options;
  options.loudness_range = false;
  options.true_peak = true_peak;
  return media::LoudnessMeter(options);
}

double to_db(double linear) {
  return linear > 0.0 ? 20.0 * std::log10(linear) : -HUGE_VAL;
}

}  // namespace

ShotMeters::ShotMeters(std::vector<int64_t> end_frame, bool true_peak, bool blocks)
    : end_frame_(std::move(end_frame)),
      true_peak_(true_peak),
      blocks_(blocks),
      programme_(make_meter(true_peak)),
      meter_(make_meter(false)) {
  if (end_frame_.empty()) throw RuntimeError("ShotMeters: no shots; this is a bug");
}

void ShotMeters::add(const float* data, size_t frames) {
  frames = std::min<size_t>(frames, static_cast<size_t>(end_frame_.back() - pos_));
  for (size_t offset = 0; offset < frames;) {
    int64_t take = std::min(static_cast<int64_t>(frames - offset), end_frame_[shots.size()] - pos_);
    if (blocks_) take = std::min(take, kBlockFrames - fed_ % kBlockFrames);
    const float* p = data + offset * kChannels;
    programme_.add_frames(p, static_cast<size_t>(take));
    if (true_peak_) peak_ = std::max(peak_, last_true_peak());
    meter_.add_frames(p, static_cast<size_t>(take));
    offset += static_cast<size_t>(take);
    pos_ += take;
    fed_ += take;
    if (blocks_ && fed_ % kBlockFrames == 0 && fed_ >= kMomentaryFrames) {
      block_end_s.push_back(static_cast<double>(pos_) / kRate);
      block_lufs.push_back(meter_.momentary_lufs());
    }
    if (pos_ == end_frame_[shots.size()]) {
      Shot& shot = shots.emplace_back();
      shot.lufs = meter_.integrated_lufs();
      shot.duration_s = static_cast<double>(fed_) / kRate;
      shot.true_peak_dbtp = to_db(peak_);
      shot.first_block = shots.size() > 1 ? shots[shots.size() - 2].end_block : 0;
      shot.end_block = block_lufs.size();
      meter_ = make_meter(false);
      fed_ = 0;
      peak_ = 0.0;
    }
  }
}

double ShotMeters::last_true_peak() const {
  double peak = 0.0;
  for (unsigned ch = 0; ch < static_cast<unsigned>(kChannels); ++ch) {
    double value = 0.0;
    if (ebur128_prev_true_peak(programme_.get(), ch, &value) != EBUR128_SUCCESS) {
      throw RuntimeError("ebur128_prev_true_peak failed on channel " + std::to_string(ch));
    }
    peak = std::max(peak, value);
  }
  return peak;
}

}  // namespace ff::coordinator
