# add_codestats_module(): builds a codestats module with the flags the host relies on.
#
#   add_codestats_module(<target> SOURCES <src>...
#                        [OUTPUT_NAME <name>]        # file <name>.so; default <target>
#                        [OUTPUT_DIRECTORY <dir>]    # default ${CODESTATS_MODULE_OUTPUT_DIR},
#                                                    # else the current binary dir
#                        [ALLOW_GNU_UNIQUE]          # test fixtures only: omit -fno-gnu-unique
#                        [NO_CHECK])                 # skip the post-build codestats-check-module
#
# The module is add_library(<target> MODULE ...) linked to CodeStats::sdk, built with
#   -fPIC -fno-gnu-unique -fvisibility=hidden -fvisibility-inlines-hidden
#   -Wl,--no-undefined -Wl,-z,now
# and checked after every build by codestats-check-module (no STB_GNU_UNIQUE symbols, the
# entry symbol cs_module_entry_v1 exported, NEEDED libraries only from the host's allowlist).
# Why each rule exists: sdk/ABI-CHANGELOG.md and the design note plugin-host.md (3.10).
#
# -static-libstdc++ is refused: a module must use the host's shared libstdc++.
#
# Also defined, for tests and custom checks: codestats_find_module_checker(<out_var>) (the
# checker's path) and codestats_module_check_command(<out_var>) (the post-build command).
#
# Variables read:
#   CODESTATS_MODULE_OUTPUT_DIR  default output directory (set by the codestatsd tree)
#   CODESTATS_CHECK_MODULE       path of the checker (set by CodeStatsSDKConfig.cmake;
#                                found beside this file when unset)
#   CODESTATS_BUILD_ID           overrides the build stamp "<git short sha>[-dirty]"
#
# Usable in the codestatsd tree (sdk/CMakeLists.txt includes this file) and from an
# installed SDK (find_package(CodeStatsSDK) includes it).
include_guard(GLOBAL)

if(CMAKE_VERSION VERSION_LESS 3.19)
  message(FATAL_ERROR "add_codestats_module() needs CMake 3.19 or newer")
endif()

# codestats_find_module_checker(<out_var>): the path of codestats-check-module, for custom
# checks and tests. An explicit CODESTATS_CHECK_MODULE, else the source-tree copy
# (sdk/cmake/../tools), else the installed copy (lib/cmake/CodeStatsSDK/../../../bin).
function(codestats_find_module_checker out_var)
  if(CODESTATS_CHECK_MODULE)
    set(${out_var} "${CODESTATS_CHECK_MODULE}" PARENT_SCOPE)
    return()
  endif()
  foreach(candidate "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../tools/codestats-check-module"
                    "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../../../bin/codestats-check-module")
    if(EXISTS "${candidate}")
      get_filename_component(candidate "${candidate}" ABSOLUTE)
      set(${out_var} "${candidate}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "add_codestats_module: codestats-check-module not found near "
                      "${CMAKE_CURRENT_FUNCTION_LIST_DIR}; set CODESTATS_CHECK_MODULE or use NO_CHECK")
endfunction()

# "<git short sha>[-dirty]" (or "unknown" outside a git checkout): only [A-Za-z0-9._+-], so
# it is safe inside the quoted C string literal. Deterministic on purpose: a stamp that
# changed on every configure would recompile every module on every build. Artifacts are
# told apart by their sha256 (codestatsctl modules) anyway.
function(_codestats_build_id out_var)
  if(DEFINED CODESTATS_BUILD_ID)
    set(id "${CODESTATS_BUILD_ID}")
  else()
    set(id "unknown")
    find_package(Git QUIET)
    if(GIT_EXECUTABLE)
      execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short HEAD
                      WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
                      OUTPUT_VARIABLE git_sha RESULT_VARIABLE git_rc
                      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(git_rc EQUAL 0 AND git_sha)
        set(id "${git_sha}")
        execute_process(COMMAND "${GIT_EXECUTABLE}" diff --quiet HEAD
                        WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
                        RESULT_VARIABLE dirty_rc ERROR_QUIET)
        if(NOT dirty_rc EQUAL 0)
          string(APPEND id "-dirty")
        endif()
      endif()
    endif()
  endif()
  string(REGEX REPLACE "[^A-Za-z0-9._+-]" "_" id "${id}")
  set(${out_var} "${id}" PARENT_SCOPE)
