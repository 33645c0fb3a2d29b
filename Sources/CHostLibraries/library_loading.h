// Internal to CHostLibraries: the one-line error helper and the library search every comparator
// uses (the $DIFFNAS_* override alone when set, else a list of default names, first to load wins).
#ifndef DIFFNAS_LIBRARY_LOADING_H
#define DIFFNAS_LIBRARY_LOADING_H

#include <stddef.h>

/// Writes a printf-style one-line reason into `error` (capacity `capacity`; NULL or 0 ignores it).
void hl_set_error(char *error, size_t capacity, const char *format, ...);

/// dlopen(RTLD_NOW | RTLD_LOCAL) of the library named by the environment variable `variable`
/// when it is set and not empty (the only candidate then, so a run can name its library or rule
/// it out), else of the first of `defaults[0..<count]` that loads. Returns the handle and sets
/// `*opened` to the name that loaded; on failure returns NULL with `*last_error` holding the last
/// dlerror() (or "no candidate").
void *hl_open_library(const char *variable, const char *const *defaults, size_t count, const char **opened,
                      const char **last_error);

#endif
