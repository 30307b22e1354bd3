// ByteWriter/ByteReader: the payload format of farm results.
#include "core/bytes.h"

#include <gtest/gtest.h>

namespace ff {
namespace {

struct Pod {
  int32_t a;
  double b;
};

TEST(Bytes, RoundTripsValuesAndVectorsIncludingEmptyOnes) {
  ByteWriter w;
  w.put(Pod{7, 2.5});
  w.put_vector(std::vector<int64_t>{});  // empty: data() may be null
  w.put_vector(std::vector<int64_t>{1, -2, 3});
  const auto bytes = w.take();
  ByteReader r(bytes);
  const Pod p = r.get<Pod>();
  EXPECT_EQ(p.a, 7);
  EXPECT_EQ(p.b, 2.5);
  EXPECT_TRUE(r.get_vector<int64_t>().empty());
  EXPECT_EQ(r.get_vector<int64_t>(), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_TRUE(r.done());
}

TEST(Bytes, TruncatedPayloadIsAnErrorNotARead) {
  ByteWriter w;
  w.put_vector(std::vector<int32_t>{1, 2, 3});
  auto bytes = w.take();
  bytes.resize(bytes.size() - 1);
  ByteReader r(bytes);
  try {
    r.get_vector<int32_t>();
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "ByteReader: truncated payload");
  }
}

}  // namespace
}  // namespace ff
