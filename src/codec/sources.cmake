# The codec layer: the internal codec interface's implementations (Opus now,
# VP8/H.264 later) and their SDP parameters; included by src/CMakeLists.txt.
list(APPEND USM_SOURCES
  codec/opus.c
  codec/opus_sdp.c
)
