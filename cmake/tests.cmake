# Test registration. Each area keeps its CTest registrations in cmake/tests_<area>.cmake so
# areas can grow without touching each other.
set(GP_BIN ${CMAKE_BINARY_DIR}/goldenpath)
set(GP_REFSERVER ${CMAKE_BINARY_DIR}/gp-refserver)
# Tools several areas use; found here, before any fragment, so fragment order never matters.
find_program(GP_XMLLINT xmllint REQUIRED)
find_package(Python3 COMPONENTS Interpreter REQUIRED)
file(GLOB GP_TEST_FRAGMENTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/tests_*.cmake)
list(SORT GP_TEST_FRAGMENTS)
foreach(frag ${GP_TEST_FRAGMENTS})
  include(${frag})
endforeach()
