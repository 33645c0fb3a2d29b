// memory.cl — filling and copying raw Float32 buffers.
//
// Layout: flat arrays of `n` floats.
// Tunables: none.
// Launched by: OpenCLBackend.fill (OpenCLBackend.swift).

// x[i] = value for i < n.
__kernel void fill(__global float* x, const float value, const int n) {
    const int i = get_global_id(0);
    if (i < n) x[i] = value;
}
