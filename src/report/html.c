/* html.c — the HTML pages (report/html.h): data as JSON between the page's head and tail. */
#include <stdlib.h>
#include <string.h>

#include "cli/version.h"
#include "core/capfmt.h"
#include "report/export.h"
#include "report/flame.h"
#include "report/html.h"
#include "report/html_assets.h"

#define PUTS(b, lit) ml_buf_put((b), (lit), sizeof(lit) - 1)
#define FLAME_MIN_SHARE 0.001 /* frames under 0.1% of the total are merged: about a pixel on a screen */
#define FLAME_MAX_NODES 8000
#define FLAME_MIN_NODES 250

static const ml_cap_str_t no_frame = {"[no Python frame]", 17};

/* The page being built: data goes to body; strings it refers to are interned into strs ("S" in the
 * JSON) by address, since every string comes from a capture's table. */
typedef struct {
	ml_buf_t body, strs;
	const ml_cap_str_t **keys;
	uint32_t *vals;
	size_t size, n;
	int oom;
} page_t;

static void page_free(page_t *p)
{
	ml_buf_free(&p->body);
	ml_buf_free(&p->strs);
	free(p->keys);
	free(p->vals);
}

static void jstr(ml_buf_t *b, const char *s, size_t len)
{
	ml_export_json_str(b, s, len > ML_HTML_STR_MAX ? ML_HTML_STR_MAX : len);
}

static long str_id(page_t *p, const ml_cap_str_t *s)
{
	if (!s)
		return -1;
	if (2 * (p->n + 1) > p->size) {
		size_t size = p->size ? 2 * p->size : 1024;
		const ml_cap_str_t **keys = calloc(size, sizeof *keys);
		uint32_t *vals = malloc(size * sizeof *vals);
		if (!keys || !vals) {
			free(keys);
			free(vals);
			p->oom = 1;
			return -1;
		}
		for (size_t i = 0; i < p->size; i++)
			if (p->keys[i]) {
				size_t h = ((uintptr_t)p->keys[i] >> 3) * 0x9E3779B97F4A7C15ull >> 7 & (size - 1);
				while (keys[h])
					h = (h + 1) & (size - 1);
				keys[h] = p->keys[i];
				vals[h] = p->vals[i];
			}
		free(p->keys);
		free(p->vals);
		p->keys = keys;
		p->vals = vals;
		p->size = size;
	}
	size_t h = ((uintptr_t)s >> 3) * 0x9E3779B97F4A7C15ull >> 7 & (p->size - 1);
	while (p->keys[h] && p->keys[h] != s)
		h = (h + 1) & (p->size - 1);
	if (!p->keys[h]) {
		p->keys[h] = s;
		p->vals[h] = (uint32_t)p->n++;
		if (p->n > 1)
			ml_buf_put_u8(&p->strs, ',');
		jstr(&p->strs, s->s, s->len);
	}
	return p->vals[h];
}

/* ---- Common parts ---- */

static void header(page_t *p, const ml_capture_t *cap, const char *kind, const char *title)
{
	ml_buf_t *b = &p->body;
	ml_export_printf(b, "\"kind\":\"%s\",\"version\":\"%s\",\"title\":", kind, ML_VERSION);
	ml_buf_t t = {0};
	ml_export_printf(&t, "memlens · %s", title);
	jstr(b, (const char *)t.data, t.len);
	ml_buf_free(&t);
	PUTS(b, ",\"cmd\":");
	const ml_cap_str_t *argv = ml_capture_meta(cap, "argv"), *py = ml_capture_meta(cap, "python_version");
	ml_buf_t cmd = {0};
	if (argv)
		for (size_t i = 0; i < argv->len; i++)
			ml_buf_put_u8(&cmd, argv->s[i] ? (uint8_t)argv->s[i] : ' ');
	if (py) {
		PUTS(&cmd, "  ·  Python ");
		ml_buf_put(&cmd, py->s, strcspn(py->s, " ") < py->len ? strcspn(py->s, " ") : py->len);
	}
	jstr(b, cmd.data ? (const char *)cmd.data : "", cmd.len);
	ml_buf_free(&cmd);
	ml_export_printf(b, ",\"complete\":%s,\"warn\":[", cap->complete ? "true" : "false");
	int n = 0;
	if (!cap->complete) {
		PUTS(b, "\"This capture is incomplete (the program was killed or exited without cleanup): its data ends at the last flush.\"");
		n++;
	} else if (cap->end_flags & 1) {
		PUTS(b, "\"Tracing stopped early: the figures cover the run until then.\"");
		n++;
	}
	for (size_t i = 0; i < cap->n_notes; i++)
		if (cap->notes[i].level == ML_NOTE_WARNING) {
			if (n++)
				ml_buf_put_u8(b, ',');
			jstr(b, cap->notes[i].text.s, cap->notes[i].text.len);
		}
	ml_buf_put_u8(b, ']');
}

