# The codec layer's VP8 RTP payload format (RFC 7741): packetizer and frame
# assembler; included by src/CMakeLists.txt.
list(APPEND USM_SOURCES codec/vp8_rtp.c)
