/* gen_sales.c - gen-sales: writes the "sales" CSV that ddf's benchmarks and tests read.
 *
 *     gen-sales --rows N [--seed S] [--out FILE]
 *
 * A header and N rows of ten columns; pandas.read_csv reads them as
 *
 *     id        int64    1..N, in order
 *     ts        object   ISO-8601 second in 2024, "2024-03-05T14:07:31"
 *     region    object   one of 8 names ("EU-West", ..., "Africa")
 *     product   object   one of 10,000 codes "P-00000".."P-09999"
 *     customer  int64    uniform in 1..1,000,000
 *     qty       int64    1..100
 *     price     float64  0.50..999.99, two decimals
 *     discount  float64  0.00..0.50, two decimals; empty (NaN) in ~5% of rows
 *     returned  bool     True in ~8% of rows, else False
 *     note      object   ~20% empty (NaN), ~10% quoted with commas and doubled quotes
 *                        ("said ""hi"", then left"), the rest one or two plain words
 *
 * Fields never hold a newline and no unquoted field holds a quote, so the file is strict
 * RFC 4180 with LF line ends. The output is a pure function of (N, seed): one splitmix64
 * stream drawn in a fixed order per row, so a file can be rebuilt instead of stored.
 *
 * Rows are formatted by hand into a 4 MiB buffer written with one fwrite each time it
 * fills; no printf per field. Exit status: 0 done, 1 output error, 2 usage error. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define OUT_BUF_BYTES (4u * 1024 * 1024)
#define ROW_MAX_BYTES 512 /* a row is at most ~200 bytes; the buffer keeps this much free */
#define MAX_ROWS 1000000000000ull /* 10^12 rows is ~100 TB: anything more is a typo */
#define YEAR_DAYS 366 /* 2024 is a leap year */

static const char HEADER[] = "id,ts,region,product,customer,qty,price,discount,returned,note\n";

static const char *const REGIONS[8] = {"EU-West",    "EU-East",    "US-East", "US-West",
                                       "APAC-North", "APAC-South", "LATAM",   "Africa"};

/* Plain note words: none is a pandas NA string ("NA", "null", "None", ...), a number or
 * a boolean, so the column stays object with exactly the empty fields as NaN. */
static const char *const WORDS[32] = {
    "ok",      "late",   "gift",     "repeat",  "fragile", "urgent",  "promo", "online",
    "store",   "rush",   "backorder", "damaged", "resold",  "bundle",  "vip",   "pickup",
    "express", "annual", "sample",   "trial",   "renewal", "bulk",    "coupon", "referral",
    "holiday", "outlet", "preorder", "exchange", "warranty", "upgrade", "wholesale", "clearance"};

/* --- PRNG -------------------------------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): one 64-bit add and a mix per draw. */
static uint64_t next_u64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A value in [0, n) for n <= 2^32, by multiply-shift of the high 32 bits (Lemire). The
 * bias is below n / 2^32, invisible in a benchmark file. */
static uint32_t next_below(uint64_t *state, uint32_t n)
{
    return (uint32_t)(((next_u64(state) >> 32) * n) >> 32);
}

/* --- formatting -------------------------------------------------------------------- */

static char digit_pairs[200]; /* "00" "01" ... "99" */
static char dates[YEAR_DAYS][10]; /* "2024-01-01" ... "2024-12-31", not NUL-terminated */

