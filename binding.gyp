{
  "target_defaults": {
    "cflags!": ["-fno-exceptions", "-O2"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-O2"],
    "cflags": ["-O3", "-fno-math-errno", "-fPIC"],
    "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno", "-fPIC"]
  },
  "targets": [
    {
      "target_name": "kernels_portable",
      "type": "static_library",
      "sources": [
        "native/src/gemm_f32_portable.cc",
        "native/src/gemm_half_portable.cc",
        "native/src/gemv_portable.cc"
      ]
    },
    {
      "target_name": "kernels_avx2",
      "type": "static_library",
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c"],
      "sources": [
        "native/src/gemm_f32_avx2.cc",
        "native/src/gemm_half_avx2.cc",
        "native/src/gemv_avx2.cc"
      ]
    },
    {
      "target_name": "kernels_avx512",
      "type": "static_library",
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512bf16"],
      "sources": [
        "native/src/gemm_f32_avx512.cc",
        "native/src/gemm_half_avx512.cc",
        "native/src/gemv_avx512.cc"
      ]
    },
    {
      "target_name": "quant_portable",
      "type": "static_library",
      "cflags_cc": ["-ffp-contract=off"],
      "sources": [
        "native/src/dequant_portable.cc",
        "native/src/quant_search.cc",
        "native/src/quantize_legacy.cc",
        "native/src/quantize_kquants.cc",
        "native/src/quantize_iq4.cc"
      ]
    },
    {
      "target_name": "quant_avx2",
      "type": "static_library",
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-ffp-contract=off"],
      "sources": ["native/src/dequant_avx2.cc"]
    },
    {
      "target_name": "quant_avx512",
      "type": "static_library",
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-ffp-contract=off"],
      "sources": ["native/src/dequant_avx512.cc"]
    },
    {
      "target_name": "kernels_amx",
      "type": "static_library",
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512bf16", "-mamx-tile", "-mamx-bf16"],
      "sources": ["native/src/gemm_half_amx.cc"]
    },
    {
      "target_name": "shorten_native",
      "dependencies": ["kernels_portable", "kernels_avx2", "kernels_avx512", "kernels_amx", "quant_portable", "quant_avx2", "quant_avx512"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "sources": [
        "native/src/addon.cc",
        "native/src/heap_pages.cc",
        "native/src/ops_addon.cc",
        "native/src/ops_rmsnorm.cc",
        "native/src/ops_rope.cc",
        "native/src/ops_attention.cc",
        "native/src/ops_silu_gate.cc",
        "native/src/ops_cached_attention.cc",
        "native/src/ops_cross_entropy.cc",
        "native/src/ops_kl_divergence.cc",
        "native/src/vec_exp.cc",
        "native/src/ops_dropout.cc",
        "native/src/ops_fill_normal.cc",
        "native/src/ops_add.cc",
        "native/src/ops_salience.cc",
        "native/src/ops_adamw.cc",
        "native/src/cpu_features.cc",
        "native/src/thread_pool.cc",
        "native/src/convert.cc",
        "native/src/gemm_dispatch.cc",
        "native/src/machine_probe.cc",
        "native/src/quant_dispatch.cc",
        "native/src/quant_addon.cc"
      ]
    }
  ]
}
