# The layout of include/taskkit/, checked from the text of its files (cmake -DINCLUDE_DIR=<dir>
# [-DSTAMP=<file>] -P check_layout.cmake). Fails with one line per offence:
#
# (a) The core does not depend on an integration. An integration folder is a folder of
#     include/taskkit/ with its own src.hpp (schedule/ for date/tz, schema/ for RE2; see
#     docs/integration.md), and the folders reserved for the integrations to come (http/,
#     sqlite/, postgres/). A front door is a top-level header that includes integration headers
#     and, of the core, at most <taskkit/runtime.hpp> (<taskkit/cron.hpp>, <taskkit/schedule.hpp>,
#     …; an entry header brings the runtime, so that a one-file program needs nothing else). No core file (every other file under
#     include/taskkit/, detail/ and impl/ included) includes an integration folder's header or a
#     front door: the core, and the umbrella taskkit.hpp, compile without date/tz or RE2.
# (b) Definitions files (.ipp) sit in impl/ folders only (impl/, detail/impl/, schedule/impl/, …).
# (c) No public header (outside detail/ and impl/) includes taskkit/detail/run_state.hpp, the
#     engine's per-run state, except those of the allowlist below.
# (d) Each src.hpp includes every .ipp of its part (the core's, or its integration folder's), or
#     separate compilation would lack their definitions; the core's src.hpp none of an integration.

# (c)'s allowlist: public headers that include the engine's run state. One remains, by design:
# run_handle.hpp is the fast path to the run's object in this process (a handle to a run that
# another process executes holds one the runtime made from its record and keeps up to date), and
# its templates read the typed output there without converting it to JSON. No seam passes the run
# state any more: backends see local_run, filters run_facts, the runs API run_record. A header
# that stops including run_state.hpp must leave the list, and none may join it.
set(run_state_allowlist
  taskkit/run_handle.hpp)
set(reserved_integration_folders http sqlite postgres)

cmake_minimum_required(VERSION 3.21)

if(NOT INCLUDE_DIR)
  message(FATAL_ERROR "check_layout.cmake needs -DINCLUDE_DIR=<the include directory>")
endif()
set(root ${INCLUDE_DIR}/taskkit)
set(problems "")

# The integration folders, from the tree.
set(integration_folders ${reserved_integration_folders})
file(GLOB entries LIST_DIRECTORIES true RELATIVE ${root} ${root}/*)
foreach(entry IN LISTS entries)
  if(IS_DIRECTORY ${root}/${entry} AND EXISTS ${root}/${entry}/src.hpp)
    list(APPEND integration_folders ${entry})
  endif()
endforeach()
list(REMOVE_DUPLICATES integration_folders)
list(JOIN integration_folders "|" folders_regex)

file(GLOB_RECURSE files RELATIVE ${INCLUDE_DIR} ${root}/*.hpp ${root}/*.ipp)
list(SORT files)

# The taskkit headers a file includes, in `out`.
function(taskkit_includes file out)
  file(STRINGS ${INCLUDE_DIR}/${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*<taskkit/")
  set(result "")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*<([^>]+)>.*" "\\1" header "${line}")
    list(APPEND result ${header})
  endforeach()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

# Front doors: top-level headers that include integration headers and, of the core, at most the
# runtime's header.
set(front_doors "")
foreach(file IN LISTS files)
  if(NOT file MATCHES "^taskkit/[^/]+\\.hpp$")
    continue()
  endif()
  taskkit_includes(${file} included)
  if(NOT included)
    continue()
  endif()
  set(only_integrations ON)
  set(any_integration OFF)
  foreach(header IN LISTS included)
    if(header MATCHES "^taskkit/(${folders_regex})/")
      set(any_integration ON)
    elseif(NOT header STREQUAL "taskkit/runtime.hpp")
      set(only_integrations OFF)
    endif()
  endforeach()
  if(only_integrations AND any_integration)
    list(APPEND front_doors ${file})
  endif()
endforeach()

foreach(file IN LISTS files)
  set(in_integration OFF)
  if(file MATCHES "^taskkit/(${folders_regex})/")
    set(in_integration ON)
  endif()
  taskkit_includes(${file} included)

  # (a)
  if(NOT in_integration AND NOT file IN_LIST front_doors)
    foreach(header IN LISTS included)
      if(header MATCHES "^taskkit/(${folders_regex})/" OR header IN_LIST front_doors)
        string(APPEND problems "\n  (a) ${file} is in the core and includes <${header}>, an optional integration's header: "
          "the core must compile without the integration's library; move the code that needs it into the integration's folder")
      endif()
    endforeach()
  endif()

  # (b)
  if(file MATCHES "\\.ipp$" AND NOT file MATCHES "/impl/[^/]+\\.ipp$")
    string(APPEND problems "\n  (b) ${file} is a definitions file outside an impl/ folder: move it to the impl/ folder beside its header")
  endif()

  # (c)
  if(file MATCHES "\\.hpp$" AND NOT file MATCHES "/(detail|impl)/")
    if("taskkit/detail/run_state.hpp" IN_LIST included AND NOT file IN_LIST run_state_allowlist)
      string(APPEND problems "\n  (c) ${file} is a public header and includes <taskkit/detail/run_state.hpp>, the engine's per-run state: "
        "name the types it needs through <taskkit/fwd.hpp> or keep the code that needs the run state in an .ipp or under detail/")
    endif()
  endif()
endforeach()
foreach(file IN LISTS run_state_allowlist)
  if(EXISTS ${INCLUDE_DIR}/${file})
    taskkit_includes(${file} included)
    if(NOT "taskkit/detail/run_state.hpp" IN_LIST included)
      string(APPEND problems "\n  (c) ${file} no longer includes <taskkit/detail/run_state.hpp>: take it off the allowlist in tests/headers/check_layout.cmake")
    endif()
  endif()
endforeach()

# (d)
foreach(part IN ITEMS "" ${integration_folders})
  if(part STREQUAL "")
    set(src taskkit/src.hpp)
  else()
    set(src taskkit/${part}/src.hpp)
  endif()
  if(NOT EXISTS ${INCLUDE_DIR}/${src})
    continue()
  endif()
  taskkit_includes(${src} included)
  foreach(file IN LISTS files)
    if(NOT file MATCHES "\\.ipp$")
      continue()
    endif()
    set(in_part OFF)
    if(part STREQUAL "" AND NOT file MATCHES "^taskkit/(${folders_regex})/")
      set(in_part ON)
    elseif(NOT part STREQUAL "" AND file MATCHES "^taskkit/${part}/")
      set(in_part ON)
    endif()
    if(in_part AND NOT file IN_LIST included)
      string(APPEND problems "\n  (d) <${src}> does not include <${file}>: separate compilation would lack its definitions")
    endif()
  endforeach()
endforeach()

if(problems)
  message(FATAL_ERROR "taskkit's header layout (tests/headers/check_layout.cmake) is broken:${problems}")
endif()
if(STAMP)
  file(WRITE ${STAMP} "integration folders: ${integration_folders}\nfront doors: ${front_doors}\n")
endif()
