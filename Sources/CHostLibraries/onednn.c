// oneDNN 2.x through dlopen: the convolution forward, backward-data and backward-weights
// primitives with the layouts oneDNN prefers (format tag `any`), as a framework on oneDNN runs
// them; reorders between those layouts and plain NCHW/OIHW happen at setup and when the output
// is read, never inside `hl_dnnl_convolution_run`. Built only where the oneDNN 2.x headers are
// (their types and prototypes); elsewhere every call reports that the shim lacks them.
#include "host_libraries.h"
#include "library_loading.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#if defined(__has_include)
#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <oneapi/dnnl/dnnl.h>
#if DNNL_VERSION_MAJOR == 2
#define HL_HAVE_DNNL 1
#endif
#endif
#endif

#ifndef HL_HAVE_DNNL

int hl_dnnl_load(char *error, size_t capacity) {
    hl_set_error(error, capacity, "built without the oneDNN 2.x headers (install libdnnl-dev and rebuild)");
    return 1;
}
const char *hl_dnnl_description(void) { return "unknown"; }
hl_dnnl_convolution *hl_dnnl_convolution_create(
    int pass, int batch, int in_channels, int height, int width, int out_channels, int kernel, int stride,
    int padding, int dilation, int groups, const float *x, const float *weight, const float *dy, char *error,
    size_t capacity) {
    hl_dnnl_load(error, capacity);
    return NULL;
}
int hl_dnnl_convolution_run(hl_dnnl_convolution *conv, char *error, size_t capacity) { return hl_dnnl_load(error, capacity); }
size_t hl_dnnl_convolution_output_count(const hl_dnnl_convolution *conv) { return 0; }
int hl_dnnl_convolution_output(hl_dnnl_convolution *conv, float *output, char *error, size_t capacity) {
    return hl_dnnl_load(error, capacity);
}
const char *hl_dnnl_convolution_implementation(const hl_dnnl_convolution *conv) { return "unknown"; }
void hl_dnnl_convolution_destroy(hl_dnnl_convolution *conv) {}

#else

// The C API entry points used, resolved from the loaded library.
#define HL_DNNL_FUNCTIONS(X)                                                                        \
    X(dnnl_version) X(dnnl_engine_create) X(dnnl_engine_destroy) X(dnnl_stream_create)               \
    X(dnnl_stream_destroy) X(dnnl_stream_wait) X(dnnl_memory_desc_init_by_tag) X(dnnl_memory_create) \
    X(dnnl_memory_destroy) X(dnnl_memory_get_data_handle) X(dnnl_dilated_convolution_forward_desc_init)      \
    X(dnnl_dilated_convolution_backward_data_desc_init) X(dnnl_dilated_convolution_backward_weights_desc_init)       \
    X(dnnl_primitive_desc_create) X(dnnl_primitive_desc_destroy) X(dnnl_primitive_desc_query)        \
    X(dnnl_primitive_desc_query_md) X(dnnl_primitive_create) X(dnnl_primitive_destroy)               \
    X(dnnl_primitive_execute) X(dnnl_reorder_primitive_desc_create)

static struct {
    void *handle;
#define HL_FIELD(name) __typeof__(&name) name;
    HL_DNNL_FUNCTIONS(HL_FIELD)
#undef HL_FIELD
    char description[128];
} dnnl;

