// CCLBlast: CLBlast's C API, the comparator of `diffnas bench`.
#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <clblast_c.h>
