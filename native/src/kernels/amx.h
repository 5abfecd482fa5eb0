// The AMX tile configuration shared by the AMX GEMM (gemm_bf16.cc) and its peak probe (peak.cc):
// all eight tiles at palette 1's full size, 16 rows × 64 bytes. Built by the avx512 build only;
// callers must have checked cpu_features().amx() (CPUID, XCR0 and Linux's permission).
#pragma once
#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

#include <cstdint>

namespace motif {
namespace MOTIF_ISA {

constexpr int kTileRows = 16, kTileBytes = 64;

/** The 64-byte LDTILECFG operand (Intel SDM, "LDTILECFG"): palette, start row, then per tile its bytes
 *  per row and its rows; tiles 8–15 do not exist in palette 1 and must stay zero. */
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
  TileConfig() {
    for (int t = 0; t < 8; t++) colsb[t] = kTileBytes, rows[t] = kTileRows;
  }
};

/** Loads the configuration on the calling thread: tile state is per thread, and LDTILECFG also
 *  zeroes every tile. Each GEMM block and probe loads it rather than trusting a previous owner. */
__attribute__((target("amx-tile"))) inline void amx_configure() {
  static const TileConfig config;
  _tile_loadconfig(&config);
}

/** Returns the tiles to their init state, so that the kernel need not save 8 KiB of tile data at
 *  every context switch of a thread that has finished its tile work. */
__attribute__((target("amx-tile"))) inline void amx_release() { _tile_release(); }

}  // namespace MOTIF_ISA
}  // namespace motif
#endif
