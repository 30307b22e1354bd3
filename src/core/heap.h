#pragma once
// Deterministic heap contents, so that encoded bytes do not depend on the
// process's history.
//
// Why: libx264 0.164 (Debian 12) reads bytes of its own heap buffers that it
// has not written yet in the macroblock-tree pass (mbtree, on by default) for
// some frame widths (540 wide shows it; 576 and 1080 do not). Those bytes are
// whatever an earlier allocation of the process left there, so two processes
// encoding identical pictures with identical settings wrote different
// bitstreams: the same job gave different bytes from run to run and between
// 1 and 3 ranks (docs/status.md has the hunt; mbtree=0 or glibc's
// MALLOC_PERTURB_ made it repeatable, valgrind saw nothing because the value
// never reaches a branch it instruments).
//
// What: glibc's M_PERTURB fills every block malloc hands out (and every block
// freed) with a fixed byte, so memory nobody wrote reads the same in every
// process; a fixed M_MMAP_THRESHOLD stops glibc from moving the threshold by
// the process's own history, which would decide per run whether a large
// buffer comes from mmap or from the heap. The cost
// is one memset per allocation: within noise on a whole job (docs/status.md).
// Limit: blocks up to about 1 KiB that glibc hands out from its per-thread
// cache (tcache) are not filled (only the GLIBC_TUNABLES environment variable
// can turn that cache off, before the process starts); libx264's frame and
// lookahead buffers are far larger.
//
// Call it once, first thing in main(), before any thread starts:
//   int main(int argc, char** argv) {
//     ff::core::make_heap_deterministic();
//     ...
namespace ff::core {

// The byte glibc fills fresh blocks with is kHeapPerturbByte ^ 0xff.
inline constexpr int kHeapPerturbByte = 0x55;
// Blocks of this size or more come from mmap (filled the same way).
inline constexpr int kMmapThresholdBytes = 8 << 20;

// Returns false when the C library refused (not glibc, or an old one); the
// caller goes on: output is then only as repeatable as the encoder makes it.
bool make_heap_deterministic();

}  // namespace ff::core
