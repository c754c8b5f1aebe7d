# Dependencies under Emscripten (3.1.6 from Debian). Emscripten searches only its own
# sysroot, and adding /usr/include wholesale pulls in glibc headers, so each header-only
# library is reached through its own folder: Eigen directly, nlohmann and Catch2 through
# a folder of symlinks made here in the build tree.
set(_reco_shim "${CMAKE_BINARY_DIR}/wasm-include")
file(MAKE_DIRECTORY "${_reco_shim}")
foreach(_lib nlohmann catch2)
  if(NOT EXISTS "${_reco_shim}/${_lib}")
    file(CREATE_LINK "/usr/include/${_lib}" "${_reco_shim}/${_lib}" SYMBOLIC)
  endif()
endforeach()

target_include_directories(reco_deps SYSTEM INTERFACE /usr/include/eigen3 /usr/include/hnswlib "${_reco_shim}")
# Exceptions must be on at compile and link time or a throw aborts the module.
# SIMD128 is switched on here and nowhere else.
target_compile_options(reco_deps INTERFACE -fwasm-exceptions -msimd128)
target_link_options(reco_deps INTERFACE -fwasm-exceptions -sALLOW_MEMORY_GROWTH=1)
