/* pprof.c — profile.proto encoder and gzip (report/pprof.h).
 *
 * Field numbers are those of profile.proto: Profile{1 sample_type, 2 sample, 4 location, 5 function,
 * 6 string_table, 9 time_nanos, 10 duration_nanos, 11 period_type, 12 period, 14 default_sample_type},
 * ValueType{1 type, 2 unit}, Sample{1 location_id packed, 2 value packed}, Location{1 id, 4 line},
 * Line{1 function_id, 2 line}, Function{1 id, 2 name, 3 system_name, 4 filename}.
 */
#include <stdlib.h>
#include <string.h>

#include "core/crc32.h"
#include "report/pprof.h"

#define WIRE_VARINT 0
#define WIRE_LEN 2

static void key(ml_buf_t *b, unsigned field, unsigned wire) { ml_buf_put_varint(b, (uint64_t)field << 3 | wire); }

static void field_u64(ml_buf_t *b, unsigned field, uint64_t v)
{
	key(b, field, WIRE_VARINT);
	ml_buf_put_varint(b, v);
}

static void field_bytes(ml_buf_t *b, unsigned field, const void *p, size_t n)
{
	key(b, field, WIRE_LEN);
	ml_buf_put_varint(b, n);
	ml_buf_put(b, p, n);
}

/* The string table: index 0 is "", the capture's string i gets index map[i] on first use. */
typedef struct {
	ml_buf_t tab; /* encoded field-6 entries, appended at the end of the profile */
	uint32_t *map, *name_map; /* as is; as a function name (see str_name) */
	uint64_t next;
} strtab_t;

static uint64_t str_lit(strtab_t *st, const char *s)
{
	field_bytes(&st->tab, 6, s, strlen(s));
	return st->next++;
}

static uint64_t str_cap(strtab_t *st, const ml_capture_t *cap, uint32_t id)
{
	if (!st->map[id]) {
		const ml_cap_str_t *s = ml_capture_str(cap, id);
		field_bytes(&st->tab, 6, s->s, s->len);
		st->map[id] = (uint32_t)st->next++;
	}
	return st->map[id];
}

/* A function name for pprof's display: pprof drops anything between '<' and '>' as C++ template
 * arguments, which turns "<module>" and "<listcomp>" into "<unknown>"; those become U+2039/U+203A
 * ("‹module›"). system_name keeps the name as it is. */
static uint64_t str_name(strtab_t *st, const ml_capture_t *cap, uint32_t id)
{
	const ml_cap_str_t *s = ml_capture_str(cap, id);
	if (!memchr(s->s, '<', s->len) && !memchr(s->s, '>', s->len))
		return str_cap(st, cap, id);
	if (!st->name_map[id]) {
		ml_buf_t b = {0};
		for (size_t i = 0; i < s->len; i++) {
			if (s->s[i] == '<')
				ml_buf_put(&b, "\xe2\x80\xb9", 3);
			else if (s->s[i] == '>')
				ml_buf_put(&b, "\xe2\x80\xba", 3);
			else
				ml_buf_put_u8(&b, (uint8_t)s->s[i]);
		}
		field_bytes(&st->tab, 6, b.data, b.len);
		if (ml_buf_failed(&b))
			st->tab.failed = 1;
		ml_buf_free(&b);
		st->name_map[id] = (uint32_t)st->next++;
	}
	return st->name_map[id];
}

static void value_type(ml_buf_t *out, ml_buf_t *tmp, unsigned field, uint64_t type, uint64_t unit)
{
	ml_buf_clear(tmp);
	field_u64(tmp, 1, type);
	field_u64(tmp, 2, unit);
	field_bytes(out, field, tmp->data, tmp->len);
}

