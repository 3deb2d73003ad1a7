// The only C in Cordon: the GEOS C API, reentrant (_r) functions only.
#ifndef CORDON_CGEOS_SHIM_H
#define CORDON_CGEOS_SHIM_H

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

// GEOS 3.11 has no GEOSPreparedContainsXY / GEOSPreparedIntersectsXY (added in 3.12).
// Callers test CORDON_GEOS_HAS_PREPARED_XY and otherwise build a point per query.
#if GEOS_VERSION_MAJOR > 3 || (GEOS_VERSION_MAJOR == 3 && GEOS_VERSION_MINOR >= 12)
#define CORDON_GEOS_HAS_PREPARED_XY 1
#else
#define CORDON_GEOS_HAS_PREPARED_XY 0
#endif

static inline int cordon_geos_has_prepared_xy(void) { return CORDON_GEOS_HAS_PREPARED_XY; }

#endif
