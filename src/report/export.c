/* export.c — speedscope, folded, JSON and CSV exports (report/export.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/version.h"
#include "report/export.h"

#define PUTS(b, lit) ml_buf_put((b), (lit), sizeof(lit) - 1)

/* ---- Shared writers ---- */

void ml_export_printf(ml_buf_t *out, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		ml_buf_put(out, small, (size_t)n);
		return;
	}
	uint8_t *p = ml_buf_reserve(out, (size_t)n + 1);
	if (!p)
		return;
	va_start(ap, fmt);
	vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	out->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. Rejects overlongs and
 * surrogates, so what passes is safe for any JSON parser. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
	if (!len || len > n || (len == 2 && c < 0xC2) || (c > 0xF4))
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if (len == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0)))
		return 0;
	if (len == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90)))
		return 0;
	return len;
}

void ml_export_json_str(ml_buf_t *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	ml_buf_put_u8(out, '"');
	for (size_t i = 0; i < len;) {
		unsigned c = p[i];
		if (c >= 0x80) {
			size_t n = utf8_len(p + i, len - i);
			if (n) {
				ml_buf_put(out, p + i, n);
				i += n;
			} else {
				PUTS(out, "\\ufffd");
				i++;
			}
			continue;
		}
		if (c == '"' || c == '\\')
			ml_export_printf(out, "\\%c", c);
		else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f)
			ml_export_printf(out, "\\u%04x", c);
		else
			ml_buf_put_u8(out, (uint8_t)c);
		i++;
	}
	ml_buf_put_u8(out, '"');
}

static void json_cstr(ml_buf_t *out, const ml_cap_str_t *s) { ml_export_json_str(out, s->s, s->len); }

int ml_export_parse_format(const char *s, ml_export_fmt_t *out)
{
	static const char *const names[] = {"speedscope", "folded", "json", "csv", "pprof"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(s, names[i])) {
			*out = (ml_export_fmt_t)i;
			return 0;
		}
	return -1;
}

static uint64_t at_bytes(const ml_cap_stack_t *s, ml_view_at_t at)
{
	return at == ML_VIEW_AT_PEAK ? s->peak_bytes : at == ML_VIEW_AT_END ? s->live_bytes : s->alloc_bytes;
}

/* ---- speedscope ---- */

/* Frame index of each node, frames deduplicated by (function, file, line) so that speedscope's
 * per-function views (sandwich) add up a function called from several places. Index n_frames - 1
 * (one past the nodes' frames) is "[no Python frame]". */
static uint32_t *speedscope_frames(const ml_capture_t *cap, ml_buf_t *out, size_t *n_frames)
{
	size_t n = cap->n_nodes, size = 16;
	while (size < 2 * n)
		size *= 2;
	uint32_t *frame = malloc(n * sizeof *frame), *table = malloc(size * sizeof *table);
	if (!frame || !table) {
		free(frame);
		free(table);
		return NULL;
	}
	memset(table, 0xff, size * sizeof *table);
	size_t nf = 0;
	PUTS(out, "\"shared\":{\"frames\":[");
	for (size_t i = 1; i < n; i++) {
		const ml_cap_node_t *nd = &cap->nodes[i];
		uint64_t h = (nd->function * 0x9E3779B97F4A7C15ull) ^ (nd->file * 0xC2B2AE3D27D4EB4Full) ^ nd->line;
		size_t slot = (size_t)(h ^ (h >> 29)) & (size - 1);
		for (;; slot = (slot + 1) & (size - 1)) {
			uint32_t j = table[slot];
			if (j == UINT32_MAX) {
				table[slot] = (uint32_t)i;
				frame[i] = (uint32_t)nf++;
				ml_buf_put(out, nf > 1 ? ",{\"name\":" : "{\"name\":", nf > 1 ? 9 : 8);
				json_cstr(out, ml_capture_str(cap, nd->function));
				PUTS(out, ",\"file\":");
				json_cstr(out, ml_capture_str(cap, nd->file));
				ml_export_printf(out, ",\"line\":%llu}", (unsigned long long)nd->line);
				break;
			}
			const ml_cap_node_t *o = &cap->nodes[j];
			if (o->function == nd->function && o->file == nd->file && o->line == nd->line) {
				frame[i] = frame[j];
				break;
			}
		}
	}
	ml_export_printf(out, "%s{\"name\":\"[no Python frame]\"}]}", nf ? "," : "");
	*n_frames = nf + 1;
	free(table);
	return frame;
}

