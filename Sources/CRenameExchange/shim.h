// Linux's atomic swap of two paths: renameat2(2) with RENAME_EXCHANGE (Linux 3.15, glibc 2.28),
// from the system headers (glibc declares it under _GNU_SOURCE, which Swift's Glibc module does not
// set). Used to replace a report folder in one step: at every instant the destination holds either
// the complete old folder or the complete new one. macOS has the same operation as renamex_np with
// RENAME_SWAP.
#ifndef CONTACTQA_RENAME_EXCHANGE_H
#define CONTACTQA_RENAME_EXCHANGE_H

#if defined(__linux__)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>

static inline int contactqa_rename_exchange(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE);
}
#elif defined(__APPLE__)
#include <stdio.h>

static inline int contactqa_rename_exchange(const char *from, const char *to) {
    return renamex_np(from, to, RENAME_SWAP);
}
#endif
#endif
