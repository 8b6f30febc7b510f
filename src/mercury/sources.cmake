# The Mercury layer's pure Locus sequence logic; included by src/CMakeLists.txt.
list(APPEND USM_SOURCES
  mercury/seq.c
  mercury/locus_merge.c
)
