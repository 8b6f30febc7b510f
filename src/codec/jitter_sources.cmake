# The codec layer's adaptive audio jitter buffer (pure: no I/O, clock passed
# in); included by src/CMakeLists.txt.
list(APPEND USM_SOURCES codec/jitter_audio.c)
