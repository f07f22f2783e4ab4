// Linux's atomic swap of two paths: renameat2(2) with RENAME_EXCHANGE (Linux 3.15, glibc 2.28).
// Swift's Glibc module does not export it (glibc declares it only under _GNU_SOURCE), so it is
// declared here. Used to replace a report folder in one step: at every instant the destination
// holds either the complete old folder or the complete new one.
#ifndef CONTACTQA_RENAME_EXCHANGE_H
#define CONTACTQA_RENAME_EXCHANGE_H

extern int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

static inline int contactqa_rename_exchange(const char *from, const char *to) {
    return renameat2(-100 /* AT_FDCWD */, from, -100, to, 1u << 1 /* RENAME_EXCHANGE */);
}
#endif
