// CZlib: zlib's inflate, for gzipped IDX data files.
#include <zlib.h>
