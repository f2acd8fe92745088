#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/util.h"
#include "keys/rotation.h"

static const char *const phase_names[] = { "published", "signing", "done" };

const char *
rotation_phase_name(enum rotation_phase p)
{
	return phase_names[p];
}

static char *
rotation_path(const char *state_dir, const char *domain)
{
	return xasprintf("%s/keys/%s/rotation.json", state_dir, domain);
}

int
rotation_read(const char *state_dir, const char *domain, struct rotation *rot,
    struct err *e)
{
	char *path = rotation_path(state_dir, domain);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	const char *old, *next, *phase, *retire;
	int rc = 1;

	memset(rot, 0, sizeof(*rot));
	if (j == NULL) {
		rc = access(path, F_OK) == 0
		         ? err_set(e, "%s:%d: %s", path, je.line, je.text)
		         : 0;
		free(path);
		return rc;
	}
	old = json_string_value(json_object_get(j, "old"));
	next = json_string_value(json_object_get(j, "next"));
	phase = json_string_value(json_object_get(j, "phase"));
	retire = json_string_value(json_object_get(j, "retire"));
	rot->started = json_integer_value(json_object_get(j, "started"));
	rot->retire_after =
	    json_integer_value(json_object_get(j, "retire_after"));
	rot->phase = (enum rotation_phase) - 1;
	for (size_t i = 0; phase != NULL && i < NELEM(phase_names); i++)
		if (strcmp(phase, phase_names[i]) == 0)
			rot->phase = (enum rotation_phase)i;
	if (old == NULL || next == NULL || (int)rot->phase < 0 ||
	    str_copy(rot->old, sizeof(rot->old), old) == -1 ||
	    str_copy(rot->next, sizeof(rot->next), next) == -1 ||
	    str_copy(rot->retire, sizeof(rot->retire),
	        retire != NULL ? retire : old) == -1)
		rc = err_set(e, "%s: not a rotation state (old, next, phase)",
		    path);
	json_decref(j);
	free(path);
	return rc;
}

int
rotation_write(const char *state_dir, const char *domain,
    const struct rotation *rot, struct err *e)
{
	char *path = rotation_path(state_dir, domain);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "old", rot->old,
	    "next", rot->next, "retire", rot->retire, "phase",
	    phase_names[rot->phase], "started", (json_int_t)rot->started,
	    "retire_after", (json_int_t)rot->retire_after);
	char *text = json_dumps(j, JSON_INDENT(2));
	int rc = -1;

	if (text != NULL)
		rc = file_write_atomic(path, text, strlen(text), 0600, e);
	free(text);
	json_decref(j);
	free(path);
	return rc;
}

const char *
rotation_selector(const char *state_dir, const char *domain,
    const char *selector, char *buf, size_t len)
{
	struct rotation rot;

	if (rotation_read(state_dir, domain, &rot, NULL) != 1 ||
	    rot.phase == ROTATION_PUBLISHED || strcmp(rot.old, selector) != 0 ||
	    str_copy(buf, len, rot.next) == -1)
		return selector;
	return buf;
}

void
rotation_next_name(const char *s, char *dst, size_t len)
{
	size_t n = strlen(s), d = n;
	uint64_t v = 0;

	while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9')
		d--;
	if (d < n && n - d < 10 && parse_u64(s + d, 0, UINT64_MAX, &v) == 0)
		snprintf(dst, len, "%.*s%llu", (int)d, s,
		    (unsigned long long)(v + 1));
	else
		snprintf(dst, len, "%s2", s);
}
