/* testutil.h - helpers shared by the unit tests: allocation failure injection and
 * temporary files. Include after <cmocka.h>'s prerequisites. */
#ifndef DDF_TESTUTIL_H
#define DDF_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Make the allocation after 'n' more successful ones fail (n = 0: the next one fails);
 * a negative n switches failure injection off. Allocations are counted either way. */
void ddf_test_fail_after(long n);

/* Allocations made since the last ddf_test_fail_after() call. */
long ddf_test_alloc_count(void);

/* Whether an injected failure happened since the last ddf_test_fail_after() call. */
int ddf_test_alloc_failed(void);

/* Write 'len' bytes to a new temporary file; returns its path (static storage, valid until
 * the next call with the same 'slot' 0..7). The file is removed by ddf_test_cleanup_files. */
const char *ddf_test_write_file(int slot, const void *data, size_t len);
void ddf_test_cleanup_files(void);

#endif
