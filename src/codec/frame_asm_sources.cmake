# The codec layer's shared RTP frame assembler core (slots, sequence numbers,
# reference chain) under the VP8 and H.264 payload formats; included by
# src/CMakeLists.txt.
list(APPEND USM_SOURCES codec/frame_asm.c)
