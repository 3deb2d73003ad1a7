// zlib, for reading gzip-compressed trip logs (gzopen/gzread read plain files too).
#ifndef CORDON_CZLIB_SHIM_H
#define CORDON_CZLIB_SHIM_H
#include <zlib.h>
#endif
