/* test_rpc.c - parallel XML-RPC calls under one deadline (client/rpc.c), against a
 * threaded Python stub server (rpc_stub.py): calls run at once, a slow call times out at
 * the deadline without holding back the others, refused connections, worker faults and
 * a refused secret are told apart. */
#include "testutil.h"

#include "redis_harness.h"
#include "rpc.h"

#include <xmlrpc-c/base.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RPC_STUB
#error "RPC_STUB must name tests/client/rpc_stub.py"
#endif

typedef struct stub {
    pid_t pid;
    int stdin_fd; /* closing it ends the stub */
    char url[64];
} stub;

/* Start rpc_stub.py (with 'secret' when not NULL) and read its port. */
static void stub_start(stub *s, const char *secret)
{
    int in[2], out[2];
    char line[32] = "";
    FILE *f;

    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execl("/usr/bin/python3", "python3", RPC_STUB, secret, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    f = fdopen(out[0], "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    s->stdin_fd = in[1];
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/RPC2", atoi(line));
}

static void stub_stop(stub *s)
{
    int status;

    close(s->stdin_fd);
    kill(s->pid, SIGTERM);
    waitpid(s->pid, &status, 0);
}

static xmlrpc_value *int_params(int v)
{
    xmlrpc_env env;
    xmlrpc_value *p;

    xmlrpc_env_init(&env);
    p = xmlrpc_build_value(&env, "(i)", v);
    assert_false(env.fault_occurred);
    xmlrpc_env_clean(&env);
    return p;
}

static void test_calls_run_at_once_and_answer(void **state)
{
    stub s[3];
    ddf_rpc_call calls[3];
    ddf_rpc *rpc;
    ddf_error err;
    xmlrpc_value *p = int_params(300);

    (void)state;
    for (int i = 0; i < 3; i++)
        stub_start(&s[i], NULL);
    assert_int_equal(ddf_rpc_new(NULL, &rpc, &err), DDF_OK);
    memset(calls, 0, sizeof calls);
    for (int i = 0; i < 3; i++) {
        calls[i].url = s[i].url;
        calls[i].method = "sleep";
        calls[i].params = p;
    }
    assert_int_equal(ddf_rpc_run(rpc, calls, 3, 5000, &err), DDF_OK);
    for (int i = 0; i < 3; i++) {
        xmlrpc_env env;
        int v = 0;

        assert_int_equal(calls[i].status, DDF_OK);
        xmlrpc_env_init(&env);
        xmlrpc_read_int(&env, calls[i].result, &v);
        assert_false(env.fault_occurred);
        assert_int_equal(v, 300);
        /* at once: three 300 ms calls end well before 900 ms */
        assert_true(calls[i].elapsed_ms >= 290 && calls[i].elapsed_ms < 800);
        ddf_rpc_call_fini(&calls[i]);
        xmlrpc_env_clean(&env);
    }
    xmlrpc_DECREF(p);
    ddf_rpc_free(rpc);
    for (int i = 0; i < 3; i++)
        stub_stop(&s[i]);
}

static void test_a_slow_call_times_out_at_the_deadline_alone(void **state)
{
    stub s;
    ddf_rpc_call calls[3];
    ddf_rpc *rpc;
    ddf_error err;
    xmlrpc_value *slow = int_params(3000), *fast = int_params(10);

    (void)state;
    stub_start(&s, NULL);
    assert_int_equal(ddf_rpc_new(NULL, &rpc, &err), DDF_OK);
    memset(calls, 0, sizeof calls);
    calls[0] = (ddf_rpc_call){.url = s.url, .method = "sleep", .params = slow};
    calls[1] = (ddf_rpc_call){.url = s.url, .method = "sleep", .params = fast};
    calls[2] = (ddf_rpc_call){.url = s.url, .method = "fail", .params = fast};
    long long t0 = ddf_test_now_ms();
    assert_int_equal(ddf_rpc_run(rpc, calls, 3, 400, &err), DDF_OK);
    long long took = ddf_test_now_ms() - t0;
    assert_true(took >= 390 && took < 1500); /* the deadline, not the 3 s call */
    assert_int_equal(calls[0].status, DDF_ETIMEDOUT);
    assert_non_null(strstr(calls[0].message, "no answer within the deadline"));
    assert_int_equal(calls[1].status, DDF_OK);
    assert_int_equal(calls[2].status, DDF_EIO);
    assert_int_equal(calls[2].fault_code, 42);
    assert_non_null(strstr(calls[2].message, "boom"));
    for (int i = 0; i < 3; i++)
        ddf_rpc_call_fini(&calls[i]);
    /* the client is usable after an aborted run */
    calls[1].status = -1;
    assert_int_equal(ddf_rpc_run(rpc, &calls[1], 1, 2000, &err), DDF_OK);
    assert_int_equal(calls[1].status, DDF_OK);
    ddf_rpc_call_fini(&calls[1]);
    xmlrpc_DECREF(slow);
    xmlrpc_DECREF(fast);
    ddf_rpc_free(rpc);
    stub_stop(&s);
}

static void test_refused_connections_and_secrets_are_told_apart(void **state)
{
    stub s;
    ddf_rpc_call call;
    ddf_rpc *rpc, *good;
    ddf_error err;
    xmlrpc_value *p = int_params(7);
    char closed[64];

    (void)state;
    stub_start(&s, "s3cret");
    snprintf(closed, sizeof closed, "http://127.0.0.1:%d/RPC2", ddf_test_free_port());
    assert_int_equal(ddf_rpc_new("wrong", &rpc, &err), DDF_OK);
    assert_int_equal(ddf_rpc_new("s3cret", &good, &err), DDF_OK);
    call = (ddf_rpc_call){.url = closed, .method = "echo", .params = p};
    assert_int_equal(ddf_rpc_run(rpc, &call, 1, 2000, &err), DDF_OK);
    assert_int_equal(call.status, DDF_EUNREACH);
    assert_non_null(strstr(call.message, closed));
    call = (ddf_rpc_call){.url = s.url, .method = "echo", .params = p};
    assert_int_equal(ddf_rpc_run(rpc, &call, 1, 2000, &err), DDF_OK);
    assert_int_equal(call.status, DDF_EAUTH);
    assert_int_equal(ddf_rpc_run(good, &call, 1, 2000, &err), DDF_OK);
    assert_int_equal(call.status, DDF_OK);
    ddf_rpc_call_fini(&call);
    call = (ddf_rpc_call){.url = s.url, .method = NULL, .params = p};
    assert_int_equal(ddf_rpc_run(good, &call, 1, 2000, &err), DDF_EINVAL);
    xmlrpc_DECREF(p);
    ddf_rpc_free(rpc);
    ddf_rpc_free(good);
    stub_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls_run_at_once_and_answer),
        cmocka_unit_test(test_a_slow_call_times_out_at_the_deadline_alone),
        cmocka_unit_test(test_refused_connections_and_secrets_are_told_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
