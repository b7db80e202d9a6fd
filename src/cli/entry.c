/*
 * cell — the static x86_64 binary's entry point: cell's image (code and
 * read-only data) mapped in one madvise(MADV_POPULATE_READ) before glibc's
 * own start runs. glibc's start (IRELATIVE relocations, CPU features,
 * tunables) touches some fifteen 64 KiB windows of the image before main(),
 * each a page fault, and a fault costs 10-15 us on a paravirtualised VM;
 * populating all of it costs ~60 us (bench/README.md: 0.1-0.17 ms a start).
 *
 * meson.build links it with -Wl,--entry=cell_entry and defines
 * CELL_EARLY_PREFAULT for main.c, which then skips cell_prefault_image().
 * The kernel enters with the stack as glibc's _start expects it and %rdx
 * zero (no dynamic loader's finaliser); both are as they were at the jump.
 * A failed madvise (before Linux 5.14) only means the faults happen.
 */
#if defined(__x86_64__)
__asm__(".text\n"
	".global cell_entry\n"
	".type cell_entry, @function\n"
	"cell_entry:\n"
	"	lea __executable_start(%rip), %rdi\n"
	"	lea __data_start(%rip), %rsi\n"
	"	and $-4096, %rsi\n"
	"	sub %rdi, %rsi\n"
	"	mov $22, %edx\n" /* MADV_POPULATE_READ */
	"	mov $28, %eax\n" /* SYS_madvise */
	"	syscall\n"
	"	xor %edx, %edx\n"
	"	jmp _start\n"
	".size cell_entry, .-cell_entry\n");
#endif
