// Tests for reservations.c's NULL-set handling: init panics (a caller bug), remove reports "nothing removed".
#include "gtest/gtest.h"

extern "C" {
#include "mm/reservations.h"
}

namespace {

TEST(ReservationSet, RemoveFromNullSetRemovesNothing) {
  EXPECT_FALSE(mm_reservation_remove(nullptr, 0x1000, 0x2000, MM_RES_FIRMWARE, "fw"));
}

TEST(ReservationSetDeathTest, InitOfNullSetPanics) {
  mm_reservation storage[1];
  EXPECT_DEATH(mm_reservation_set_init(nullptr, storage, 1), "panic: mm_reservation_set_init: set is NULL");
}

}  // namespace
