// Thumbnail scene score and lower-face activity on hand-made planes.
#include "analysis/frame_features.h"

#include <gtest/gtest.h>

#include <vector>

namespace ff::analysis {
namespace {

struct Frame {
  int w, h;
  std::vector<uint8_t> y, u, v;
  Frame(int width, int height, uint8_t luma, uint8_t cb, uint8_t cr)
      : w(width),
        h(height),
        y(static_cast<size_t>(width * height), luma),
        u(static_cast<size_t>(width * height / 4), cb),
        v(static_cast<size_t>(width * height / 4), cr) {}
  kernels::PlaneView Y() const { return {y.data(), w, h, w}; }
  kernels::PlaneView U() const { return {u.data(), w / 2, h / 2, w / 2}; }
  kernels::PlaneView V() const { return {v.data(), w / 2, h / 2, w / 2}; }
  Thumbnail thumb() const { return make_thumbnail(Y(), U(), V()); }
};

TEST(SceneScore, IdenticalFramesScoreZero) {
  const Frame a(640, 360, 100, 128, 128);
  EXPECT_EQ(scene_score(a.thumb(), a.thumb()), 0.f);
}

TEST(SceneScore, WeightsLumaTwiceEachChromaOnce) {
  const Frame a(640, 360, 100, 128, 128);
  const Frame b(640, 360, 120, 128, 128);  // luma +20 -> 2*20/4 = 10
  EXPECT_FLOAT_EQ(scene_score(a.thumb(), b.thumb()), 10.f);
  const Frame c(640, 360, 100, 140, 116);  // chroma +-12 -> (12+12)/4 = 6
  EXPECT_FLOAT_EQ(scene_score(a.thumb(), c.thumb()), 6.f);
}

TEST(SceneScore, SymmetricAndWorksOnOddSizes) {
  const Frame a(1918, 1078, 10, 128, 128);
  const Frame b(1918, 1078, 250, 0, 255);
  EXPECT_FLOAT_EQ(scene_score(a.thumb(), b.thumb()), scene_score(b.thumb(), a.thumb()));
  EXPECT_FLOAT_EQ(scene_score(a.thumb(), b.thumb()), (2 * 240.f + 128 + 127) / 4);
}

TEST(Thumbnail, MeanLuma) {
  EXPECT_FLOAT_EQ(Frame(320, 180, 77, 128, 128).thumb().mean_luma(), 77.f);
}

TEST(LowerFace, RectIsTheMouthBandOfTheBox) {
  FaceBox face;
  face.x = 0.25f;
  face.y = 0.25f;
  face.w = 0.25f;
  face.h = 0.5f;
  const PixelRect r = lower_face_rect(face, 400, 200);  // box 100..200 x 50..150
  EXPECT_EQ(r.x, 130);                                  // the middle 40% of the width
  EXPECT_EQ(r.w, 40);
  EXPECT_EQ(r.y, 115);  // 65% .. 90% of the height
  EXPECT_EQ(r.h, 25);
}

TEST(LowerFace, ActivityMeasuresChangeOnlyInsideTheRect) {
  Frame prev(100, 100, 50, 128, 128);
  Frame cur = prev;
  for (int y = 10; y < 20; ++y)
    for (int x = 10; x < 20; ++x) cur.y[static_cast<size_t>(y * 100 + x)] = 80;  // +30 inside
  cur.y[0] = 255;  // change outside the rect is ignored
  EXPECT_FLOAT_EQ(region_activity(prev.Y(), cur.Y(), {10, 10, 10, 10}), 30.f);
  EXPECT_FLOAT_EQ(region_activity(prev.Y(), cur.Y(), {10, 10, 20, 10}), 15.f);
  // Clipped to the frame; fully outside gives 0.
  EXPECT_FLOAT_EQ(region_activity(prev.Y(), cur.Y(), {200, 200, 5, 5}), 0.f);
}

}  // namespace
}  // namespace ff::analysis