static int summary(page_t *p, const ml_capture_t *cap)
{
	ml_view_summary_t s;
	if (ml_view_summary(cap, &s))
		return -1;
	ml_export_printf(&p->body,
			 ",\"summary\":{\"duration\":%llu,\"alloc\":%llu,\"alloc_blocks\":%llu,\"has_peak\":%d,\"peak\":%llu,"
			 "\"peak_blocks\":%llu,\"peak_t\":%llu,\"has_rss\":%d,\"rss_peak\":%llu,\"rss_peak_t\":%llu,"
			 "\"leaked\":%llu,\"leaked_blocks\":%llu}",
			 (unsigned long long)s.duration_ns, (unsigned long long)s.alloc_bytes,
			 (unsigned long long)s.alloc_blocks, s.has_peak, (unsigned long long)s.peak_bytes,
			 (unsigned long long)s.peak_blocks, (unsigned long long)s.peak_t, s.has_rss,
			 (unsigned long long)s.rss_peak, (unsigned long long)s.rss_peak_t, (unsigned long long)s.end_bytes,
			 (unsigned long long)s.end_blocks);
	ml_view_summary_free(&s);
	return 0;
}

/* At most ML_HTML_TIMELINE_POINTS points: ticks are grouped into equal time intervals and each
 * interval is drawn at its highest heap, with the highest RSS and the last allocated total. */
static void timeline(page_t *p, const ml_capture_t *cap)
{
	ml_buf_t *b = &p->body;
	if (cap->has_peak)
		ml_export_printf(b, ",\"peak\":{\"t\":%llu,\"bytes\":%llu}", (unsigned long long)cap->peak_t,
				 (unsigned long long)cap->peak_bytes);
	if (cap->n_marks) { /* memlens.mark() points, drawn on the timeline: at most the first 50 */
		PUTS(b, ",\"marks\":[");
		for (size_t i = 0; i < cap->n_marks && i < 50; i++) {
			const ml_cap_mark_t *m = &cap->marks[i];
			ml_export_printf(b, "%s[%llu,%llu,", i ? "," : "", (unsigned long long)m->t, (unsigned long long)m->heap);
			ml_export_json_str(b, m->label.s, m->label.len > ML_HTML_STR_MAX ? ML_HTML_STR_MAX : m->label.len);
			ml_buf_put_u8(b, ']');
		}
		ml_buf_put_u8(b, ']');
	}
	if (!cap->n_ticks)
		return;
	const char *names[4] = {"t", "heap", "rss", "alloc"};
	uint64_t span = cap->ticks[cap->n_ticks - 1].t + 1;
	PUTS(b, ",\"timeline\":{");
	for (int k = 0; k < 4; k++) {
		ml_export_printf(b, "%s\"%s\":[", k ? "," : "", names[k]);
		size_t i = 0, out = 0;
		while (i < cap->n_ticks) {
			uint64_t bucket = cap->ticks[i].t / (span / ML_HTML_TIMELINE_POINTS + 1);
			size_t best = i;
			uint64_t rss = 0, alloc = 0;
			for (; i < cap->n_ticks && cap->ticks[i].t / (span / ML_HTML_TIMELINE_POINTS + 1) == bucket; i++) {
				if (cap->ticks[i].heap > cap->ticks[best].heap)
					best = i;
				rss = cap->ticks[i].rss > rss ? cap->ticks[i].rss : rss;
				alloc = cap->ticks[i].allocated;
			}
			const ml_cap_tick_t *t = &cap->ticks[best];
			uint64_t v = k == 0 ? t->t : k == 1 ? t->heap : k == 2 ? rss : alloc;
			ml_export_printf(b, out++ ? ",%llu" : "%llu", (unsigned long long)v);
		}
		ml_buf_put_u8(b, ']');
	}
	ml_buf_put_u8(b, '}');
}

static void flame(page_t *p, const char *label, const char *note, const ml_flame_t *f, int two, int first)
{
	ml_buf_t *b = &p->body;
	ml_export_printf(b, "%s{\"label\":\"%s\",\"note\":\"%s\",\"merged\":%zu,\"nodes\":[", first ? "" : ",", label, note,
			 f->n_merged);
	for (size_t i = 0; i < f->n_nodes; i++) {
		const ml_flame_node_t *n = &f->nodes[i];
		long fn = str_id(p, n->function), file = str_id(p, n->file);
		ml_export_printf(b, "%s[%u,%ld,%ld,%llu,%llu,%llu,%llu", i ? "," : "", n->parent, fn, file,
				 (unsigned long long)n->line, (unsigned long long)n->weight, (unsigned long long)n->total[0],
				 (unsigned long long)n->blocks[0]);
		if (two || n->n_merged)
			ml_export_printf(b, ",%llu,%llu", (unsigned long long)n->total[1], (unsigned long long)n->blocks[1]);
		if (n->n_merged)
			ml_export_printf(b, ",%u", n->n_merged);
		ml_buf_put_u8(b, ']');
	}
	PUTS(b, "]}");
}

