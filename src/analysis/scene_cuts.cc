#include "analysis/scene_cuts.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/downscale.h"

namespace ff::analysis {
namespace {

template <typename T>
[[noreturn]] void bad_param(const char* field, T value, const char* allowed) {
  std::ostringstream os;
  os << "cut params: " << field << " = " << value << " is out of range; must be " << allowed;
  throw std::invalid_argument(os.str());
}

// Streams its arguments into one "detect_cuts: ..." message and throws it.
template <typename... Parts>
[[noreturn]] void bad_input(const Parts&... parts) {
  std::ostringstream os;
  os << "detect_cuts: ";
  (os << ... << parts);
  throw std::invalid_argument(os.str());
}

void check_inputs(const std::vector<ScanFrame>& frames, const FrameSignatures& signatures,
                  const CutParams& params) {
  for (size_t i = 0; i < frames.size(); ++i) {
    const ScanFrame& f = frames[i];
    if (!std::isfinite(f.scene_score) || f.scene_score < 0.f) {
      bad_input("scene_score of src_frame ", f.src_frame, " is ", f.scene_score,
                "; scores must be finite and >= 0");
    }
    if (!std::isfinite(f.time_s)) bad_input("time_s of src_frame ", f.src_frame, " is not finite");
    if (i > 0 && f.src_frame <= frames[i - 1].src_frame) {
      bad_input("src_frame ", f.src_frame, " follows src_frame ", frames[i - 1].src_frame,
                "; frames must be in increasing order");
    }
    if (i > 0 && f.time_s < frames[i - 1].time_s) {
      bad_input("time_s of src_frame ", f.src_frame,
                " is earlier than the frame before; times must not decrease");
    }
  }
  if (params.flash_max_frames == 0) return;
  if (signatures.size <= 0) {
    bad_input("signature size is ", signatures.size,
              "; the flash filter needs one signature per frame (or flash_max_frames = 0)");
  }
  const size_t expected = frames.size() * static_cast<size_t>(signatures.size);
  if (signatures.values.size() != expected) {
    bad_input("signatures hold ", signatures.values.size(), " values; ", frames.size(),
              " frames of size ", signatures.size, " need ", expected);
  }
}

// Marks the frames of every flash (rule 2 of the header): in, held, way out.
std::vector<bool> flash_frames(const std::vector<ScanFrame>& frames,
                               const FrameSignatures& signatures, const CutParams& params) {
  const size_t n = frames.size();
  std::vector<bool> flash(n, false);
  if (params.flash_max_frames == 0) return flash;
  const auto row = [&](size_t i) {
    return signatures.values.data() + i * static_cast<size_t>(signatures.size);
  };
  for (size_t i = 1; i < n; ++i) {
    if (frames[i].scene_score < params.min_content) continue;
    const size_t last = std::min(n - 1, i + static_cast<size_t>(params.flash_max_frames));
    for (size_t j = i + 1; j <= last; ++j) {
      if (frames[j].scene_score < params.min_content) continue;
      if (signature_distance(row(i - 1), row(j), signatures.size) <= params.flash_return_max_diff) {
        std::fill(flash.begin() + static_cast<std::ptrdiff_t>(i),
                  flash.begin() + static_cast<std::ptrdiff_t>(j) + 1, true);
        break;
      }
    }
  }
  return flash;
}

// Rule 1: the adaptive threshold over the neighbours' mean.
bool is_candidate(const std::vector<ScanFrame>& frames, size_t i, const CutParams& params) {
  const double score = frames[i].scene_score;
  if (score < params.min_content) return false;
  const size_t w = static_cast<size_t>(params.window_frames);
  const size_t first = std::max<size_t>(1, i > w ? i - w : 0);
  const size_t last = std::min(frames.size() - 1, i + w);
  double sum = 0.0;
  int count = 0;
  for (size_t j = first; j <= last; ++j) {
    if (j == i) continue;
    sum += frames[j].scene_score;
    ++count;
  }
  const double mean = count > 0 ? sum / count : 0.0;
  return score >= params.adaptive_ratio * mean;
}

}  // namespace

void CutParams::validate() const {
  if (!(adaptive_ratio >= 1.0) || !std::isfinite(adaptive_ratio)) {
    bad_param("adaptive_ratio", adaptive_ratio, ">= 1 (finite)");
  }
  if (!(min_content >= 0.0 && min_content <= 255.0)) {
    bad_param("min_content", min_content, "in 0..255");
  }
  if (window_frames < 1) bad_param("window_frames", window_frames, ">= 1");
  if (!(min_scene_s >= 0.0) || !std::isfinite(min_scene_s)) {
    bad_param("min_scene_s", min_scene_s, ">= 0 (finite)");
  }
  if (flash_max_frames < 0) bad_param("flash_max_frames", flash_max_frames, ">= 0");
  if (!(flash_return_max_diff >= 0.0 && flash_return_max_diff <= 255.0)) {
    bad_param("flash_return_max_diff", flash_return_max_diff, "in 0..255");
  }
}

std::vector<float> luma_signature(kernels::PlaneView luma) {
  if (luma.width < kSignatureSide || luma.height < kSignatureSide) {
    throw std::invalid_argument("luma_signature: plane is " + std::to_string(luma.width) + "x" +
                                std::to_string(luma.height) + "; it must be at least " +
                                std::to_string(kSignatureSide) + "x" +
                                std::to_string(kSignatureSide));
  }
  std::vector<uint8_t> thumb(kSignatureSize);
  kernels::downscale_area_cpu(luma, {thumb.data(), kSignatureSide, kSignatureSide, kSignatureSide});
  return {thumb.begin(), thumb.end()};
}

double signature_distance(const float* a, const float* b, int size) {
  if (size <= 0) return 0.0;
  double sum = 0.0;
  for (int k = 0; k < size; ++k) sum += std::fabs(static_cast<double>(a[k]) - b[k]);
  return sum / size;
}

std::vector<int64_t> detect_cuts(const std::vector<ScanFrame>& frames,
                                 const FrameSignatures& signatures, const CutParams& params) {
  params.validate();
  check_inputs(frames, signatures, params);
  std::vector<int64_t> cuts;
  if (frames.size() < 2) return cuts;

  const std::vector<bool> flash = flash_frames(frames, signatures, params);
  // Rule 3 over the surviving candidates; `kept` indexes frames. The video
  // start acts as a cut nobody can beat.
  std::vector<size_t> kept;
  for (size_t i = 1; i < frames.size(); ++i) {
    if (flash[i] || !is_candidate(frames, i, params)) continue;
    const double prev_time_s = kept.empty() ? frames[0].time_s : frames[kept.back()].time_s;
    // The 1e-9 keeps a gap of exactly min_scene_s (15 frames at 30 fps) in.
    if (frames[i].time_s - prev_time_s >= params.min_scene_s - 1e-9) {
      kept.push_back(i);
    } else if (!kept.empty() && frames[i].scene_score > frames[kept.back()].scene_score) {
      kept.back() = i;  // later than the one it replaces, so still far enough from the one before
    }
  }
  cuts.reserve(kept.size());
  for (size_t i : kept) cuts.push_back(frames[i].src_frame);
  return cuts;
}

double cut_f1(const std::vector<int64_t>& truth, const std::vector<int64_t>& found,
              int tolerance_frames) {
  if (tolerance_frames < 0) {
    throw std::invalid_argument("cut_f1: tolerance_frames = " + std::to_string(tolerance_frames) +
                                " is out of range; must be >= 0");
  }
  if (truth.empty() && found.empty()) return 1.0;
  std::vector<int64_t> t = truth, f = found;
  std::sort(t.begin(), t.end());
  std::sort(f.begin(), f.end());
  // Windows of equal width on a line: matching each truth cut to the earliest
  // unmatched found cut in its window gives a maximum matching.
  size_t i = 0, j = 0, matches = 0;
  while (i < t.size() && j < f.size()) {
    if (f[j] < t[i] - tolerance_frames) {
      ++j;
    } else if (f[j] > t[i] + tolerance_frames) {
      ++i;
    } else {
      ++matches;
      ++i;
      ++j;
    }
  }
  return 2.0 * static_cast<double>(matches) / static_cast<double>(t.size() + f.size());
}

}  // namespace ff::analysis
