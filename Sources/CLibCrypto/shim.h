// OpenSSL's SHA-256 with a context the caller owns: a keyed hash copies a context that has already
// absorbed the key instead of hashing the key again (and allocates nothing). OpenSSL 3 marks these
// functions deprecated in favour of EVP, whose contexts are allocated per copy; they remain supported.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
