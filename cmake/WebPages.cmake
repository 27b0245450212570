# The web pages built into the binaries (web/): the agent's OOBE page (web/oobe, embedded in
# groundcrew-agent) and the admin's console (web/console, embedded in groundcrewd). TypeScript +
# Preact, built by Vite from the npm packages the committed lock file names and embedded as
# generated C++ (cmake/EmbedFiles.cmake): nothing is fetched at run time.

find_program(NPM_PROGRAM npm REQUIRED)
set(GC_WEB_DIR ${PROJECT_SOURCE_DIR}/web)

# web/'s npm packages, once for every page (scripts/web-deps runs `npm ci` when the lock file
# changed): two pages must not run npm ci at the same time.
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/web_deps.stamp
  COMMAND ${PROJECT_SOURCE_DIR}/scripts/web-deps
  COMMAND ${CMAKE_COMMAND} -E touch ${PROJECT_BINARY_DIR}/web_deps.stamp
  DEPENDS ${GC_WEB_DIR}/package-lock.json ${GC_WEB_DIR}/package.json
  COMMENT "npm packages of web/ (npm ci when the lock file changed)")
add_custom_target(gc_web_deps DEPENDS ${PROJECT_BINARY_DIR}/web_deps.stamp)

# gc_web_page(PAGE <dir under web/> SCRIPT <npm script> OUT_DIR_ENV <variable>
#             FUNCTION <C++ function> NAMESPACE <C++ namespace> HEADER <include path>
#             OUTPUT <variable>)
# Builds web/PAGE (which may import web/shared/) with `npm run SCRIPT` into a folder of the calling directory's build tree
# (passed to the script in the environment variable OUT_DIR_ENV) and embeds its files as
# <PAGE>_page_files.cpp, whose path it sets in OUTPUT: add it to a module's sources.
function(gc_web_page)
  cmake_parse_arguments(ARG "" "PAGE;SCRIPT;OUT_DIR_ENV;FUNCTION;NAMESPACE;HEADER;OUTPUT" "" ${ARGN})
  set(page_dir ${CMAKE_CURRENT_BINARY_DIR}/${ARG_PAGE}_page)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${ARG_PAGE}_page_files.cpp)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${GC_WEB_DIR}/${ARG_PAGE}/src/*
       ${GC_WEB_DIR}/${ARG_PAGE}/index.html ${GC_WEB_DIR}/${ARG_PAGE}/*.ts
       ${GC_WEB_DIR}/${ARG_PAGE}/*.json ${GC_WEB_DIR}/shared/*)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E env ${ARG_OUT_DIR_ENV}=${page_dir}
            ${NPM_PROGRAM} run --silent ${ARG_SCRIPT}
    COMMAND ${CMAKE_COMMAND} -DDIR=${page_dir} -DOUT=${out} -DFUNCTION=${ARG_FUNCTION}
            -DNAMESPACE=${ARG_NAMESPACE} -DHEADER=${ARG_HEADER}
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake
    DEPENDS ${sources} ${GC_WEB_DIR}/package-lock.json gc_web_deps
            ${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake
    WORKING_DIRECTORY ${GC_WEB_DIR}
    COMMENT "web/${ARG_PAGE}: vite build, embedded")
  set(${ARG_OUTPUT} ${out} PARENT_SCOPE)
endfunction()