static void site(page_t *p, const ml_capture_t *cap, uint32_t stack, const ml_html_opts_t *o)
{
	ml_buf_t *b = &p->body;
	const ml_cap_node_t *nd = ml_capture_node(cap, stack);
	const ml_cap_str_t *file = stack ? ml_capture_str(cap, nd->file) : NULL;
	ml_export_printf(b, "\"fn\":%ld,\"file\":%ld,\"line\":%llu", str_id(p, stack ? ml_capture_str(cap, nd->function) : &no_frame),
			 str_id(p, file), (unsigned long long)nd->line);
	char src[ML_HTML_STR_MAX];
	const char *text = file && o->source ? o->source(o->source_ctx, file, nd->line, src, sizeof src) : NULL;
	if (text) {
		PUTS(b, ",\"src\":");
		jstr(b, text, strlen(text));
	}
}

static int top_sites(page_t *p, const ml_capture_t *cap, const ml_html_opts_t *o)
{
	ml_view_top_t top;
	if (ml_view_top(cap, ML_VIEW_BY_LINE, ML_VIEW_AT_PEAK, ML_HTML_ROWS, &top))
		return -1;
	ml_export_printf(&p->body, ",\"top\":{\"total\":%llu,\"rows\":[", (unsigned long long)top.total_bytes);
	for (size_t i = 0; i < top.n_rows; i++) {
		ml_buf_put(&p->body, i ? ",{" : "{", i ? 2 : 1);
		site(p, cap, top.rows[i].stack, o);
		ml_export_printf(&p->body, ",\"bytes\":%llu,\"blocks\":%llu}", (unsigned long long)top.rows[i].bytes,
				 (unsigned long long)top.rows[i].blocks);
	}
	PUTS(&p->body, "]}");
	ml_view_top_free(&top);
	return 0;
}

static int leaks(page_t *p, const ml_capture_t *cap)
{
	enum { MAX_FRAMES = 12 };
	ml_view_top_t top;
	if (ml_view_leaks(cap, ML_HTML_ROWS, &top))
		return -1;
	ml_buf_t *b = &p->body;
	PUTS(b, ",\"leaks\":{\"rows\":[");
	for (size_t i = 0; i < top.n_rows; i++) {
		const ml_view_row_t *r = &top.rows[i];
		ml_export_printf(b, "%s{\"bytes\":%llu,\"blocks\":%llu,\"frames\":[", i ? "," : "", (unsigned long long)r->bytes,
				 (unsigned long long)r->blocks);
		size_t k = 0, depth = ml_capture_stack_depth(cap, r->stack);
		if (!r->stack)
			ml_export_printf(b, "[%ld,-1,0]", str_id(p, &no_frame));
		for (uint32_t id = r->stack; id && k < MAX_FRAMES; id = cap->nodes[id].parent, k++) {
			const ml_cap_node_t *nd = ml_capture_node(cap, id);
			ml_export_printf(b, "%s[%ld,%ld,%llu]", k ? "," : "", str_id(p, ml_capture_str(cap, nd->function)),
					 str_id(p, ml_capture_str(cap, nd->file)), (unsigned long long)nd->line);
		}
		ml_export_printf(b, "],\"more\":%zu}", depth > k ? depth - k : 0);
	}
	PUTS(b, "]}");
	ml_view_top_free(&top);
	return 0;
}

/* Head, {"S":[strings],<body>}, tail. Returns 0, -1 (out of memory) or 1 (too large). */
static int finish(ml_buf_t *out, page_t *p, const ml_html_opts_t *o)
{
	size_t max = o->max_bytes ? o->max_bytes : ML_HTML_MAX_BYTES, start = out->len;
	if (p->oom || ml_buf_failed(&p->body) || ml_buf_failed(&p->strs))
		return -1;
	ml_buf_put(out, ml_html_head, sizeof ml_html_head - 1);
	PUTS(out, "{\"S\":[");
	ml_buf_put(out, p->strs.data, p->strs.len);
	PUTS(out, "],");
	ml_buf_put(out, p->body.data, p->body.len);
	ml_buf_put_u8(out, '}');
	ml_buf_put(out, ml_html_tail, sizeof ml_html_tail - 1);
	if (ml_buf_failed(out))
		return -1;
	if (out->len - start > max) {
		out->len = start;
		return 1;
	}
	return 0;
}

/* ---- Pages ---- */

typedef enum { PAGE_REPORT, PAGE_FLAME, PAGE_DIFF } page_kind_t;

