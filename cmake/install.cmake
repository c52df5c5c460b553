# What `cmake --install` puts under the prefix, and the .deb CPack makes of it (`cpack -G DEB`
# in the build directory). The man page and the bash completion are generated from the built
# binary's --help texts (docs/man/gen-cli-docs), so they always describe the binary beside them.
include(GNUInstallDirs)

set(GP_MAN_TEMPLATE ${PROJECT_SOURCE_DIR}/docs/man/goldenpath.1.in)
set(GP_GEN_CLI_DOCS ${PROJECT_SOURCE_DIR}/docs/man/gen-cli-docs)
set(GP_MAN ${CMAKE_BINARY_DIR}/goldenpath.1)
set(GP_MAN_GZ ${CMAKE_BINARY_DIR}/goldenpath.1.gz)
set(GP_COMPLETION ${CMAKE_BINARY_DIR}/goldenpath.bash)
# Man pages are installed compressed (Debian policy 12.1). gzip -9n leaves out the file name
# and time stamp, so the same page always compresses to the same bytes (reproducible builds).
find_program(GP_GZIP gzip REQUIRED)
set(GP_DATADIR_REL ${CMAKE_INSTALL_DATADIR}/goldenpath)
# The build's man page names the configured prefix's data directory; `cmake --install` and
# CPack write the page again for the prefix they install to (below).
add_custom_command(
  OUTPUT ${GP_MAN} ${GP_COMPLETION}
  COMMAND ${GP_GEN_CLI_DOCS} $<TARGET_FILE:goldenpath> ${GP_MAN_TEMPLATE}
          ${CMAKE_INSTALL_PREFIX}/${GP_DATADIR_REL} ${GP_MAN} ${GP_COMPLETION}
  DEPENDS goldenpath ${GP_MAN_TEMPLATE} ${GP_GEN_CLI_DOCS}
          ${PROJECT_SOURCE_DIR}/docs/man/usage.awk
  COMMENT "Generating goldenpath.1 and its bash completion from --help"
  VERBATIM)
add_custom_command(
  OUTPUT ${GP_MAN_GZ}
  COMMAND ${GP_GZIP} -9nkf ${GP_MAN}
  DEPENDS ${GP_MAN}
  COMMENT "Compressing goldenpath.1 (gzip -9n)"
  VERBATIM)
add_custom_target(gp_cli_docs ALL DEPENDS ${GP_MAN} ${GP_MAN_GZ} ${GP_COMPLETION})

install(TARGETS goldenpath RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The page is written at install time into a directory of this install's own (a package build
# and a plain install may run at once), then installed like any file (DESTDIR included).
install(CODE "
  string(MD5 gp_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}\")
  set(gp_dir \"${CMAKE_BINARY_DIR}/install-man/\${gp_dir}\")
  file(MAKE_DIRECTORY \"\${gp_dir}\")
  execute_process(COMMAND \"${GP_GEN_CLI_DOCS}\" \"$<TARGET_FILE:goldenpath>\"
                          \"${GP_MAN_TEMPLATE}\" \"\${CMAKE_INSTALL_PREFIX}/${GP_DATADIR_REL}\"
                          \"\${gp_dir}/goldenpath.1\" \"\${gp_dir}/goldenpath.bash\"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR \"gen-cli-docs failed: \${rc}\")
  endif()
  execute_process(COMMAND \"${GP_GZIP}\" -9nf \"\${gp_dir}/goldenpath.1\" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR \"gzip -9n goldenpath.1 failed: \${rc}\")
  endif()
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_MANDIR}/man1\" TYPE FILE
       FILES \"\${gp_dir}/goldenpath.1.gz\")
  file(REMOVE_RECURSE \"\${gp_dir}\")")
install(FILES ${GP_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME goldenpath)
file(GLOB GP_SHIPPED_SCENARIOS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/scenarios/*.yaml)
install(FILES ${GP_SHIPPED_SCENARIOS} ${PROJECT_SOURCE_DIR}/scenarios/schema.json
        DESTINATION ${GP_DATADIR_REL}/scenarios)

set(CPACK_PACKAGE_NAME goldenpath)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "goldenpath")
set(CPACK_PACKAGE_CONTACT "goldenpath maintainers <goldenpath@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "conformance judge for servers that stream an AI agent's work over WebSockets")
set(CPACK_PACKAGE_DESCRIPTION
    "goldenpath drives a chat server over the real WebSocket protocol with many simulated
users and judges every user's transcript: the five agent events, in order, only on the
user's own connection. Reports: console, JUnit XML, JSON, HTML.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# Depends comes from dpkg-shlibdeps (package dpkg-dev): the Debian packages of the shared
# libraries the binary links, with the versions it needs.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES OFF)
include(CPack)
