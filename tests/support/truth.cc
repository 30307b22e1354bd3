#include "support/truth.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ff::test {

const TruthShot& Truth::shot_of(int64_t frame) const {
  for (const auto& s : shots) {
    if (frame >= s.start_frame && frame < s.end_frame) return s;
  }
  throw std::out_of_range("truth: no shot holds frame " + std::to_string(frame));
}

std::optional<std::string> Truth::speaker_at(double t) const {
  for (const auto& turn : turns) {
    if (t >= turn.start_s && t < turn.end_s) return turn.who;
  }
  return std::nullopt;
}

Truth load_truth(const std::filesystem::path& json_file) {
  std::ifstream in(json_file);
  if (!in) throw std::runtime_error("cannot read ground truth " + json_file.string());
  const auto j = nlohmann::json::parse(in);
  Truth t;
  t.width = j.at("width").get<int>();
  t.height = j.at("height").get<int>();
  t.fps = j.at("fps").get<double>();
  t.frames = j.at("frames").get<int64_t>();
  t.duration_s = j.at("duration_s").get<double>();
  for (const auto& c : j.at("cuts")) t.cut_frames.push_back(c.at("frame").get<int64_t>());
  for (const auto& s : j.at("shots")) {
    TruthShot shot;
    shot.start_frame = s.at("start_frame").get<int64_t>();
    shot.end_frame = s.at("end_frame").get<int64_t>();
    shot.layout = s.at("layout").get<std::string>();
    for (const auto& f : s.at("faces")) {
      TruthFace face;
      face.who = f.at("who").get<std::string>();
      for (const auto& b : f.at("boxes")) {
        face.boxes.push_back({b.at(0).get<double>(), b.at(1).get<double>(), b.at(2).get<double>(),
                              b.at(3).get<double>()});
      }
      shot.faces.push_back(std::move(face));
    }
    t.shots.push_back(std::move(shot));
  }
  for (const auto& turn : j.at("speech_turns")) {
    t.turns.push_back({turn.at("who").get<std::string>(), turn.at("start_s").get<double>(),
                       turn.at("end_s").get<double>()});
  }
  return t;
}

}  // namespace ff::test
