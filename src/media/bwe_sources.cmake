# Sender-side bandwidth estimation (loss-based controller + REMB cap, audio/
# video split); included by src/CMakeLists.txt.
list(APPEND USM_SOURCES media/bwe.c)
