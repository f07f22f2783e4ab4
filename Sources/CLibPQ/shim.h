// PostgreSQL's C client library (Debian libpq-dev). Included by its path under /usr/include so the
// build needs no pkg-config; libpq-fe.h finds its sibling headers by relative includes.
#include <postgresql/libpq-fe.h>
