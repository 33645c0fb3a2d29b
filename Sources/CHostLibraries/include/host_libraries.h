// CHostLibraries: the native CPU libraries `diffnas bench` compares against — OpenBLAS's
// cblas_sgemm and oneDNN's convolutions — loaded at run time with dlopen, so a machine without
// them still builds and runs every benchmark and reports the comparator as missing, with why.
//
// Every function that can fail writes a one-line reason into `error` (capacity `capacity`) and
// returns a non-zero status (or NULL).
#ifndef DIFFNAS_HOST_LIBRARIES_H
#define DIFFNAS_HOST_LIBRARIES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: OpenBLAS

/// Loads OpenBLAS ($DIFFNAS_OPENBLAS alone when set, else libopenblas.so.0 / .so / .dylib)
/// and resolves cblas_sgemm. 0 on success; idempotent.
int hl_openblas_load(char *error, size_t capacity);
/// The kernel set OpenBLAS chose at load (e.g. "SkylakeX", "Haswell"; OPENBLAS_CORETYPE forces
/// it), or "unknown". Valid after a successful load.
const char *hl_openblas_corename(void);
/// OpenBLAS's build configuration string, or "unknown".
const char *hl_openblas_config(void);
/// The number of threads OpenBLAS runs with (0 when unknown).
int hl_openblas_threads(void);
/// Row-major cblas_sgemm: C[m×n] = alpha·op(A)·op(B) + beta·C.
void hl_openblas_sgemm(
    int transpose_a, int transpose_b, int m, int n, int k, float alpha, const float *a, int lda,
    const float *b, int ldb, float beta, float *c, int ldc);

// MARK: oneDNN

/// Loads oneDNN ($DIFFNAS_ONEDNN alone when set, else libdnnl.so.2 / .so / .2.dylib) and resolves
/// the C API this shim uses (oneDNN 2.x). 0 on success; idempotent. Fails with a reason when the
/// shim was built without oneDNN 2.x headers.
int hl_dnnl_load(char *error, size_t capacity);
/// "2.6.3 (OpenMP, 2 threads)" or "unknown". Valid after a successful load.
const char *hl_dnnl_description(void);

/// The three passes of a convolution.
enum hl_conv_pass { HL_CONV_FORWARD = 0, HL_CONV_BACKWARD_DATA = 1, HL_CONV_BACKWARD_WEIGHTS = 2 };

/// One oneDNN convolution pass ready to execute: the primitive with the layouts oneDNN prefers
/// for this shape (format tag `any`), its inputs already reordered into them.
typedef struct hl_dnnl_convolution hl_dnnl_convolution;

/// Builds `pass` of the 2-D cross-correlation with square kernel `kernel`, equal padding on
/// both sides, dilation `dilation` (1: none), `groups` groups, no bias, float32. Inputs are plain NCHW / OIHW (GOIHW for groups
/// > 1) host arrays: x [batch, in, h, w], weight [out, in/groups, k, k], dy [batch, out, oh, ow]
/// (dy unused by the forward pass, x unused by the data gradient). NULL on failure.
hl_dnnl_convolution *hl_dnnl_convolution_create(
    int pass, int batch, int in_channels, int height, int width, int out_channels, int kernel, int stride,
    int padding, int dilation, int groups, const float *x, const float *weight, const float *dy, char *error,
    size_t capacity);
/// Executes the primitive once and waits for it. 0 on success.
int hl_dnnl_convolution_run(hl_dnnl_convolution *conv, char *error, size_t capacity);
/// Elements of the pass's output (y, dx or dw).
size_t hl_dnnl_convolution_output_count(const hl_dnnl_convolution *conv);
/// Copies the latest output into `output` in the plain layout (reordering from oneDNN's). 0 on success.
int hl_dnnl_convolution_output(hl_dnnl_convolution *conv, float *output, char *error, size_t capacity);
/// The implementation oneDNN picked, e.g. "jit:avx512_core" (its impl_info_str).
const char *hl_dnnl_convolution_implementation(const hl_dnnl_convolution *conv);
void hl_dnnl_convolution_destroy(hl_dnnl_convolution *conv);

#ifdef __cplusplus
}
#endif
#endif