endfunction()

# FATAL_ERROR when -static-libstdc++ appears in any of the given flag strings or lists.
function(_codestats_refuse_static_libstdcxx target where)
  foreach(flags IN LISTS ARGN)
    if(flags MATCHES "-static-libstdc\\+\\+")
      message(FATAL_ERROR "add_codestats_module(${target}): -static-libstdc++ found in ${where}. "
                          "Modules must use the host's shared libstdc++ (a static copy mixes two "
                          "C++ runtimes in one process).")
    endif()
  endforeach()
endfunction()

# Run again at the end of the directory, after target_link_options() and friends.
function(_codestats_late_checks target)
  foreach(prop LINK_OPTIONS COMPILE_OPTIONS LINK_LIBRARIES LINK_FLAGS COMPILE_FLAGS)
    get_target_property(value ${target} ${prop})
    if(value)
      _codestats_refuse_static_libstdcxx(${target} "the ${prop} of target ${target}" "${value}")
    endif()
  endforeach()
endfunction()

# codestats_module_check_command(<out_var>): the checker command (a list, without the file)
# as the post-build step runs it in the current directory; in sanitizer builds it allows the
# sanitizer runtimes, which such modules need and such hosts link.
function(codestats_module_check_command out_var)
  codestats_find_module_checker(checker)
  set(command "${checker}")
  _codestats_uses_sanitizers(sanitized)
  if(sanitized)
    list(APPEND command --allow "libasan.so.*" --allow "libubsan.so.*" --allow "libtsan.so.*" --allow "liblsan.so.*")
  endif()
  set(${out_var} "${command}" PARENT_SCOPE)
endfunction()

# True when this build uses sanitizers (their runtimes are NEEDED but not in the allowlist).
function(_codestats_uses_sanitizers out_var)
  string(TOUPPER "${CMAKE_BUILD_TYPE}" config)
  get_directory_property(dir_compile COMPILE_OPTIONS)
  get_directory_property(dir_link LINK_OPTIONS)
  set(result OFF)
  if(CODESTATS_SANITIZE OR "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${config}} ${CMAKE_MODULE_LINKER_FLAGS} ${dir_compile} ${dir_link}" MATCHES "-fsanitize=")
    set(result ON)
  endif()
  set(${out_var} ${result} PARENT_SCOPE)
endfunction()