static int build(ml_buf_t *out, page_kind_t kind, const ml_capture_t *cap, const ml_capture_t *after,
		 const ml_diff_t *d, ml_view_at_t at, const ml_html_opts_t *o, size_t max_nodes)
{
	static const struct {
		ml_view_at_t at;
		const char *label, *note;
	} views[] = {{ML_VIEW_AT_PEAK, "At the peak", "memory alive when the traced heap peaked"},
		     {ML_VIEW_AT_END, "At exit (leaks)", "memory still alive at exit"},
		     {ML_VIEW_AT_TOTAL, "Allocated", "everything allocated over the run, freed or not"}};
	page_t p = {0};
	int rc = -1;
	header(&p, kind == PAGE_DIFF ? after : cap, kind == PAGE_REPORT ? "report" : kind == PAGE_FLAME ? "flame" : "diff",
	       o->title ? o->title : "capture");
	if (kind != PAGE_DIFF && summary(&p, cap))
		goto done;
	if (kind == PAGE_REPORT)
		timeline(&p, cap);
	PUTS(&p.body, ",\"flames\":[");
	for (size_t v = 0, first = 1; v < 3; v++) {
		if ((kind == PAGE_FLAME && views[v].at != at) || (kind == PAGE_DIFF && views[v].at == ML_VIEW_AT_TOTAL))
			continue;
		ml_flame_t f;
		if (kind == PAGE_DIFF) {
			ml_diff_node_t *t;
			size_t n;
			if (ml_diff_tree(cap, after, views[v].at, &t, &n))
				goto done;
			rc = ml_flame_prune(t, n, FLAME_MIN_SHARE, max_nodes, &f);
			free(t);
			rc = rc ? -1 : 0;
		} else {
			rc = ml_flame_build(cap, views[v].at, FLAME_MIN_SHARE, max_nodes, &f);
		}
		if (rc)
			goto done;
		rc = -1;
		flame(&p, views[v].label, kind == PAGE_DIFF ? "before → after" : views[v].note, &f, kind == PAGE_DIFF, first);
		first = 0;
		ml_flame_free(&f);
	}
	ml_buf_put_u8(&p.body, ']');
	if (kind == PAGE_REPORT && (top_sites(&p, cap, o) || leaks(&p, cap)))
		goto done;
	if (kind == PAGE_DIFF) {
		ml_export_printf(&p.body, ",\"diff\":{\"peak\":[%llu,%llu],\"end\":[%llu,%llu],\"alloc\":[%llu,%llu],\"rows\":[",
				 (unsigned long long)d->peak[0], (unsigned long long)d->peak[1], (unsigned long long)d->end[0],
				 (unsigned long long)d->end[1], (unsigned long long)d->alloc[0], (unsigned long long)d->alloc[1]);
		for (size_t i = 0; i < d->n_changed && i < 2 * ML_HTML_ROWS; i++) {
			const ml_diff_row_t *r = &d->rows[i];
			ml_export_printf(&p.body,
					 "%s{\"fn\":%ld,\"file\":%ld,\"line\":%llu,\"p0\":%llu,\"p1\":%llu,\"e0\":%llu,\"e1\":%llu}",
					 i ? "," : "", str_id(&p, r->function), str_id(&p, r->file), (unsigned long long)r->line,
					 (unsigned long long)r->peak[0], (unsigned long long)r->peak[1],
					 (unsigned long long)r->end[0], (unsigned long long)r->end[1]);
		}
		ml_export_printf(&p.body, "],\"unchanged\":%zu}", d->n_rows - d->n_changed);
	}
	rc = finish(out, &p, o);
done:
	page_free(&p);
	return rc;
}

static int fit(ml_buf_t *out, page_kind_t kind, const ml_capture_t *cap, const ml_capture_t *after, const ml_diff_t *d,
	       ml_view_at_t at, const ml_html_opts_t *o)
{
	for (size_t nodes = FLAME_MAX_NODES; nodes >= FLAME_MIN_NODES; nodes /= 2) {
		int rc = build(out, kind, cap, after, d, at, o, nodes);
		if (rc <= 0)
			return rc;
	}
	return -2;
}

int ml_html_report(ml_buf_t *out, const ml_capture_t *cap, const ml_html_opts_t *o)
{
	return fit(out, PAGE_REPORT, cap, NULL, NULL, ML_VIEW_AT_PEAK, o);
}

int ml_html_flamegraph(ml_buf_t *out, const ml_capture_t *cap, ml_view_at_t at, const ml_html_opts_t *o)
{
	return fit(out, PAGE_FLAME, cap, NULL, NULL, at, o);
}

int ml_html_diff(ml_buf_t *out, const ml_capture_t *before, const ml_capture_t *after, const ml_diff_t *d,
		 const ml_html_opts_t *o)
{
	return fit(out, PAGE_DIFF, before, after, d, ML_VIEW_AT_PEAK, o);
}
