/* table_compact.h - shrink a parsed partition to what its values need before it is cached.
 *
 * Parsing grows column buffers geometrically, so a partition holds up to twice the bytes
 * its rows need, and a low-cardinality string column such as a region or a product code
 * repeats the same few strings with an 8-byte offset each. A cached partition lives for
 * the whole session, so it is worth one more pass: ddf_table_compact shrinks every buffer
 * to its rows, in place, and dictionary-encodes (column.h) each string column with few
 * distinct values.
 *
 * Which string columns: the dictionary is built row by row and given up at a checkpoint
 * (rows 16384, 65536, 262144, ...) where too many rows brought a new string: after the
 * first DDF_COMPACT_SAMPLE_ROWS rows when 7 in 8 were new (a timestamp or an id column
 * costs the sample only, ~0.3 ms), then 5 in 8, then 1 in DDF_COMPACT_SAMPLE_RATIO. A
 * product code of 10,000 values is 82% new in the first 4096 rows (100% when the rows
 * cycle through the products), so a "distinct <= rows / 4 in the first 4096 rows" rule
 * would miss the very column that gains most. The whole column must also stay within
 * DDF_COMPACT_MAX_ENTRIES entries and come out smaller than the plain layout, else it
 * stays plain.
 *
 * An int64 column whose every value fits in a signed byte also gets those values as
 * bytes ('i8', column.h), one more byte a row: a warm float expression over it (price *
 * qty) is bound by the bytes it reads, and reads 1 instead of 8 for that column. */
#ifndef DDF_TABLE_COMPACT_H
#define DDF_TABLE_COMPACT_H

#include "error.h"
#include "table.h"

/* Rows looked at before the first verdict: enough to see the values of a category
 * column of 10,000 values repeat, few enough that a unique-valued column costs little. */
#define DDF_COMPACT_SAMPLE_ROWS 16384
/* Rows per distinct value, at least, past the second checkpoint. */
#define DDF_COMPACT_SAMPLE_RATIO 4
/* Dictionary entries at most: the code -> group map of a group-by (groupby.c) and the
 * code counts of value_counts are allocated per dictionary, so keep them small (256 KiB
 * and 1 MiB at this bound). */
#define DDF_COMPACT_MAX_ENTRIES 65536

/* Compact 't' in place: exact-size buffers, low-cardinality string columns
 * dictionary-encoded, byte-sized int64 columns given their byte copy, values unchanged (ddf_table_equal with the table before holds).
 * 't' must be complete (every column nrows long) and own its buffers as column.c and
 * the codec build them: each one allocated from t->arena at the size its capacity fields
 * say - a parsed or decoded table, not a view sharing another table's buffers. Pointers
 * into the old buffers are invalid afterwards. On error (DDF_ENOMEM, 'err' says so) the
 * table is still complete and correct, partly compacted. */
int ddf_table_compact(ddf_table *t, ddf_error *err);

/* Give int64 column 'col' its byte copy (column.h) when every value of its rows fits in
 * an int8, as ddf_table_compact does; any other column is left alone. The copy is
 * allocated from 'arena', which must live as long as the column's buffers. No memory for
 * the copy: the column stays as it is, correct. */
void ddf_column_add_byte_copy(ddf_column *col, ddf_arena *arena);

#endif
