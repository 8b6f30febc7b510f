# The codec layer's VP8 encoder/decoder on libvpx behind the codec interface;
# included by src/CMakeLists.txt.
list(APPEND USM_SOURCES codec/vp8.c)
