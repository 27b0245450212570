# groundcrew's own Debian packages, built by CPack's DEB generator from this build folder
# (docs/security.md, "Installing from the Debian packages"):
#   groundcrewd       /usr/bin/groundcrewd, the admin CLI /usr/bin/groundcrew, groundcrewd.service
#                     under the system user groundcrew (packaging/groundcrewd/)
#   groundcrew-agent  /usr/bin/groundcrew-agent and the kiosk OOBE (packaging/kiosk/), enabled at
#                     install so that it runs at first boot
# `cmake --build BUILD --target packages` (`make packages`) builds the three binaries if needed,
# then writes BUILD/packages/<name>_<version>_<arch>.deb. The maintainer scripts are in
# packaging/debian/<name>/.

# `install` (which CPack runs) needs only the installed targets, never the whole build: without
# this, CPack would first build every test and benchmark.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(GROUNDCREW_PACKAGE_MAINTAINER "groundcrew maintainers <maintainers@groundcrew.example>"
    CACHE STRING "The Maintainer field of groundcrew's Debian packages")

# The install rules lay the packages out, from / (CPACK_PACKAGING_INSTALL_PREFIX below); they
# are not a way to install groundcrew on this machine (`cmake --install` would put the files under
# /usr/local/usr/...): install the packages.
set(gc_packaging ${PROJECT_SOURCE_DIR}/packaging)
set(gc_units usr/lib/systemd/system)

install(TARGETS groundcrewd groundcrew RUNTIME DESTINATION usr/bin COMPONENT server)
install(FILES ${gc_packaging}/groundcrewd/groundcrewd.service DESTINATION ${gc_units}
        COMPONENT server)
install(FILES ${gc_packaging}/groundcrewd/groundcrewd.sysusers DESTINATION usr/lib/sysusers.d
        RENAME groundcrewd.conf COMPONENT server)
install(FILES ${gc_packaging}/groundcrewd/groundcrewd.json DESTINATION etc/groundcrewd
        COMPONENT server)

install(TARGETS groundcrew-agent RUNTIME DESTINATION usr/bin COMPONENT agent)
install(FILES ${gc_packaging}/kiosk/groundcrew-oobe.service
              ${gc_packaging}/kiosk/groundcrew-kiosk.service
        DESTINATION ${gc_units} COMPONENT agent)
install(PROGRAMS ${gc_packaging}/kiosk/groundcrew-oobe-hook ${gc_packaging}/kiosk/groundcrew-kiosk
        DESTINATION usr/libexec/groundcrew COMPONENT agent)
install(FILES ${gc_packaging}/kiosk/groundcrew-kiosk.sysusers DESTINATION usr/lib/sysusers.d
        RENAME groundcrew-kiosk.conf COMPONENT agent)
install(FILES ${gc_packaging}/kiosk/display-manager-groundcrew-oobe.conf
        DESTINATION ${gc_units}/display-manager.service.d RENAME groundcrew-oobe.conf
        COMPONENT agent)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME groundcrew)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
# Paths above are relative to /; the packages' files start at usr/ and etc/.
set(CPACK_PACKAGING_INSTALL_PREFIX /)
# Release binaries without their debug information (which also holds the build's paths).
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server agent)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${GROUNDCREW_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the binaries' shared libraries (dpkg-shlibdeps, from dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME groundcrewd)
string(CONCAT CPACK_COMPONENT_SERVER_DESCRIPTION
    "groundcrew service and admin CLI\n"
    "groundcrewd serves groundcrew's admin and device APIs (zero-touch device deployment)\n"
    "from one data directory; groundcrew is the admin's command line. groundcrewd.service\n"
    "runs it sandboxed as the system user groundcrew, its data in /var/lib/groundcrewd.")
# The postinst creates the user groundcrew with systemd-sysusers.
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "systemd | systemd-standalone-sysusers")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${gc_packaging}/debian/groundcrewd/postinst ${gc_packaging}/debian/groundcrewd/prerm
    ${gc_packaging}/debian/groundcrewd/postrm ${gc_packaging}/debian/groundcrewd/conffiles)

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME groundcrew-agent)
string(CONCAT CPACK_COMPONENT_AGENT_DESCRIPTION
    "groundcrew device agent and first-boot OOBE\n"
    "groundcrew-agent runs a device's out-of-box flows against groundcrewd. The package enables\n"
    "groundcrew-oobe.service and groundcrew-kiosk.service: at the next boot, and until the\n"
    "user flow completes, the OOBE runs full screen on tty1 before the display manager.")
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "systemd")
# The kiosk: cage 0.1.4 does not start without Xwayland.
set(CPACK_DEBIAN_AGENT_PACKAGE_RECOMMENDS "cage, xwayland, chromium")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA
    ${gc_packaging}/debian/groundcrew-agent/postinst ${gc_packaging}/debian/groundcrew-agent/prerm
    ${gc_packaging}/debian/groundcrew-agent/postrm)

include(CPack)

# Builds the binaries the packages hold (only those), then runs CPack on this build folder.
add_custom_target(packages
  COMMAND ${CMAKE_CPACK_COMMAND} --config ${PROJECT_BINARY_DIR}/CPackConfig.cmake
  WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
  COMMENT "Debian packages in ${CPACK_PACKAGE_DIRECTORY}"
  VERBATIM)
add_dependencies(packages groundcrewd groundcrew groundcrew-agent)
