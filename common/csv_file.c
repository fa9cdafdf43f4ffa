/* csv_file.c - the local engine: a whole CSV file into partitions on a few threads.
 *
 * This is what a cluster does, in one process: open (header, inference), split exactly,
 * read every partition in parallel, and when any partition asks for a wider dtype, widen
 * the one schema and read every partition again, until all agree (DESIGN §2). Each round
 * widens at least one column one step up a lattice of height 3, so the rounds are bounded.
 * The demo, the benchmarks and the differential tests use it; the worker and client
 * later split the same steps across machines. */
#include "csv_int.h"

#include "alloc.h"
#include "limits.h"

#include <pthread.h>
#include <string.h>

typedef struct read_job {
    const ddf_csv_file *file;
    const ddf_schema *schema;
    const ddf_split_part *parts;
    size_t nparts;
    ddf_table **tables;       /* nparts results */
    ddf_csv_report *reports;  /* nparts reports */
    ddf_error *errors;        /* nparts errors */
    int *rcs;                 /* nparts statuses */
    pthread_mutex_t lock;     /* guards 'next' */
    size_t next;              /* next partition to read */
} read_job;

static void *read_worker(void *arg)
{
    read_job *job = arg;

    for (;;) {
        size_t i;
        pthread_mutex_lock(&job->lock);
        i = job->next++;
        pthread_mutex_unlock(&job->lock);
        if (i >= job->nparts)
            return NULL;
        job->rcs[i] = ddf_csv_read_block(job->file, job->schema, &job->parts[i],
                                         &job->tables[i], &job->reports[i], &job->errors[i]);
    }
}

/* Read every partition with 'schema' on 'nthreads' threads (the caller's included). */
static void read_all(read_job *job, unsigned nthreads)
{
    pthread_t threads[64];
    unsigned started = 0;

    if (nthreads > 64)
        nthreads = 64;
    for (unsigned t = 1; t < nthreads; t++) {
        if (pthread_create(&threads[started], NULL, read_worker, job) != 0)
            break; /* fewer threads is slower, not wrong */
        started++;
    }
    read_worker(job);
    for (unsigned t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
}

static void clear_round(read_job *job)
{
    for (size_t i = 0; i < job->nparts; i++) {
        ddf_table_free(job->tables[i]);
        job->tables[i] = NULL;
        ddf_csv_report_fini(&job->reports[i]);
        ddf_error_init(&job->errors[i]);
        job->rcs[i] = DDF_OK;
    }
    job->next = 0;
}

void ddf_csv_parts_free(ddf_table **parts, size_t nparts)
{
    if (parts == NULL)
        return;
    for (size_t i = 0; i < nparts; i++)
        ddf_table_free(parts[i]);
    ddf_free(parts);
}

/* Fold the partitions' bad-line counts and warnings into 'report'. */
static void merge_reports(read_job *job, ddf_csv_report *report)
{
    for (size_t i = 0; i < job->nparts; i++) {
        ddf_csv_report *r = &job->reports[i];
        report->bad_lines += r->bad_lines;
        for (size_t w = 0; w < r->nwarnings; w++) {
            if (report->nwarnings == DDF_MAX_WARNINGS)
                break;
            report->warnings[report->nwarnings++] = r->warnings[w];
            r->warnings[w] = NULL;
        }
    }
}

int ddf_csv_read_file(const char *path, const ddf_csv_options *opt, unsigned nthreads,
                      ddf_schema **schema_out, ddf_table ***parts_out, size_t *nparts_out,
                      ddf_csv_report *report, ddf_error *err)
{
    ddf_csv_file *file = NULL;
    ddf_split_part *parts = NULL;
    ddf_schema *schema = NULL;
    read_job job;
    size_t nparts = 0, rounds;
    int rc;

    *schema_out = NULL;
    *parts_out = NULL;
    *nparts_out = 0;
    memset(&job, 0, sizeof(job));
    rc = ddf_csv_open(path, opt, &file, err);
    if (rc < 0)
        return rc;
    if (ddf_split_block_count(ddf_csv_data_start(file), ddf_csv_size(file), opt->blocksize) >
        DDF_MAX_PARTITIONS) {
        rc = ddf_error_setf(err, DDF_ETOOBIG, "%s: blocksize %llu makes more than %llu "
                            "partitions; use a larger blocksize", path,
                            (unsigned long long)opt->blocksize,
                            (unsigned long long)DDF_MAX_PARTITIONS);
        goto out;
    }
    rc = ddf_split_file(path, ddf_csv_data_start(file), ddf_csv_data_line(file),
                        opt->blocksize, opt->quote, &parts, &nparts, err);
    if (rc < 0)
        goto out;
    schema = ddf_schema_copy(ddf_csv_schema(file));
    job.tables = ddf_calloc(nparts, sizeof(*job.tables));
    job.reports = ddf_calloc(nparts, sizeof(*job.reports));
    job.errors = ddf_calloc(nparts, sizeof(*job.errors));
    job.rcs = ddf_calloc(nparts, sizeof(*job.rcs));
    if (schema == NULL || job.tables == NULL || job.reports == NULL || job.errors == NULL ||
        job.rcs == NULL) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    pthread_mutex_init(&job.lock, NULL);
    job.file = file;
    job.schema = schema;
    job.parts = parts;
    job.nparts = nparts;
    for (rounds = 0;; rounds++) {
        bool widened = false;

        clear_round(&job);
        read_all(&job, nthreads ? nthreads : 1);
        rc = DDF_OK;
        for (size_t i = 0; i < nparts; i++) {
            if (job.rcs[i] == DDF_EWIDEN) {
                for (size_t c = 0; c < schema->ncols; c++) {
                    ddf_dtype want = ddf_dtype_join(schema->fields[c].dtype,
                                                    job.reports[i].needed[c]);
                    widened |= want != schema->fields[c].dtype;
                    schema->fields[c].dtype = want;
                }
            } else if (job.rcs[i] < 0) {
                /* The first failure in file order, so the message is deterministic. */
                rc = job.rcs[i];
                if (err)
                    *err = job.errors[i];
                break;
            }
        }
        if (rc < 0)
            break;
        if (!widened)
            break;
        if (rounds > 3 * schema->ncols + 1) { /* cannot happen: each round climbs */
            rc = ddf_error_setf(err, DDF_EINVAL, "%s: dtype widening did not settle", path);
            break;
        }
    }
    if (rc == DDF_OK) {
        /* Every partition fits; none asked for widening in the last round. */
        merge_reports(&job, report);
        *parts_out = job.tables;
        *nparts_out = nparts;
        *schema_out = schema;
        job.tables = NULL;
        schema = NULL;
    }
    pthread_mutex_destroy(&job.lock);
out:
    for (size_t i = 0; i < nparts; i++) {
        if (job.tables)
            ddf_table_free(job.tables[i]);
        if (job.reports)
            ddf_csv_report_fini(&job.reports[i]);
    }
    ddf_free(job.tables);
    ddf_free(job.reports);
    ddf_free(job.errors);
    ddf_free(job.rcs);
    ddf_schema_free(schema);
    ddf_free(parts);
    ddf_csv_close(file);
    return rc;
}