void ml_export_speedscope(ml_buf_t *out, const ml_capture_t *cap, const char *name)
{
	static const struct {
		ml_view_at_t at;
		const char *title;
	} profiles[] = {{ML_VIEW_AT_PEAK, "alive at the peak"},
			{ML_VIEW_AT_END, "alive at exit (leaks)"},
			{ML_VIEW_AT_TOTAL, "allocated over the run"}};
	size_t n_frames;
	uint32_t *path = malloc((cap->n_nodes + 1) * sizeof *path);
	PUTS(out, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",");
	uint32_t *frame = path ? speedscope_frames(cap, out, &n_frames) : NULL;
	if (!frame) {
		free(path);
		out->failed = 1;
		return;
	}
	PUTS(out, ",\"profiles\":[");
	for (size_t p = 0; p < sizeof profiles / sizeof profiles[0]; p++) {
		uint64_t total = 0;
		for (size_t i = 0; i < cap->n_nodes; i++)
			total += at_bytes(&cap->stacks[i], profiles[p].at);
		ml_export_printf(out, "%s{\"type\":\"sampled\",\"name\":", p ? "," : "");
		ml_buf_t title = {0};
		ml_export_printf(&title, "%s — %s", name, profiles[p].title);
		ml_export_json_str(out, (const char *)title.data, title.len);
		ml_buf_free(&title);
		ml_export_printf(out, ",\"unit\":\"bytes\",\"startValue\":0,\"endValue\":%llu,\"samples\":[",
				 (unsigned long long)total);
		int first = 1;
		for (size_t i = 0; i < cap->n_nodes; i++) {
			if (!at_bytes(&cap->stacks[i], profiles[p].at))
				continue;
			size_t depth = 0;
			if (!i)
				path[depth++] = (uint32_t)(n_frames - 1);
			for (uint32_t id = (uint32_t)i; id; id = cap->nodes[id].parent)
				path[depth++] = frame[id];
			ml_buf_put(out, first ? "[" : ",[", first ? 1 : 2);
			first = 0;
			while (depth--)
				ml_export_printf(out, depth ? "%u," : "%u", path[depth]);
			ml_buf_put_u8(out, ']');
		}
		PUTS(out, "],\"weights\":[");
		first = 1;
		for (size_t i = 0; i < cap->n_nodes; i++) {
			uint64_t v = at_bytes(&cap->stacks[i], profiles[p].at);
			if (v) {
				ml_export_printf(out, first ? "%llu" : ",%llu", (unsigned long long)v);
				first = 0;
			}
		}
		PUTS(out, "]}");
	}
	PUTS(out, "],\"name\":");
	ml_export_json_str(out, name, strlen(name));
	ml_export_printf(out, ",\"activeProfileIndex\":0,\"exporter\":\"memlens %s\"}\n", ML_VERSION);
	free(frame);
	free(path);
}

/* ---- Folded stacks ---- */

static void folded_str(ml_buf_t *out, const ml_cap_str_t *s)
{
	for (size_t i = 0; i < s->len; i++) {
		unsigned char c = (unsigned char)s->s[i];
		ml_buf_put_u8(out, c == ';' || c < 0x20 || c == 0x7f ? '?' : c);
	}
}

static void folded_frame(ml_buf_t *out, const ml_capture_t *cap, uint32_t id)
{
	const ml_cap_node_t *nd = ml_capture_node(cap, id);
	folded_str(out, ml_capture_str(cap, nd->function));
	PUTS(out, " (");
	folded_str(out, ml_capture_str(cap, nd->file));
	ml_export_printf(out, ":%llu)", (unsigned long long)nd->line);
}

static void folded_stack(ml_buf_t *out, const ml_capture_t *cap, uint32_t stack, uint32_t *path)
{
	size_t depth = 0;
	if (!stack) {
		PUTS(out, "[no Python frame]");
		return;
	}
	for (uint32_t id = stack; id; id = cap->nodes[id].parent)
		path[depth++] = id;
	while (depth--) {
		folded_frame(out, cap, path[depth]);
		if (depth)
			ml_buf_put_u8(out, ';');
	}
}

void ml_export_folded(ml_buf_t *out, const ml_capture_t *cap, ml_view_at_t at)
{
	uint32_t *path = malloc((cap->n_nodes + 1) * sizeof *path);
	if (!path) {
		out->failed = 1;
		return;
	}
	for (size_t i = 0; i < cap->n_nodes; i++) {
		uint64_t v = at_bytes(&cap->stacks[i], at);
		if (!v)
			continue;
		folded_stack(out, cap, (uint32_t)i, path);
		ml_export_printf(out, " %llu\n", (unsigned long long)v);
	}
	free(path);
}

