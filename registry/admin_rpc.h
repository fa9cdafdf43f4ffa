/* admin_rpc.h - the XML-RPC calls ddf-registry makes to an endpoint (ddf.ping before `add`,
 * ddf.shutdown for `remove --shutdown`). Part of the CLI only: libddf_registry itself does
 * not depend on xmlrpc-c. */
#ifndef DDF_ADMIN_RPC_H
#define DDF_ADMIN_RPC_H

#include "registry.h"

/* Call 'method' without parameters on the endpoint 'url' and wait at most 'timeout_ms';
 * with a 'secret' (may be NULL) the call carries it as HTTP Basic auth, user "ddf", as
 * workers require (DESIGN §8).
 * When 'info' is not NULL and the result is a struct, the fields the endpoint reports
 * (host, pid, threads, mem_limit, mem_used, partitions, version) are copied into it. On
 * error: DDF_EUNREACH (transport failure, no answer in time) or DDF_EIO (a fault), with
 * 'err' naming the URL and the method. */
int ddf_admin_rpc_call(const char *url, const char *method, const char *secret,
                       int timeout_ms, ddf_worker_info *info, ddf_error *err);

#endif
