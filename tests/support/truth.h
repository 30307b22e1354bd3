#pragma once
// The ground truth the recording generator writes beside each recording
// (tests/recordings/truth.py: schema "framefarm.recording/1").
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ff::test {

struct TruthBox {
  double x = 0, y = 0, w = 0, h = 0;  // normalised
  double cx() const { return x + w / 2; }
  double cy() const { return y + h / 2; }
};

struct TruthFace {
  std::string who;              // "A" or "B"
  std::vector<TruthBox> boxes;  // one per frame of the shot
};

struct TruthShot {
  int64_t start_frame = 0, end_frame = 0;
  std::string layout;  // "gallery", "speaker", "screen"
  std::vector<TruthFace> faces;
};

struct TruthTurn {
  std::string who;
  double start_s = 0, end_s = 0;
};

struct Truth {
  int width = 0, height = 0;
  double fps = 0;
  int64_t frames = 0;
  double duration_s = 0;
  std::vector<int64_t> cut_frames;
  std::vector<TruthShot> shots;
  std::vector<TruthTurn> turns;

  const TruthShot& shot_of(int64_t frame) const;
  // Who speaks at time t, if anyone.
  std::optional<std::string> speaker_at(double t) const;
};

Truth load_truth(const std::filesystem::path& json_file);

}  // namespace ff::test
