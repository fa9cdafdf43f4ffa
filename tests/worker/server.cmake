# Tests of the worker's XML-RPC server, included by tests/worker/CMakeLists.txt: the plan
# decoder (cmocka) and the server end to end from Python's xmlrpc.client against a private
# redis-server (tests/harness/redis_harness.py).
set(DDF_WORKER_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})

add_executable(test_plan_decode ${DDF_WORKER_TEST_DIR}/test_plan_decode.c)
target_include_directories(test_plan_decode PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_plan_decode PRIVATE ddf_worker_server ddf_testutil
                      ${CMOCKA_LIBRARIES} ddf_warnings)
add_test(NAME worker.test_plan_decode COMMAND test_plan_decode)
set_tests_properties(worker.test_plan_decode PROPERTIES TIMEOUT 60)

add_test(NAME worker.server
  COMMAND /usr/bin/python3 ${DDF_WORKER_TEST_DIR}/test_server.py
          --worker $<TARGET_FILE:ddf-worker> --registry-cli $<TARGET_FILE:ddf-registry>)
set_tests_properties(worker.server PROPERTIES TIMEOUT 240
  ENVIRONMENT "PYTHONPATH=${DDF_WORKER_TEST_DIR}/../harness:${DDF_WORKER_TEST_DIR}/../diff;PYTHONDONTWRITEBYTECODE=1")
