// Kernel profiles by name and the facts that tell versions apart.

#include "resource_tree/kernel_profile.h"

#include "gtest/gtest.h"

namespace restree {
namespace {

TEST(KernelProfileTest, ProfilesByName) {
  for (const KernelProfile& p : KernelProfile::All()) {
    ASSERT_TRUE(KernelProfile::ByName(p.name).has_value()) << p.name;
    EXPECT_EQ(KernelProfile::ByName(p.name)->name, p.name);
  }
  EXPECT_FALSE(KernelProfile::ByName("linux-2.4").has_value());
  EXPECT_EQ(KernelProfile::Linux70().proc_max_depth, 8);
  EXPECT_FALSE(KernelProfile::Vanilla61().region_intersects_descendants);
}

}  // namespace
}  // namespace restree
