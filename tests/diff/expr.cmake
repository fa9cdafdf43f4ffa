# ddf's expression language (parse, check, eval, filter) against pandas/numpy.
add_executable(ddf-exprdump ${CMAKE_CURRENT_SOURCE_DIR}/exprdump.c)
target_link_libraries(ddf-exprdump PRIVATE ddf_dumputil ddf_warnings)

add_test(NAME diff.expr_vs_pandas
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/expr_vs_pandas.py
          --dump $<TARGET_FILE:ddf-exprdump> --workdir ${CMAKE_CURRENT_BINARY_DIR}/expr_vs_pandas)
set_tests_properties(diff.expr_vs_pandas PROPERTIES TIMEOUT 300)
