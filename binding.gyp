# Builds motif's native compute core at `npm install` (node-gyp).
# The kernel sources in native/src/kernels/ are compiled once per instruction set into their own
# namespace (MOTIF_ISA), so one binary carries AVX-512, AVX2/FMA and portable paths and picks one
# at run time from CPUID. Non-x86 machines build only the portable path.
# Sources are listed by globbing so that adding a kernel file needs no edit here.
# kernels_generic is linked first, so where ISA builds emit the same inline/template code the
# portable copy is the one kept. The avx512 build does not enable AVX512_BF16 (not every AVX-512
# CPU has it): a bf16 kernel marks itself __attribute__((target("avx512bf16"))) and checks
# cpu_features().avx512_bf16 at run time.
{
  "variables": {
    "kernel_sources": ["<!@(node -p \"require('fs').readdirSync('native/src/kernels').filter(f => f.endsWith('.cc')).map(f => 'native/src/kernels/' + f).join(' ')\")"],
    "core_sources": ["<!@(node -p \"require('fs').readdirSync('native/src').filter(f => f.endsWith('.cc')).map(f => 'native/src/' + f).join(' ')\")"],
    "common_flags": ["-O3", "-std=c++17", "-fPIC", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wno-unused-function"]
  },
  "target_defaults": {
    "cflags!": ["-fno-exceptions", "-O2"],
    "cflags_cc!": ["-fno-exceptions", "-O2", "-std=gnu++17", "-std=gnu++20"],
    "include_dirs": ["native/src"]
  },
  "targets": [
    {
      "target_name": "kernels_generic",
      "type": "static_library",
      "sources": ["<@(kernel_sources)"],
      "defines": ["MOTIF_ISA=generic"],
      "cflags_cc": ["<@(common_flags)"]
    },
    {
      "target_name": "motif_native",
      "sources": ["<@(core_sources)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags_cc": ["<@(common_flags)", "-fexceptions", "-pthread"],
      "ldflags": ["-pthread"],
      "dependencies": ["kernels_generic"],
      "conditions": [
        ["target_arch=='x64'", {
          "dependencies": ["kernels_avx2", "kernels_avx512"],
          "defines": ["MOTIF_HAVE_X86_KERNELS"]
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "kernels_avx2",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["MOTIF_ISA=avx2"],
          "cflags_cc": ["<@(common_flags)", "-mavx2", "-mfma", "-mf16c"]
        },
        {
          "target_name": "kernels_avx512",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["MOTIF_ISA=avx512"],
          "cflags_cc": ["<@(common_flags)", "-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mprefer-vector-width=512"]
        }
      ]
    }]
  ]
}
