// onyx::Shape (the IR's shape type, not the Shape op).
#include <gtest/gtest.h>

#include "onyx/shape.h"

namespace onyx {
namespace {

TEST(ShapeType, FitsComparesRankAndKnownDimensionsOnly) {
  const Shape s({Dim::symbol("batch"), Dim(3), Dim::unknown()});
  EXPECT_TRUE(s.fits({8, 3, 5}));
  EXPECT_TRUE(s.fits({1, 3, 0}));
  EXPECT_FALSE(s.fits({8, 4, 5}));  // a known dimension differs
  EXPECT_FALSE(s.fits({8, 3}));     // rank differs
  EXPECT_FALSE(s.fits({8, 3, 5, 1}));
  EXPECT_TRUE(Shape::unknown_rank().fits({2, 2}));
  EXPECT_TRUE(Shape(std::vector<Dim>{}).fits({}));
  EXPECT_FALSE(Shape(std::vector<Dim>{}).fits({1}));
}

}  // namespace
}  // namespace onyx
