#pragma once
// Debian's libsnappy-dev: the C API of snappy (block format, as remote write 1.0 uses it).
#include <snappy-c.h>
