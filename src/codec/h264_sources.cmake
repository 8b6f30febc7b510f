# The codec layer's H.264 encoder/decoder on OpenH264 behind the codec
# interface, and its RTP payload format (RFC 6184); included by
# src/CMakeLists.txt.
list(APPEND USM_SOURCES
  codec/h264.c
  codec/h264_rtp.c
)
