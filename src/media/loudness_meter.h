#pragma once
// LoudnessMeter: one EBU R 128 / ITU-R BS.1770 measurement, a thin RAII
// wrapper over libebur128's ebur128_state.
//
// Input: interleaved float frames (1.0 = full scale), normally 48 kHz stereo
// as the audio phase resamples to (DESIGN.md §1, phase 5). Output:
//   integrated_lufs()    gated integrated loudness of everything fed so far
//   loudness_range_lu()  EBU Tech 3342 loudness range
//   momentary_lufs()     last 400 ms; shortterm_lufs(): last 3 s
//   sample_peak()        max |sample| over all channels, linear (1.0 = 0 dBFS)
//   true_peak()          max over all channels on libebur128's 4x oversampled
//                        signal, linear (1.0 = 0 dBTP); *_dbtp() in dB
//   programme_lufs()     gated integrated loudness across several meters
//                        (ebur128_loudness_global_multiple): one meter per
//                        shot, one programme number, gating done once.
// Silence and inputs shorter than one 400 ms block measure -inf LUFS.
//
// Every libebur128 call is checked; a failure throws ff::RuntimeError naming
// the call and libebur128's code, e.g.
//   "ebur128_loudness_range failed: EBUR128_ERROR_INVALID_MODE (2); ..."
//
// Example:
//   ff::media::LoudnessMeter meter;                 // 2 ch, 48 kHz, all modes
//   meter.add_frames(samples.data(), samples.size() / 2);
//   double lufs = meter.integrated_lufs();          // e.g. -23.0
//   double tp_dbtp = meter.true_peak_dbtp();        // e.g. -1.2
#include <ebur128.h>

#include <cstddef>
#include <memory>
#include <span>

namespace ff::media {

class LoudnessMeter {
 public:
  struct Options {
    int channels = 2;
    int sample_rate_hz = 48000;
    bool loudness_range = true;  // EBUR128_MODE_LRA (keeps short-term history)
    bool true_peak = true;       // EBUR128_MODE_TRUE_PEAK (4x oversampling, costs CPU)
  };

  LoudnessMeter() : LoudnessMeter(Options{}) {}
  explicit LoudnessMeter(const Options& options);
  LoudnessMeter(LoudnessMeter&&) noexcept = default;
  LoudnessMeter& operator=(LoudnessMeter&&) noexcept = default;

  // The underlying state, for libebur128 calls this class does not wrap.
  ebur128_state* get() const { return state_.get(); }

  // `frames` frames of options().channels interleaved samples each.
  void add_frames(const float* interleaved, size_t frames);

  double integrated_lufs() const;
  double loudness_range_lu() const;  // needs Options::loudness_range
  double momentary_lufs() const;
  double shortterm_lufs() const;
  double sample_peak() const;     // needs Options::true_peak (sample peak comes with it)
  double true_peak() const;       // needs Options::true_peak
  double true_peak_dbtp() const;  // 20 log10(true_peak()); -inf for silence
  double sample_peak_dbfs() const;

  const Options& options() const { return options_; }
  size_t frames_added() const { return frames_added_; }

  // Integrated loudness of the concatenation of everything the meters saw,
  // gated as one programme. Throws when `meters` is empty or holds null.
  static double programme_lufs(std::span<LoudnessMeter* const> meters);

 private:
  Options options_;
  size_t frames_added_ = 0;
  struct StateDeleter {
    void operator()(ebur128_state* state) const { ebur128_destroy(&state); }
  };
  std::unique_ptr<ebur128_state, StateDeleter> state_;
};

}  // namespace ff::media
