#ifndef POSTERN_ROTATION_H
#define POSTERN_ROTATION_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/*
 * Key rotation state, in STATE_DIR/keys/DOMAIN/rotation.json, so that an
 * interrupted `postern keys rotate` resumes. A rotation replaces the
 * configured selector `old` by `next`:
 *   published  the next key is made and its record being published;
 *   signing    every authoritative server serves it: mail is signed with
 *              `next` in place of `old`, whose record stays until
 *              retire_after (the grace period);
 *   done       the old record is removed. `next` stands for `old` until
 *              the configuration names it.
 */

enum rotation_phase { ROTATION_PUBLISHED, ROTATION_SIGNING, ROTATION_DONE };

struct rotation {
	char old[64];
	char next[64];
	char retire[64]; /* the selector whose record goes (old, or the
	                    next of an earlier rotation) */
	enum rotation_phase phase;
	int64_t started;
	int64_t retire_after; /* set when signing starts */
};

/* 1 with *rot when domain has a rotation, 0 when none, -1 and e. */
int rotation_read(const char *state_dir, const char *domain,
    struct rotation *rot, struct err *e) WUR;
int rotation_write(const char *state_dir, const char *domain,
    const struct rotation *rot, struct err *e) WUR;
const char *rotation_phase_name(enum rotation_phase p);
/*
 * The selector that signs and is published in place of the configured
 * `selector`: rotation's next once it signs, else selector itself.
 * Returns a pointer to buf or to selector.
 */
const char *rotation_selector(const char *state_dir, const char *domain,
    const char *selector, char *buf, size_t len);
/* The selector after s: "pst1" -> "pst2", "mail" -> "mail2". */
void rotation_next_name(const char *s, char *dst, size_t len);

#endif
