// glibc's malloc_trim: the CLI hands the memory an index build has freed back to the system.
#ifndef CORDON_CMALLOC_SHIM_H
#define CORDON_CMALLOC_SHIM_H
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif
#endif
