# The Mercury connection (websocket, state machine, frames). Included by src/CMakeLists.txt.
list(APPEND USM_SOURCES
  mercury/frames.c
  mercury/connection_fsm.c
  mercury/connection_close.c
  mercury/connection.c
)