/* ---- JSON ---- */

static void json_sites(ml_buf_t *out, const ml_capture_t *cap, const char *key, const ml_view_top_t *top)
{
	ml_export_printf(out, ",\"%s\":[", key);
	for (size_t i = 0; i < top->n_rows; i++) {
		const ml_view_row_t *r = &top->rows[i];
		ml_buf_put(out, i ? ",{" : "{", i ? 2 : 1);
		if (r->stack) {
			const ml_cap_node_t *nd = ml_capture_node(cap, r->stack);
			PUTS(out, "\"file\":");
			json_cstr(out, ml_capture_str(cap, nd->file));
			ml_export_printf(out, ",\"line\":%llu,\"function\":", (unsigned long long)nd->line);
			json_cstr(out, ml_capture_str(cap, nd->function));
		} else {
			PUTS(out, "\"file\":null,\"line\":0,\"function\":\"[no Python frame]\"");
		}
		ml_export_printf(out, ",\"bytes\":%llu,\"blocks\":%llu,\"share\":%.4f,\"stack\":%u}", (unsigned long long)r->bytes,
				 (unsigned long long)r->blocks, ml_view_share(r->bytes, top->total_bytes) / 100.0, r->stack);
	}
	ml_buf_put_u8(out, ']');
}

void ml_export_json(ml_buf_t *out, const ml_capture_t *cap, const ml_view_summary_t *s)
{
	ml_export_printf(out, "{\"schema\":\"memlens-report\",\"schema_version\":%d,\"memlens_version\":\"%s\"",
			 ML_EXPORT_JSON_SCHEMA_VERSION, ML_VERSION);
	PUTS(out, ",\"run\":{\"argv\":[");
	const ml_cap_str_t *argv = ml_capture_meta(cap, "argv");
	if (argv) {
		for (size_t i = 0, start = 0; i <= argv->len; i++)
			if (i == argv->len || !argv->s[i]) {
				if (start)
					ml_buf_put_u8(out, ',');
				ml_export_json_str(out, argv->s + start, i - start);
				start = i + 1;
				if (i == argv->len)
					break;
			}
	}
	const ml_cap_str_t *pyver = ml_capture_meta(cap, "python_version");
	PUTS(out, "],\"python_version\":");
	if (pyver)
		json_cstr(out, pyver);
	else
		PUTS(out, "null");
	ml_export_printf(out, ",\"complete\":%s,\"stopped_early\":%s}", cap->complete ? "true" : "false",
			 cap->complete && (cap->end_flags & 1) ? "true" : "false");
	ml_export_printf(out,
			 ",\"summary\":{\"duration_ns\":%llu,\"alloc_bytes\":%llu,\"alloc_blocks\":%llu,"
			 "\"peak_bytes\":%llu,\"peak_blocks\":%llu,\"peak_t_ns\":%llu,"
			 "\"rss_peak_bytes\":%llu,\"rss_peak_t_ns\":%llu,\"leaked_bytes\":%llu,\"leaked_blocks\":%llu}",
			 (unsigned long long)s->duration_ns, (unsigned long long)s->alloc_bytes,
			 (unsigned long long)s->alloc_blocks, (unsigned long long)s->peak_bytes,
			 (unsigned long long)s->peak_blocks, (unsigned long long)s->peak_t,
			 (unsigned long long)s->rss_peak, (unsigned long long)s->rss_peak_t,
			 (unsigned long long)s->end_bytes, (unsigned long long)s->end_blocks);
	static const struct {
		const char *key;
		ml_view_at_t at;
	} lists[] = {{"top_peak", ML_VIEW_AT_PEAK}, {"top_leaks", ML_VIEW_AT_END}, {"top_alloc", ML_VIEW_AT_TOTAL}};
	for (size_t l = 0; l < 3; l++) {
		ml_view_top_t top;
		if (ml_view_top(cap, ML_VIEW_BY_LINE, lists[l].at, 20, &top)) {
			out->failed = 1;
			return;
		}
		json_sites(out, cap, lists[l].key, &top);
		ml_view_top_free(&top);
	}
	PUTS(out, ",\"marks\":[");
	for (size_t i = 0; i < cap->n_marks; i++) {
		ml_export_printf(out, "%s{\"t_ns\":%llu,\"heap_bytes\":%llu,\"label\":", i ? "," : "",
				 (unsigned long long)cap->marks[i].t, (unsigned long long)cap->marks[i].heap);
		json_cstr(out, &cap->marks[i].label);
		ml_buf_put_u8(out, '}');
	}
	PUTS(out, "],\"frames\":[");
	for (size_t i = 1; i < cap->n_nodes; i++) {
		const ml_cap_node_t *nd = &cap->nodes[i];
		ml_export_printf(out, "%s{\"id\":%zu,\"parent\":%u,\"function\":", i > 1 ? "," : "", i, nd->parent);
		json_cstr(out, ml_capture_str(cap, nd->function));
		PUTS(out, ",\"file\":");
		json_cstr(out, ml_capture_str(cap, nd->file));
		ml_export_printf(out, ",\"line\":%llu}", (unsigned long long)nd->line);
	}
	PUTS(out, "],\"stacks\":[");
	int first = 1;
	for (size_t i = 0; i < cap->n_nodes; i++) {
		const ml_cap_stack_t *st = &cap->stacks[i];
		if (!(st->peak_bytes | st->peak_blocks | st->live_bytes | st->live_blocks | st->alloc_bytes | st->alloc_blocks))
			continue;
		ml_export_printf(out,
				 "%s{\"frame\":%zu,\"peak_bytes\":%llu,\"peak_blocks\":%llu,\"end_bytes\":%llu,"
				 "\"end_blocks\":%llu,\"alloc_bytes\":%llu,\"alloc_blocks\":%llu}",
				 first ? "" : ",", i, (unsigned long long)st->peak_bytes, (unsigned long long)st->peak_blocks,
				 (unsigned long long)st->live_bytes, (unsigned long long)st->live_blocks,
				 (unsigned long long)st->alloc_bytes, (unsigned long long)st->alloc_blocks);
		first = 0;
	}
	PUTS(out, "]}\n");
}