static void init_tables(void)
{
    static const int month_days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int day = 0;

    for (int i = 0; i < 100; i++) {
        digit_pairs[2 * i] = (char)('0' + i / 10);
        digit_pairs[2 * i + 1] = (char)('0' + i % 10);
    }
    for (int m = 0; m < 12; m++) {
        for (int d = 1; d <= month_days[m]; d++, day++) {
            memcpy(dates[day], "2024-", 5);
            memcpy(dates[day] + 5, &digit_pairs[2 * (m + 1)], 2);
            dates[day][7] = '-';
            memcpy(dates[day] + 8, &digit_pairs[2 * d], 2);
        }
    }
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_2digits(char *p, unsigned v)
{
    memcpy(p, &digit_pairs[2 * v], 2);
    return p + 2;
}

static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

/* A note: ~20% empty, ~10% quoted with commas and doubled quotes, else one or two words. */
static char *put_note(char *p, uint64_t *rng)
{
    uint32_t kind = next_below(rng, 100);
    const char *w1 = WORDS[next_below(rng, 32)];
    const char *w2 = WORDS[next_below(rng, 32)];

    if (kind < 20)
        return p; /* empty */
    if (kind < 30) {
        switch (kind % 4) {
        case 0: /* "said ""w1"", then w2" */
            p = put_str(p, "\"said \"\"");
            p = put_str(p, w1);
            p = put_str(p, "\"\", then ");
            p = put_str(p, w2);
            return put_str(p, "\"");
        case 1: /* "w1, w2, and more" */
            p = put_str(p, "\"");
            p = put_str(p, w1);
            p = put_str(p, ", ");
            p = put_str(p, w2);
            return put_str(p, ", and more\"");
        case 2: /* "customer wrote ""w1, w2""" - a doubled quote just before the close */
            p = put_str(p, "\"customer wrote \"\"");
            p = put_str(p, w1);
            p = put_str(p, ", ");
            p = put_str(p, w2);
            return put_str(p, "\"\"\"");
        default: /* "w1,w2" - a comma with no space */
            p = put_str(p, "\"");
            p = put_str(p, w1);
            p = put_str(p, ",");
            p = put_str(p, w2);
            return put_str(p, "\"");
        }
    }
    p = put_str(p, w1);
    if (kind < 50) {
        *p++ = ' ';
        p = put_str(p, w2);
    }
    return p;
}

/* Format row 'id' at 'p'; returns the end. Draws from 'rng' in a fixed order. */
static char *put_row(char *p, uint64_t id, uint64_t *rng)
{
    uint32_t sec = next_below(rng, YEAR_DAYS * 86400u);
    uint32_t sod = sec % 86400u;
    uint32_t cents = 50 + next_below(rng, 99999 - 50 + 1);
    uint32_t product = next_below(rng, 10000);

    p = put_u64(p, id);
    *p++ = ',';
    memcpy(p, dates[sec / 86400u], 10);
    p += 10;
    *p++ = 'T';
    p = put_2digits(p, sod / 3600);
    *p++ = ':';
    p = put_2digits(p, sod / 60 % 60);
    *p++ = ':';
    p = put_2digits(p, sod % 60);
    *p++ = ',';
    p = put_str(p, REGIONS[next_below(rng, 8)]);
    p = put_str(p, ",P-0");
    p = put_2digits(p, product / 100);
    p = put_2digits(p, product % 100);
    *p++ = ',';
    p = put_u64(p, 1 + next_below(rng, 1000000));
    *p++ = ',';
    p = put_u64(p, 1 + next_below(rng, 100));
    *p++ = ',';
    p = put_u64(p, cents / 100);
    *p++ = '.';
    p = put_2digits(p, cents % 100);
    *p++ = ',';
    if (next_below(rng, 100) >= 5) {
        uint32_t d = next_below(rng, 51); /* hundredths, 0..50 */
        p = put_str(p, "0.");
        p = put_2digits(p, d);
    }
    *p++ = ',';
    p = put_str(p, next_below(rng, 100) < 8 ? "True" : "False");
    *p++ = ',';
    p = put_note(p, rng);
    *p++ = '\n';
    return p;
}

/* --- output ------------------------------------------------------------------------ */

/* Write the header and 'rows' rows to 'out'. Returns 0, or -1 with errno set when a
 * write fails. */
static int generate(FILE *out, uint64_t rows, uint64_t seed)
{
    static char buf[OUT_BUF_BYTES];
    uint64_t rng = seed;
    char *p = buf;

    p = put_str(p, HEADER);
    for (uint64_t id = 1; id <= rows; id++) {
        p = put_row(p, id, &rng);
        if ((size_t)(buf + sizeof(buf) - p) < ROW_MAX_BYTES) {
            if (fwrite(buf, 1, (size_t)(p - buf), out) != (size_t)(p - buf))
                return -1;
            p = buf;
        }
    }
    if (p > buf && fwrite(buf, 1, (size_t)(p - buf), out) != (size_t)(p - buf))
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

/* --- flags ------------------------------------------------------------------------- */

static void usage(FILE *to)
{
    fputs("usage: gen-sales --rows N [--seed S] [--out FILE]\n"
          "\n"
          "Write the ddf \"sales\" benchmark CSV (header + N rows) to FILE or stdout.\n"
          "The output depends only on N and S.\n"
          "\n"
          "  -n, --rows N    data rows to write (required, 0..1000000000000)\n"
          "  -s, --seed S    PRNG seed, an unsigned 64-bit integer (default 1)\n"
          "  -o, --out FILE  write to FILE instead of stdout (a regular FILE is\n"
          "                  removed on a write error)\n"
          "  -h, --help      show this help\n",
          to);
}

/* Parse a whole unsigned decimal into *out, at most 'max'. Returns false on anything
 * else: a sign, spaces, trailing characters, overflow. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"rows", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t rows = 0, seed = 1;
    bool have_rows = false;
    const char *path = NULL;
    FILE *out = stdout;
    bool remove_on_error = false; /* --out is a regular file, truncated by us */
    struct stat st;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "n:s:o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (!parse_u64(optarg, MAX_ROWS, &rows)) {
                fprintf(stderr, "gen-sales: --rows: '%s' is not a whole number in 0..%llu\n",
                        optarg, MAX_ROWS);
                return 2;
            }
            have_rows = true;
            break;
        case 's':
            if (!parse_u64(optarg, UINT64_MAX, &seed)) {
                fprintf(stderr, "gen-sales: --seed: '%s' is not an unsigned 64-bit integer\n",
                        optarg);
                return 2;
            }
            break;
        case 'o':
            path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default: /* getopt_long has printed what is wrong */
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gen-sales: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (!have_rows) {
        fprintf(stderr, "gen-sales: --rows is required\n");
        usage(stderr);
        return 2;
    }

    if (path != NULL) {
        out = fopen(path, "wb");
        if (out == NULL) {
            fprintf(stderr, "gen-sales: %s: %s\n", path, strerror(errno));
            return 1;
        }
        /* Only a regular file is ours to remove; never a device such as /dev/null. */
        remove_on_error = fstat(fileno(out), &st) == 0 && S_ISREG(st.st_mode);
    }
    init_tables();
    rc = generate(out, rows, seed);
    if (rc < 0)
        fprintf(stderr, "gen-sales: %s: write failed: %s\n", path ? path : "stdout",
                strerror(errno));
    if (path != NULL) {
        if (fclose(out) != 0 && rc == 0) {
            fprintf(stderr, "gen-sales: %s: %s\n", path, strerror(errno));
            rc = -1;
        }
        if (rc < 0 && remove_on_error)
            remove(path); /* no half-written file that a script would take as done */
    }
    return rc < 0 ? 1 : 0;
}
