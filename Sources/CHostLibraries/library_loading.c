// The library search shared by openblas.c and onednn.c (see library_loading.h).
#include "library_loading.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void hl_set_error(char *error, size_t capacity, const char *format, ...) {
    if (error == NULL || capacity == 0) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, capacity, format, arguments);
    va_end(arguments);
}

void *hl_open_library(const char *variable, const char *const *defaults, size_t count, const char **opened,
                      const char **last_error) {
    const char *chosen = getenv(variable);
    const char *only[] = {chosen};
    int use_chosen = chosen != NULL && chosen[0] != '\0';
    const char *const *candidates = use_chosen ? only : defaults;
    size_t candidate_count = use_chosen ? 1 : count;
    *last_error = "no candidate";
    for (size_t i = 0; i < candidate_count; i++) {
        if (candidates[i] == NULL || candidates[i][0] == '\0') continue;
        void *handle = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
        if (handle != NULL) {
            *opened = candidates[i];
            return handle;
        }
        *last_error = dlerror();
    }
    return NULL;
}
