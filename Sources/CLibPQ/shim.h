// PostgreSQL's C client library (Debian libpq-dev); headers under /usr/include/postgresql (pkg-config libpq).
#include <libpq-fe.h>
