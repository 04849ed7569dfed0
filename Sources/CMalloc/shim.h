// glibc's allocator tuning (mallopt, M_ARENA_MAX), which Swift's Glibc module does not import.
// Part of glibc: nothing to link. Imported only by Vigil's MemoryFootprint.
#include <malloc.h>
