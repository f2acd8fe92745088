#include <jansson.h>

#include "dnscheck/spf.h"

json_t *
spf_eval_json(const struct spf_eval *ev)
{
	json_t *o = json_object(), *steps = json_array();

	json_object_set_new(o, "result",
	    json_string(spf_result_name(ev->result)));
	json_object_set_new(o, "reason",
	    json_string(ev->reason != NULL ? ev->reason : ""));
	if (ev->explanation != NULL)
		json_object_set_new(o, "explanation",
		    json_string(ev->explanation));
	json_object_set_new(o, "lookups",
	    json_integer((json_int_t)ev->lookups));
	json_object_set_new(o, "void_lookups",
	    json_integer((json_int_t)ev->void_lookups));
	json_object_set_new(o, "dns_queries",
	    json_integer((json_int_t)ev->dns_queries));
	for (size_t i = 0; i < ev->nsteps; i++) {
		const struct spf_step *s = &ev->steps[i];
		json_t *j = json_object();

		json_object_set_new(j, "depth",
		    json_integer((json_int_t)s->depth));
		json_object_set_new(j, "domain", json_string(s->domain));
		json_object_set_new(j, "term", json_string(s->term));
		json_object_set_new(j, "note", json_string(s->note));
		json_array_append_new(steps, j);
	}
	json_object_set_new(o, "trace", steps);
	return o;
}