function(add_codestats_module target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "ALLOW_GNU_UNIQUE;NO_CHECK" "OUTPUT_NAME;OUTPUT_DIRECTORY" "SOURCES")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "add_codestats_module(${target}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "add_codestats_module(${target}): SOURCES is required")
  endif()
  if(NOT TARGET CodeStats::sdk)
    message(FATAL_ERROR "add_codestats_module(${target}): target CodeStats::sdk not found; "
                        "call find_package(CodeStatsSDK REQUIRED) first")
  endif()
  if(NOT arg_OUTPUT_NAME)
    set(arg_OUTPUT_NAME ${target})
  endif()
  if(NOT arg_OUTPUT_DIRECTORY)
    if(CODESTATS_MODULE_OUTPUT_DIR)
      set(arg_OUTPUT_DIRECTORY "${CODESTATS_MODULE_OUTPUT_DIR}")
    else()
      set(arg_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
    endif()
  endif()

  # -static-libstdc++ anywhere in the flags that reach this module's link.
  set(configs ${CMAKE_BUILD_TYPE} ${CMAKE_CONFIGURATION_TYPES})
  set(flag_vars CMAKE_CXX_FLAGS CMAKE_C_FLAGS CMAKE_MODULE_LINKER_FLAGS CMAKE_SHARED_LINKER_FLAGS
                CMAKE_CXX_STANDARD_LIBRARIES)
  foreach(config IN LISTS configs)
    string(TOUPPER "${config}" config)
    list(APPEND flag_vars CMAKE_CXX_FLAGS_${config} CMAKE_MODULE_LINKER_FLAGS_${config})
  endforeach()
  foreach(var IN LISTS flag_vars)
    _codestats_refuse_static_libstdcxx(${target} "${var}" "${${var}}")
  endforeach()
  get_directory_property(dir_compile COMPILE_OPTIONS)
  get_directory_property(dir_link LINK_OPTIONS)
  _codestats_refuse_static_libstdcxx(${target} "the directory's compile/link options" "${dir_compile}" "${dir_link}")

  add_library(${target} MODULE ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE CodeStats::sdk)

  # -fno-gnu-unique is GCC's; other compilers (clang) do not emit STB_GNU_UNIQUE at all.
  set(no_unique "")
  if(NOT arg_ALLOW_GNU_UNIQUE)
    set(no_unique "$<$<OR:$<COMPILE_LANG_AND_ID:CXX,GNU>,$<COMPILE_LANG_AND_ID:C,GNU>>:-fno-gnu-unique>")
  endif()
  target_compile_options(${target} PRIVATE
    -fPIC
    ${no_unique}
    -fvisibility=hidden
    $<$<COMPILE_LANGUAGE:CXX>:-fvisibility-inlines-hidden>)
  target_link_options(${target} PRIVATE -Wl,--no-undefined -Wl,-z,now)
  # Debian's GCC links with --as-needed by default, but not when -fsanitize=... is given:
  # a sanitizer build would then record every interface library of its dependencies as
  # NEEDED (e.g. libz and libpcre through Poco::Foundation) and fail the NEEDED check.
  _codestats_uses_sanitizers(sanitized)
  if(sanitized)
    target_link_options(${target} PRIVATE -Wl,--as-needed)
  endif()

  # Only the sources that expand CODESTATS_MODULE(...) get the stamp: a definition on the
  # whole target changes every object's command line at every commit, so each commit
  # recompiled every file of every module (and missed ccache).
  _codestats_build_id(build_id)
  set(stamped OFF)
  foreach(src IN LISTS arg_SOURCES)
    get_filename_component(path "${src}" ABSOLUTE)
    if(EXISTS "${path}" AND NOT IS_DIRECTORY "${path}")
      file(STRINGS "${path}" hits REGEX "CODESTATS_MODULE\\(")
      if(hits)
        set_property(SOURCE "${path}" APPEND PROPERTY COMPILE_DEFINITIONS "CODESTATS_BUILD_ID=\"${build_id}\"")
        set(stamped ON)
      endif()
    endif()
  endforeach()
  if(NOT stamped)
    target_compile_definitions(${target} PRIVATE "CODESTATS_BUILD_ID=\"${build_id}\"")
  endif()

  # $<1:...> keeps multi-config generators from appending a per-config subdirectory.
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    OUTPUT_NAME "${arg_OUTPUT_NAME}"
    LIBRARY_OUTPUT_DIRECTORY "$<1:${arg_OUTPUT_DIRECTORY}>")

  # DEFER expands variables when the call runs, so bake the target name in now.
  cmake_language(EVAL CODE "cmake_language(DEFER CALL _codestats_late_checks [[${target}]])")

  if(NOT arg_NO_CHECK)
    codestats_module_check_command(check_command)
    add_custom_command(TARGET ${target} POST_BUILD
      COMMAND ${check_command} "$<TARGET_FILE:${target}>"
      COMMENT "Checking codestats module ${arg_OUTPUT_NAME}.so"
      VERBATIM)
  endif()
endfunction()
