// COpenCL: the OpenCL 1.2 C API as a Swift module.
// Targets OpenCL 1.2 so the same calls work on every ICD (PoCL, NVIDIA, AMD, Intel, Apple).
#ifndef DIFFNAS_COPENCL_SHIM_H
#define DIFFNAS_COPENCL_SHIM_H
#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#ifdef __APPLE__
#include <OpenCL/opencl.h>
#else
#include <CL/cl.h>
#endif
#endif
