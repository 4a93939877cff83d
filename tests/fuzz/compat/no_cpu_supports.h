/*
 * no_cpu_supports.h - forced into every file of the fuzz build by
 * scripts/fuzz (-include) when clang cannot compile
 * __builtin_cpu_supports("sha") (clang 14: "invalid cpu feature string"),
 * which etl/lib/sha256.c uses to pick its SHA-NI code path. With it the
 * check is false and the portable SHA-256 code is used; nothing else
 * changes. Not used when the compiler knows the feature.
 */
#ifndef NCC_FUZZ_NO_CPU_SUPPORTS_H
#define NCC_FUZZ_NO_CPU_SUPPORTS_H
#define __builtin_cpu_supports(feature) ((void)(feature), 0)
#endif
