# ddf's hash group-by (partials serialized, round-tripped through the codec and merged in
# shuffled or reversed order; also merged directly and in one pass) against pandas.
add_executable(ddf-groupbydump ${CMAKE_CURRENT_LIST_DIR}/groupbydump.c)
target_link_libraries(ddf-groupbydump PRIVATE ddf_dumputil ddf_warnings)

# The 1M-group case takes ~3 minutes under ASan on two cores; the sanitizer build runs
# every other case, the normal build runs it too (both run in CI).
if(DDF_SANITIZE)
  set(DDF_GROUPBY_DIFF_ARGS --skip-big)
endif()
add_test(NAME diff.groupby_vs_pandas
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/groupby_vs_pandas.py
          --dump $<TARGET_FILE:ddf-groupbydump> --workdir ${CMAKE_CURRENT_BINARY_DIR}/groupby_vs_pandas
          ${DDF_GROUPBY_DIFF_ARGS})
set_tests_properties(diff.groupby_vs_pandas PROPERTIES TIMEOUT 600)
