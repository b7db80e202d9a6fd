/*
 * cell — its own image mapped at once (cell_prefault_image()). Not in
 * utils.c: cell-net.so links that, and a shared object has no
 * __executable_start of its own.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "utils.h"

/*
 * A fault costs 15-20 us on a paravirtualised VM, and cell's start touches
 * some twenty 64 KiB windows of its 1.2 MiB image in the parent and as many
 * again in the container's first process; populating the lot costs ~80 us.
 * __executable_start (the linker's) to __data_start (crt1's) is the ELF
 * header, .text and .rodata: file pages, shared with the page cache.
 */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif

void cell_prefault_image(void)
{
	extern char __executable_start[], __data_start[];
	uintptr_t start = (uintptr_t)__executable_start & ~(uintptr_t)4095;
	uintptr_t end = (uintptr_t)__data_start & ~(uintptr_t)4095;

	if (end > start)
		(void)madvise((void *)start, end - start, MADV_POPULATE_READ);
}
