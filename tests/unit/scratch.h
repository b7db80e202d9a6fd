/* Shared by the unit tests: remove a scratch directory tree. */
#ifndef CELL_TEST_SCRATCH_H
#define CELL_TEST_SCRATCH_H

#include <ftw.h>
#include <stdio.h>

static int scratch_remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/** scratch_rmtree() - remove @dir and everything below it, never following links. */
static inline int scratch_rmtree(const char *dir)
{
	return nftw(dir, scratch_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
