/*
 * cell — the freestanding init's loop (src/init/init.c), which cell's child
 * also runs in cell's own memory as PID 1 (plan.init_in_vm, process.c).
 */
#ifndef CELL_INIT_SERVE_H
#define CELL_INIT_SERVE_H

/* *started while the child sets up, and once PID 1 touches only its stack */
#define CELL_INIT_SETTING_UP 1
#define CELL_INIT_SERVING 2

/**
 * cell_init_serve() - be PID 1 of the command @child: keep CAP_KILL (or
 * nothing), forward signals, reap, report on @sync_fd (and @exit_fd, if
 * not -1), exit with the command's code. @door (-1: none) is the listening
 * socket of init_door.h, answered on SIGIO for peers of uid @door_uid (in
 * cell's own copy: the exec'd program is given none).
 * @started (NULL: none) is set to CELL_INIT_SERVING and woken (FUTEX_WAKE)
 * before the loop: from then on nothing but raw system calls on the
 * caller's stack. Never returns.
 */
__attribute__((noreturn)) void cell_init_serve(long child, long sync_fd, long exit_fd, long door,
					       long door_uid, int *started);

/**
 * cell_init_door_answer() - listen on @door (bound by cell), accept the
 * connections waiting there, CELL_DOOR_BACKLOG at most (then SIGIO to
 * itself, for the rest), and give each peer whose uid (SO_PEERCRED, as the
 * caller's user namespace shows it) is @uid the caller's namespaces, root
 * and working directory (init_door.h); close it. Raw system calls only:
 * PID 1 in cell's memory calls it too. Never blocks (the door and what it
 * accepts are non-blocking).
 */
void cell_init_door_answer(long door, long uid);

/**
 * cell_init_await() - sleep while *@word is @val (FUTEX_WAIT), or until a
 * signal: the caller reads it again. A raw system call: cell waits so while
 * a child still in libc shares its memory, errno with it.
 */
void cell_init_await(int *word, int val);

#endif
