#include "build_info.h"

// The section's size is the stamp's size: stamp_commit pads the commit with NULs to exactly
// VIGIL_COMMIT_SECTION_SIZE bytes (keep the two in step). Not const and not static, so the
// compiler cannot fold the reads below into the initial "unknown".
#define VIGIL_COMMIT_SECTION_SIZE 64
__attribute__((section("vigil_commit"), used, aligned(16)))
char vigil_commit_stamp[VIGIL_COMMIT_SECTION_SIZE] = "unknown";

const char *vigil_build_commit(void) {
    // A stamp always ends in a NUL; one that does not is not a stamp.
    if (vigil_commit_stamp[VIGIL_COMMIT_SECTION_SIZE - 1] != 0 || vigil_commit_stamp[0] == 0) return "unknown";
    return vigil_commit_stamp;
}