/* ---- CSV ---- */

/* RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled. A cell that would
 * start with = + - @ gets a leading ' so that a spreadsheet shows it instead of evaluating it. */
static void csv_cell(ml_buf_t *out, const char *s, size_t len)
{
	int quote = len && strchr("=+-@", s[0]);
	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!quote) {
		ml_buf_put(out, s, len);
		return;
	}
	ml_buf_put_u8(out, '"');
	if (len && strchr("=+-@", s[0]))
		ml_buf_put_u8(out, '\'');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			ml_buf_put_u8(out, '"');
		ml_buf_put_u8(out, (uint8_t)s[i]);
	}
	ml_buf_put_u8(out, '"');
}

void ml_export_csv(ml_buf_t *out, const ml_capture_t *cap)
{
	uint32_t *path = malloc((cap->n_nodes + 1) * sizeof *path);
	ml_buf_t stack = {0};
	if (!path) {
		out->failed = 1;
		return;
	}
	PUTS(out, "stack_id,function,file,line,depth,peak_bytes,peak_blocks,end_bytes,end_blocks,alloc_bytes,alloc_blocks,"
		  "stack\r\n");
	for (size_t i = 0; i < cap->n_nodes; i++) {
		const ml_cap_stack_t *st = &cap->stacks[i];
		if (!(st->peak_bytes | st->peak_blocks | st->live_bytes | st->live_blocks | st->alloc_bytes | st->alloc_blocks))
			continue;
		const ml_cap_node_t *nd = ml_capture_node(cap, (uint32_t)i);
		ml_export_printf(out, "%zu,", i);
		if (i) {
			csv_cell(out, ml_capture_str(cap, nd->function)->s, ml_capture_str(cap, nd->function)->len);
			ml_buf_put_u8(out, ',');
			csv_cell(out, ml_capture_str(cap, nd->file)->s, ml_capture_str(cap, nd->file)->len);
		} else {
			PUTS(out, "[no Python frame],");
		}
		ml_export_printf(out, ",%llu,%zu,%llu,%llu,%llu,%llu,%llu,%llu,", (unsigned long long)nd->line,
				 ml_capture_stack_depth(cap, (uint32_t)i), (unsigned long long)st->peak_bytes,
				 (unsigned long long)st->peak_blocks, (unsigned long long)st->live_bytes,
				 (unsigned long long)st->live_blocks, (unsigned long long)st->alloc_bytes,
				 (unsigned long long)st->alloc_blocks);
		ml_buf_clear(&stack);
		folded_stack(&stack, cap, (uint32_t)i, path);
		csv_cell(out, (const char *)stack.data, stack.len);
		PUTS(out, "\r\n");
	}
	if (ml_buf_failed(&stack))
		out->failed = 1;
	ml_buf_free(&stack);
	free(path);
}
