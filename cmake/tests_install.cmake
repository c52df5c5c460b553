# Installing: --version, the generated man page and completion against --help,
# `cmake --install` into a scratch prefix, and the .deb (cpack, dpkg-deb -I, dpkg --root -i
# into a scratch root). None of them touches the machine's /usr or dpkg database.
add_test(NAME cli.version COMMAND ${PROJECT_SOURCE_DIR}/ci/version-check ${GP_BIN}
         ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/generated/gp_revision.h)
set_tests_properties(cli.version PROPERTIES LABELS unit TIMEOUT 30)

add_test(NAME cli.docs
         COMMAND ${PROJECT_SOURCE_DIR}/ci/cli-docs-check ${GP_BIN} ${CMAKE_BINARY_DIR}/goldenpath.1
                 ${CMAKE_BINARY_DIR}/goldenpath.bash)
set_tests_properties(cli.docs PROPERTIES LABELS unit TIMEOUT 60)

add_test(NAME install.prefix COMMAND ${PROJECT_SOURCE_DIR}/ci/install-check prefix ${CMAKE_BINARY_DIR})
set_tests_properties(install.prefix PROPERTIES LABELS integration TIMEOUT 120)
# cpack first runs the build's preinstall target, which relinks goldenpath if the tree changed
# since the build: run it alone, so no other test sees the binary being replaced.
add_test(NAME install.deb COMMAND ${PROJECT_SOURCE_DIR}/ci/install-check deb ${CMAKE_BINARY_DIR})
set_tests_properties(install.deb PROPERTIES LABELS integration TIMEOUT 300 RUN_SERIAL TRUE)
