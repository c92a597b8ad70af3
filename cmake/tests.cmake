# Unit tests: every tests/unit/test_*.c is one cmocka executable.
if(CMOCKA_LIB)
  foreach(name ${TRAVLOC_UNIT_TESTS})
    set(src ${CMAKE_SOURCE_DIR}/tests/unit/${name}.c)
    add_executable(${name} ${src})
    target_link_libraries(${name} PRIVATE travloc_core ${CMOCKA_LIB})
    add_test(NAME unit/${name} COMMAND ${name})
    set_tests_properties(unit/${name} PROPERTIES
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
      ENVIRONMENT "TRAVLOC_DATA_DIR=${CMAKE_SOURCE_DIR}/data")
  endforeach()
endif()

# Black-box tests: the real binary, once per backend. DATABASE_URL_BASE and
# REDIS_URL come from scripts/test, which starts throwaway servers.
foreach(backend sqlite postgres)
  add_test(NAME e2e/${backend}
    COMMAND ${CMAKE_SOURCE_DIR}/tests/e2e/run.sh)
  set_tests_properties(e2e/${backend} PROPERTIES
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    ENVIRONMENT "TRAVLOC_BIN=$<TARGET_FILE:travloc>;TRAVLOC_BACKEND=${backend}"
    TIMEOUT 900)
endforeach()
