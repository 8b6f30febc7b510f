# The media transport (ICE + DTLS + SRTP on one path); included by src/CMakeLists.txt.
list(APPEND USM_SOURCES
  media/transport.c
)
