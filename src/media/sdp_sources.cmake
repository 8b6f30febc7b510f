# SDP model, parser, serializer and offer/answer negotiation. Included by src/CMakeLists.txt.
list(APPEND USM_SOURCES
  media/sdp.c
  media/sdp_negotiate.c
)
