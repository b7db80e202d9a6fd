/*
 * cell — spec/: struct cell_spec beyond the public API (include/cell/cell.h
 * has the rest: cell_spec_default, _free, _from_json, _to_json, the mount and
 * env editors).
 *
 * spec.c        defaults (runc's masked and read-only paths), freeing, editing
 * names.c       the names config.json uses: capabilities and the default set,
 *               rlimits, hooks, seccomp actions and operators, memory policies
 * json_read.c   config.json -> struct cell_spec, errors with the JSON path
 * json_write.c  struct cell_spec -> config.json
 *
 * Uses base/ and ns/ (the namespace table names namespaces).
 */
#ifndef CELL_SPEC_H
#define CELL_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "cell/cell.h"

#ifndef CELL_OCI_VERSION
#define CELL_OCI_VERSION "1.3.0" /* the runtime-spec version cell implements */
#endif

/* ---- names.c ---- */

int cell_cap_from_name(const char *name);
const char *cell_cap_name(int cap);
uint64_t cell_caps_default(void);

/* getrlimit(2)'s resources by their config.json names, indexed by RLIMIT_*. */
extern const char *const cell_rlimit_names[RLIM_NLIMITS];
/* hooks.<kind> by enum cell_hook_kind. */
extern const char *const cell_hook_names[CELL_HOOK_KIND_COUNT];
#define CELL_SECCOMP_N_ACTIONS (CELL_SECCOMP_NOTIFY + 1)
#define CELL_SECCOMP_N_OPS (CELL_SECCOMP_OP_MASKED_EQ + 1)
/* SCMP_ACT_* and SCMP_CMP_* by enum cell_seccomp_action and cell_seccomp_op. */
extern const char *const cell_seccomp_action_names[CELL_SECCOMP_N_ACTIONS];
extern const char *const cell_seccomp_op_names[CELL_SECCOMP_N_OPS];

const char *cell_hook_kind_name(enum cell_hook_kind kind);
/** cell_rlimit_name() - "RLIMIT_NOFILE" for RLIMIT_NOFILE; NULL if unknown. */
const char *cell_rlimit_name(int resource);
const char *cell_seccomp_action_name(enum cell_seccomp_action a);
const char *cell_seccomp_op_name(enum cell_seccomp_op op);

/* Mode flags, or'ed into the mode: flag i of cell_mpol_flag_names is bit 13 + i
 * (linux/mempolicy.h). */
#define CELL_MPOL_FLAG(i) (1u << (13 + (i)))
/* NULL-terminated; a mode's index is its MPOL_* value */
extern const char *const cell_mpol_mode_names[];
extern const char *const cell_mpol_flag_names[];
/** cell_mpol_flag_from_name() - "MPOL_F_STATIC_NODES" to its bit; -EINVAL if unknown. */
int cell_mpol_flag_from_name(const char *name, unsigned *flag);

/* ---- json_read.c ---- */

/**
 * cell_seccomp_read_json() - an OCI linux.seccomp object (jansson json_t *) into
 * *@s; errors name the value under @path ("linux.seccomp").
 */
int cell_seccomp_read_json(void *obj, const char *path, struct cell_seccomp *s,
			   struct cell_error *err);

/* ---- spec.c ---- */

/* runc's and crun's maskedPaths and readonlyPaths (NULL-terminated). */
extern const char *const cell_default_masked_paths[];
extern const char *const cell_default_readonly_paths[];

/**
 * cell_symlink_problem() - what makes --symlink @target @link unusable (an
 * empty one, a relative @link, @link "/" or ending in "." or ".."), or NULL.
 */
const char *cell_symlink_problem(const char *target, const char *link);
/** cell_path_op_problem() - what makes @op unusable (a symlink's as above), or NULL. */
const char *cell_path_op_problem(const struct cell_path_op *op);

/** cell_seccomp_free() - free what @s holds and zero it. */
void cell_seccomp_free(struct cell_seccomp *s);

#endif
