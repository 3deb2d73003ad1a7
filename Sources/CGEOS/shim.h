// The only C in Cordon: the GEOS C API, reentrant (_r) functions only.
#ifndef CORDON_CGEOS_SHIM_H
#define CORDON_CGEOS_SHIM_H

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

// GEOS 3.11 (Debian 12) has no GEOSPreparedContainsXY / GEOSPreparedIntersectsXY (added in
// 3.12), so the oracle (CordonGEOS/GEOSPointOracle.swift) builds a point per query. No call
// here depends on the GEOS version yet; version-dependent wrappers go in this file behind #if.

#endif