int hl_dnnl_load(char *error, size_t capacity) {
    if (dnnl.handle != NULL) return 0;
    static const char *const defaults[] = {"libdnnl.so.2", "libdnnl.so", "libdnnl.2.dylib"};
    const char *opened = NULL, *last = NULL;
    void *handle = hl_open_library("DIFFNAS_ONEDNN", defaults, sizeof defaults / sizeof defaults[0], &opened, &last);
    if (handle == NULL) {
        hl_set_error(error, capacity, "oneDNN not found (install libdnnl-dev, or set DIFFNAS_ONEDNN to its path): %s", last);
        return 1;
    }
#define HL_RESOLVE(name)                                                              \
    dnnl.name = (__typeof__(&name))dlsym(handle, #name);                              \
    if (dnnl.name == NULL) {                                                          \
        hl_set_error(error, capacity, "the loaded oneDNN has no %s (not a 2.x library)", #name); \
        dlclose(handle);                                                              \
        return 1;                                                                     \
    }
    HL_DNNL_FUNCTIONS(HL_RESOLVE)
#undef HL_RESOLVE
    const dnnl_version_t *version = dnnl.dnnl_version();
    if (version->major != 2) {
        hl_set_error(error, capacity, "oneDNN %d.%d is loaded; this shim speaks the 2.x API", version->major, version->minor);
        dlclose(handle);
        return 1;
    }
    int (*omp_threads)(void) = (int (*)(void))dlsym(handle, "omp_get_max_threads");
    const char *runtime = version->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP"
                          : version->cpu_runtime == DNNL_RUNTIME_SEQ ? "sequential"
                                                                      : "threadpool/TBB";
    if (omp_threads != NULL && version->cpu_runtime == DNNL_RUNTIME_OMP) {
        snprintf(dnnl.description, sizeof dnnl.description, "%d.%d.%d (%s, %d threads)", version->major,
                 version->minor, version->patch, runtime, omp_threads());
    } else {
        snprintf(dnnl.description, sizeof dnnl.description, "%d.%d.%d (%s)", version->major, version->minor,
                 version->patch, runtime);
    }
    dnnl.handle = handle;
    return 0;
}

const char *hl_dnnl_description(void) { return dnnl.handle != NULL ? dnnl.description : "unknown"; }

struct hl_dnnl_convolution {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_desc_t forward_pd, pd;
    dnnl_primitive_t primitive;
    // The primitive's arguments in oneDNN's layouts; the last one is the output.
    dnnl_exec_arg_t arguments[3];
    int argument_count;
    // The output in the plain layout, and the reorder that fills it.
    dnnl_memory_t plain_output;
    dnnl_primitive_t output_reorder;
    size_t output_count;
    char implementation[128];
};

#define HL_CHECK(call)                                                                       \
    do {                                                                                     \
        dnnl_status_t status_ = (call);                                                      \
        if (status_ != dnnl_success) {                                                       \
            hl_set_error(error, capacity, "oneDNN %s failed with status %d", #call, (int)status_); \
            return 1;                                                                        \
        }                                                                                    \
    } while (0)

/// Runs a reorder `from` → `to` (memories on the shim's engine) once and waits.
static int reorder(hl_dnnl_convolution *c, dnnl_memory_t from, const dnnl_memory_desc_t *from_md, dnnl_memory_t to,
                   const dnnl_memory_desc_t *to_md, dnnl_primitive_t *keep, char *error, size_t capacity) {
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t primitive;
    HL_CHECK(dnnl.dnnl_reorder_primitive_desc_create(&pd, from_md, c->engine, to_md, c->engine, NULL));
    dnnl_status_t status = dnnl.dnnl_primitive_create(&primitive, pd);
    dnnl.dnnl_primitive_desc_destroy(pd);
    HL_CHECK(status);
    if (keep != NULL) {
        *keep = primitive;
        return 0;
    }
    dnnl_exec_arg_t arguments[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    status = dnnl.dnnl_primitive_execute(primitive, c->stream, 2, arguments);
    if (status == dnnl_success) status = dnnl.dnnl_stream_wait(c->stream);
    dnnl.dnnl_primitive_destroy(primitive);
    HL_CHECK(status);
    return 0;
}

/// Adds argument `role` in the primitive's layout `internal`, filled from the plain host array `data`.
static int add_input(hl_dnnl_convolution *c, int role, const dnnl_memory_desc_t *internal, int ndims, const dnnl_dims_t dims,
                     dnnl_format_tag_t tag, const float *data, char *error, size_t capacity) {
    dnnl_memory_desc_t plain_md;
    HL_CHECK(dnnl.dnnl_memory_desc_init_by_tag(&plain_md, ndims, dims, dnnl_f32, tag));
    size_t count = 1;
    for (int i = 0; i < ndims; i++) count *= (size_t)dims[i];
    dnnl_memory_t plain, inside;
    HL_CHECK(dnnl.dnnl_memory_create(&plain, &plain_md, c->engine, DNNL_MEMORY_ALLOCATE));
    void *handle = NULL;
    dnnl.dnnl_memory_get_data_handle(plain, &handle);
    memcpy(handle, data, count * sizeof(float));
    dnnl_status_t status = dnnl.dnnl_memory_create(&inside, internal, c->engine, DNNL_MEMORY_ALLOCATE);
    if (status != dnnl_success) {
        dnnl.dnnl_memory_destroy(plain);
        HL_CHECK(status);
    }
    c->arguments[c->argument_count++] = (dnnl_exec_arg_t){role, inside};
    int failed = reorder(c, plain, &plain_md, inside, internal, NULL, error, capacity);
    dnnl.dnnl_memory_destroy(plain);
    return failed;
}

/// Adds the output argument `role` in layout `internal`, and its plain copy with the reorder to it.
static int add_output(hl_dnnl_convolution *c, int role, const dnnl_memory_desc_t *internal, int ndims, const dnnl_dims_t dims,
                      dnnl_format_tag_t tag, char *error, size_t capacity) {
    dnnl_memory_desc_t plain_md;
    HL_CHECK(dnnl.dnnl_memory_desc_init_by_tag(&plain_md, ndims, dims, dnnl_f32, tag));
    c->output_count = 1;
    for (int i = 0; i < ndims; i++) c->output_count *= (size_t)dims[i];
    dnnl_memory_t inside;
    HL_CHECK(dnnl.dnnl_memory_create(&inside, internal, c->engine, DNNL_MEMORY_ALLOCATE));
    c->arguments[c->argument_count++] = (dnnl_exec_arg_t){role, inside};
    HL_CHECK(dnnl.dnnl_memory_create(&c->plain_output, &plain_md, c->engine, DNNL_MEMORY_ALLOCATE));
    return reorder(c, inside, internal, c->plain_output, &plain_md, &c->output_reorder, error, capacity);
}

static int build(hl_dnnl_convolution *c, int pass, int n, int ci, int h, int w, int co, int k, int s, int p, int d, int g,
                 const float *x, const float *weight, const float *dy, char *error, size_t capacity) {
    if (hl_dnnl_load(error, capacity) != 0) return 1;
    const int span = d * (k - 1) + 1;
    int oh = (h + 2 * p - span) / s + 1, ow = (w + 2 * p - span) / s + 1;
    dnnl_dims_t src_dims = {n, ci, h, w}, dst_dims = {n, co, oh, ow};
    dnnl_dims_t weight_dims = {co, ci / g, k, k, 0};
    if (g > 1) {
        dnnl_dims_t grouped = {g, co / g, ci / g, k, k};
        memcpy(weight_dims, grouped, sizeof grouped);
    }
    int weight_ndims = g > 1 ? 5 : 4;
    dnnl_format_tag_t weight_tag = g > 1 ? dnnl_goihw : dnnl_oihw;
    dnnl_dims_t strides = {s, s}, padding = {p, p}, dilates = {d - 1, d - 1};  // oneDNN counts dilation from 0
    dnnl_memory_desc_t src_any, weight_any, dst_any;
    HL_CHECK(dnnl.dnnl_memory_desc_init_by_tag(&src_any, 4, src_dims, dnnl_f32, dnnl_format_tag_any));
    HL_CHECK(dnnl.dnnl_memory_desc_init_by_tag(&weight_any, weight_ndims, weight_dims, dnnl_f32, dnnl_format_tag_any));
    HL_CHECK(dnnl.dnnl_memory_desc_init_by_tag(&dst_any, 4, dst_dims, dnnl_f32, dnnl_format_tag_any));
    HL_CHECK(dnnl.dnnl_engine_create(&c->engine, dnnl_cpu, 0));
    HL_CHECK(dnnl.dnnl_stream_create(&c->stream, c->engine, dnnl_stream_default_flags));

    dnnl_convolution_desc_t forward;
    HL_CHECK(dnnl.dnnl_dilated_convolution_forward_desc_init(&forward, dnnl_forward_training, dnnl_convolution_direct,
                                                             &src_any, &weight_any, NULL, &dst_any, strides, dilates,
                                                             padding, padding));
    HL_CHECK(dnnl.dnnl_primitive_desc_create(&c->forward_pd, &forward, NULL, c->engine, NULL));
    if (pass == HL_CONV_FORWARD) {
        c->pd = c->forward_pd;
        c->forward_pd = NULL;
    } else if (pass == HL_CONV_BACKWARD_DATA) {
        dnnl_convolution_desc_t backward;
        HL_CHECK(dnnl.dnnl_dilated_convolution_backward_data_desc_init(&backward, dnnl_convolution_direct, &src_any,
                                                                       &weight_any, &dst_any, strides, dilates, padding,
                                                                       padding));
        HL_CHECK(dnnl.dnnl_primitive_desc_create(&c->pd, &backward, NULL, c->engine, c->forward_pd));
    } else {
        dnnl_convolution_desc_t backward;
        HL_CHECK(dnnl.dnnl_dilated_convolution_backward_weights_desc_init(&backward, dnnl_convolution_direct, &src_any,
                                                                          &weight_any, NULL, &dst_any, strides, dilates,
                                                                          padding, padding));
        HL_CHECK(dnnl.dnnl_primitive_desc_create(&c->pd, &backward, NULL, c->engine, c->forward_pd));
    }
    const char *info = NULL;
    if (dnnl.dnnl_primitive_desc_query(c->pd, dnnl_query_impl_info_str, 0, &info) == dnnl_success && info != NULL) {
        snprintf(c->implementation, sizeof c->implementation, "%s", info);
    }
    HL_CHECK(dnnl.dnnl_primitive_create(&c->primitive, c->pd));
#define MD(query) dnnl.dnnl_primitive_desc_query_md(c->pd, query, 0)
    if (pass == HL_CONV_FORWARD) {
        if (add_input(c, DNNL_ARG_SRC, MD(dnnl_query_src_md), 4, src_dims, dnnl_nchw, x, error, capacity)) return 1;
        if (add_input(c, DNNL_ARG_WEIGHTS, MD(dnnl_query_weights_md), weight_ndims, weight_dims, weight_tag, weight, error, capacity))
            return 1;
        return add_output(c, DNNL_ARG_DST, MD(dnnl_query_dst_md), 4, dst_dims, dnnl_nchw, error, capacity);
    } else if (pass == HL_CONV_BACKWARD_DATA) {
        if (add_input(c, DNNL_ARG_DIFF_DST, MD(dnnl_query_diff_dst_md), 4, dst_dims, dnnl_nchw, dy, error, capacity)) return 1;
        if (add_input(c, DNNL_ARG_WEIGHTS, MD(dnnl_query_weights_md), weight_ndims, weight_dims, weight_tag, weight, error, capacity))
            return 1;
        return add_output(c, DNNL_ARG_DIFF_SRC, MD(dnnl_query_diff_src_md), 4, src_dims, dnnl_nchw, error, capacity);
    } else {
        if (add_input(c, DNNL_ARG_SRC, MD(dnnl_query_src_md), 4, src_dims, dnnl_nchw, x, error, capacity)) return 1;
        if (add_input(c, DNNL_ARG_DIFF_DST, MD(dnnl_query_diff_dst_md), 4, dst_dims, dnnl_nchw, dy, error, capacity)) return 1;
        return add_output(c, DNNL_ARG_DIFF_WEIGHTS, MD(dnnl_query_diff_weights_md), weight_ndims, weight_dims, weight_tag,
                          error, capacity);
    }
#undef MD
}

hl_dnnl_convolution *hl_dnnl_convolution_create(
    int pass, int batch, int in_channels, int height, int width, int out_channels, int kernel, int stride,
    int padding, int dilation, int groups, const float *x, const float *weight, const float *dy, char *error,
    size_t capacity) {
    if (groups < 1 || in_channels % groups != 0 || out_channels % groups != 0) {
        hl_set_error(error, capacity, "channels %d→%d do not split into %d groups", in_channels, out_channels, groups);
        return NULL;
    }
    hl_dnnl_convolution *c = calloc(1, sizeof *c);
    if (c == NULL) {
        hl_set_error(error, capacity, "out of host memory");
        return NULL;
    }
    snprintf(c->implementation, sizeof c->implementation, "unknown");
    if (build(c, pass, batch, in_channels, height, width, out_channels, kernel, stride, padding, dilation, groups, x, weight, dy,
              error, capacity) != 0) {
        hl_dnnl_convolution_destroy(c);
        return NULL;
    }
    return c;
}

int hl_dnnl_convolution_run(hl_dnnl_convolution *c, char *error, size_t capacity) {
    HL_CHECK(dnnl.dnnl_primitive_execute(c->primitive, c->stream, c->argument_count, c->arguments));
    HL_CHECK(dnnl.dnnl_stream_wait(c->stream));
    return 0;
}

size_t hl_dnnl_convolution_output_count(const hl_dnnl_convolution *c) { return c->output_count; }

int hl_dnnl_convolution_output(hl_dnnl_convolution *c, float *output, char *error, size_t capacity) {
    dnnl_exec_arg_t arguments[2] = {{DNNL_ARG_FROM, c->arguments[c->argument_count - 1].memory},
                                    {DNNL_ARG_TO, c->plain_output}};
    HL_CHECK(dnnl.dnnl_primitive_execute(c->output_reorder, c->stream, 2, arguments));
    HL_CHECK(dnnl.dnnl_stream_wait(c->stream));
    void *handle = NULL;
    HL_CHECK(dnnl.dnnl_memory_get_data_handle(c->plain_output, &handle));
    memcpy(output, handle, c->output_count * sizeof(float));
    return 0;
}

const char *hl_dnnl_convolution_implementation(const hl_dnnl_convolution *c) { return c->implementation; }

void hl_dnnl_convolution_destroy(hl_dnnl_convolution *c) {
    if (c == NULL) return;
    for (int i = 0; i < c->argument_count; i++) dnnl.dnnl_memory_destroy(c->arguments[i].memory);
    if (c->plain_output) dnnl.dnnl_memory_destroy(c->plain_output);
    if (c->output_reorder) dnnl.dnnl_primitive_destroy(c->output_reorder);
    if (c->primitive) dnnl.dnnl_primitive_destroy(c->primitive);
    if (c->pd) dnnl.dnnl_primitive_desc_destroy(c->pd);
    if (c->forward_pd) dnnl.dnnl_primitive_desc_destroy(c->forward_pd);
    if (c->stream) dnnl.dnnl_stream_destroy(c->stream);
    if (c->engine) dnnl.dnnl_engine_destroy(c->engine);
    free(c);
}

#endif
