#include <jansson.h>

#include "dnscheck/report.h"

/* DESIGN.md's `postern check --json` object; see docs/check-json.md. */

static void
set_str(json_t *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, key, json_string(v));
}

static json_t *
item_json(const struct check_item *it)
{
	json_t *o = json_object();

	set_str(o, "check", report_kind_name(it->kind));
	set_str(o, "status", report_status_name(it->status));
	set_str(o, "selector", it->selector);
	set_str(o, "ip", it->ip);
	set_str(o, "result", it->result);
	set_str(o, "detail", it->detail);
	set_str(o, "fix", it->fix);
	return o;
}

json_t *
report_json(const struct report *rep)
{
	json_t *top = json_object(), *doms = json_array();

	set_str(top, "status", report_status_name(rep->status));
	for (size_t i = 0; i < rep->n; i++) {
		const struct domain_report *d = &rep->domains[i];
		json_t *o = json_object(), *checks = json_array();

		set_str(o, "name", d->name);
		set_str(o, "status", report_status_name(d->status));
		json_object_set_new(o, "ready", json_boolean(d->ready));
		json_object_set_new(o, "ready_known",
		    json_boolean(d->ready_known));
		for (size_t k = 0; k < d->n; k++)
			json_array_append_new(checks, item_json(&d->items[k]));
		json_object_set_new(o, "checks", checks);
		json_array_append_new(doms, o);
	}
	json_object_set_new(top, "domains", doms);
	json_object_set_new(top, "dns_queries",
	    json_integer((json_int_t)rep->dns_queries));
	return top;
}

int
report_format(const struct report *rep, struct buf *out)
{
	static const char *const word[] = { "ok", "warn", "temperror", "FAIL" };

	for (size_t i = 0; i < rep->n; i++) {
		const struct domain_report *d = &rep->domains[i];

		if (buf_printf(out, "%s: %s%s\n", d->name, word[d->status],
		        !d->ready_known ? " (readiness unknown)"
		        : d->ready      ? " (ready)"
		                        : " (not ready)") == -1)
			return -1;
		for (size_t k = 0; k < d->n; k++) {
			const struct check_item *it = &d->items[k];

			if (buf_printf(out, "  %-9s %-9s %s%s%s\n",
			        word[it->status], report_kind_name(it->kind),
			        it->detail, it->fix != NULL ? "; fix: " : "",
			        it->fix != NULL ? it->fix : "") == -1)
				return -1;
		}
	}
	return buf_printf(out, "%s\n", word[rep->status]);
}