int ml_pprof_encode(ml_buf_t *out, const ml_capture_t *cap, ml_view_at_t inuse)
{
	size_t n = cap->n_nodes, fsize = 16;
	while (fsize < 2 * n)
		fsize *= 2;
	strtab_t st = {.map = calloc(cap->n_strings + 1, sizeof(uint32_t)),
		       .name_map = calloc(cap->n_strings + 1, sizeof(uint32_t))};
	uint32_t *fn_of = calloc(n, sizeof *fn_of), *ftab = malloc(fsize * sizeof *ftab);
	ml_buf_t tmp = {0}, line = {0}, packed = {0};
	int rc = -1;
	if (!st.map || !st.name_map || !fn_of || !ftab)
		goto done;
	memset(ftab, 0xff, fsize * sizeof *ftab);
	field_bytes(&st.tab, 6, "", 0);
	st.next = 1;

	uint64_t s_inuse_space = str_lit(&st, "inuse_space"), s_inuse_objects = str_lit(&st, "inuse_objects");
	uint64_t s_alloc_space = str_lit(&st, "alloc_space"), s_alloc_objects = str_lit(&st, "alloc_objects");
	uint64_t s_bytes = str_lit(&st, "bytes"), s_count = str_lit(&st, "count"), s_space = str_lit(&st, "space");
	uint64_t s_noframe = str_lit(&st, "[no Python frame]");
	value_type(out, &tmp, 1, s_inuse_space, s_bytes);
	value_type(out, &tmp, 1, s_inuse_objects, s_count);
	value_type(out, &tmp, 1, s_alloc_space, s_bytes);
	value_type(out, &tmp, 1, s_alloc_objects, s_count);

	/* Samples: locations leaf first, as pprof wants. Location id of node i is i; stack 0 is the
	 * extra location n. */
	for (size_t i = 0; i < n; i++) {
		const ml_cap_stack_t *s = &cap->stacks[i];
		uint64_t ib = inuse == ML_VIEW_AT_END ? s->live_bytes : s->peak_bytes;
		uint64_t io = inuse == ML_VIEW_AT_END ? s->live_blocks : s->peak_blocks;
		if (!(ib | io | s->alloc_bytes | s->alloc_blocks))
			continue;
		ml_buf_clear(&tmp);
		ml_buf_clear(&packed);
		if (!i)
			ml_buf_put_varint(&packed, n);
		for (uint32_t id = (uint32_t)i; id; id = cap->nodes[id].parent)
			ml_buf_put_varint(&packed, id);
		field_bytes(&tmp, 1, packed.data, packed.len);
		ml_buf_clear(&packed);
		/* int64 values; counters above INT64_MAX (never in practice) are clamped */
		uint64_t v[4] = {ib, io, s->alloc_bytes, s->alloc_blocks};
		for (int k = 0; k < 4; k++)
			ml_buf_put_varint(&packed, v[k] > INT64_MAX ? INT64_MAX : v[k]);
		field_bytes(&tmp, 2, packed.data, packed.len);
		field_bytes(out, 2, tmp.data, tmp.len);
	}

	/* Functions, one per distinct (function, file): ids from 1. */
	uint64_t n_fn = 0;
	for (size_t i = 1; i < n; i++) {
		const ml_cap_node_t *nd = &cap->nodes[i];
		uint64_t h = (nd->function * 0x9E3779B97F4A7C15ull) ^ (nd->file * 0xC2B2AE3D27D4EB4Full);
		size_t slot = (size_t)(h ^ (h >> 31)) & (fsize - 1);
		for (;; slot = (slot + 1) & (fsize - 1)) {
			uint32_t j = ftab[slot];
			if (j == UINT32_MAX) {
				ftab[slot] = (uint32_t)i;
				fn_of[i] = (uint32_t)++n_fn;
				ml_buf_clear(&tmp);
				field_u64(&tmp, 1, n_fn);
				field_u64(&tmp, 2, str_name(&st, cap, nd->function));
				field_u64(&tmp, 3, str_cap(&st, cap, nd->function));
				field_u64(&tmp, 4, str_cap(&st, cap, nd->file));
				field_bytes(out, 5, tmp.data, tmp.len);
				break;
			}
			if (cap->nodes[j].function == nd->function && cap->nodes[j].file == nd->file) {
				fn_of[i] = fn_of[j];
				break;
			}
		}
	}
	ml_buf_clear(&tmp);
	field_u64(&tmp, 1, n_fn + 1);
	field_u64(&tmp, 2, s_noframe);
	field_u64(&tmp, 3, s_noframe);
	field_bytes(out, 5, tmp.data, tmp.len);

	for (size_t i = 1; i <= n; i++) {
		ml_buf_clear(&tmp);
		ml_buf_clear(&line);
		field_u64(&tmp, 1, i);
		field_u64(&line, 1, i < n ? fn_of[i] : n_fn + 1);
		if (i < n)
			field_u64(&line, 2, cap->nodes[i].line > INT64_MAX ? INT64_MAX : cap->nodes[i].line);
		field_bytes(&tmp, 4, line.data, line.len);
		field_bytes(out, 4, tmp.data, tmp.len);
	}

	const ml_cap_str_t *start = ml_capture_meta(cap, "start_unix_ns");
	if (start && start->len < 21)
		field_u64(out, 9, strtoull(start->s, NULL, 10));
	field_u64(out, 10, cap->duration_ns);
	value_type(out, &tmp, 11, s_space, s_bytes);
	field_u64(out, 12, 1);
	field_u64(out, 14, s_inuse_space);
	ml_buf_put(out, st.tab.data, st.tab.len);
	rc = ml_buf_failed(&st.tab) || ml_buf_failed(&tmp) || ml_buf_failed(&line) || ml_buf_failed(&packed) ||
			     ml_buf_failed(out)
		     ? -1
		     : 0;
done:
	ml_buf_free(&st.tab);
	ml_buf_free(&tmp);
	ml_buf_free(&line);
	ml_buf_free(&packed);
	free(st.map);
	free(st.name_map);
	free(fn_of);
	free(ftab);
	return rc;
}

/* gzip (RFC 1952) of deflate "stored" blocks (RFC 1951 §3.2.4): no compression. Linking zlib would
 * make every program built from the memlens objects (unit tests, fuzzers) need -lz; a profile is
 * bounded by the number of stacks and pprof reads it the same either way. */
int ml_pprof_write(ml_buf_t *out, const ml_capture_t *cap, ml_view_at_t inuse)
{
	static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 /* Unix */};
	ml_buf_t raw = {0};
	int rc = -1;
	if (ml_pprof_encode(&raw, cap, inuse) || raw.len > UINT32_MAX)
		goto done;
	ml_buf_put(out, header, sizeof header);
	size_t off = 0;
	do {
		size_t n = raw.len - off > 65535 ? 65535 : raw.len - off;
		ml_buf_put_u8(out, off + n == raw.len); /* BFINAL on the last block, BTYPE 00 */
		uint8_t len[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)~n, (uint8_t)(~n >> 8)};
		ml_buf_put(out, len, 4);
		ml_buf_put(out, raw.data + off, n);
		off += n;
	} while (off < raw.len);
	ml_buf_put_u32le(out, ml_crc32(0, raw.data, raw.len));
	ml_buf_put_u32le(out, (uint32_t)raw.len);
	rc = ml_buf_failed(out) ? -1 : 0;
done:
	ml_buf_free(&raw);
	return rc;
}
