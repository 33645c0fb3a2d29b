// OpenBLAS through dlopen: cblas_sgemm and the introspection calls (core name, threads, config).
// The prototypes are the standard CBLAS ones, declared here so no BLAS header is needed to build.
#include "host_libraries.h"
#include "library_loading.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

typedef void (*sgemm_function)(
    int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);

static struct {
    void *handle;
    sgemm_function sgemm;
    char *(*corename)(void);
    char *(*config)(void);
    int (*threads)(void);
} openblas;

int hl_openblas_load(char *error, size_t capacity) {
    if (openblas.sgemm != NULL) return 0;
    static const char *const defaults[] = {"libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"};
    const char *name = NULL, *last = NULL;
    void *handle = hl_open_library("DIFFNAS_OPENBLAS", defaults, sizeof defaults / sizeof defaults[0], &name, &last);
    if (handle == NULL) {
        hl_set_error(error, capacity, "OpenBLAS not found (install libopenblas-dev, or set DIFFNAS_OPENBLAS to its path): %s", last);
        return 1;
    }
    sgemm_function sgemm = (sgemm_function)dlsym(handle, "cblas_sgemm");
    if (sgemm == NULL) {
        hl_set_error(error, capacity, "%s has no cblas_sgemm", name);
        dlclose(handle);
        return 1;
    }
    openblas.handle = handle;
    openblas.sgemm = sgemm;
    openblas.corename = (char *(*)(void))dlsym(handle, "openblas_get_corename");
    openblas.config = (char *(*)(void))dlsym(handle, "openblas_get_config");
    openblas.threads = (int (*)(void))dlsym(handle, "openblas_get_num_threads");
    return 0;
}

const char *hl_openblas_corename(void) {
    return openblas.corename != NULL ? openblas.corename() : "unknown";
}

const char *hl_openblas_config(void) {
    return openblas.config != NULL ? openblas.config() : "unknown";
}

int hl_openblas_threads(void) {
    return openblas.threads != NULL ? openblas.threads() : 0;
}

void hl_openblas_sgemm(
    int transpose_a, int transpose_b, int m, int n, int k, float alpha, const float *a, int lda,
    const float *b, int ldb, float beta, float *c, int ldc) {
    openblas.sgemm(
        CBLAS_ROW_MAJOR, transpose_a ? CBLAS_TRANS : CBLAS_NO_TRANS, transpose_b ? CBLAS_TRANS : CBLAS_NO_TRANS,
        m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
