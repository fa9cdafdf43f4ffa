# value_counts and nlargest/nsmallest (partials per partition, through the codec, merged
# in reverse order) against pandas.
add_executable(ddf-topkdump ${CMAKE_CURRENT_SOURCE_DIR}/topkdump.c)
target_link_libraries(ddf-topkdump PRIVATE ddf_dumputil ddf_warnings)

add_test(NAME diff.topk_vs_pandas
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/topk_vs_pandas.py
          --dump $<TARGET_FILE:ddf-topkdump> --workdir ${CMAKE_CURRENT_BINARY_DIR}/topk_vs_pandas)
set_tests_properties(diff.topk_vs_pandas PROPERTIES TIMEOUT 300)
