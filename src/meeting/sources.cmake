# The meeting layer (join flow) and the service discovery it needs; included
# by src/CMakeLists.txt.
list(APPEND USM_SOURCES
  rest/lazy.c
  rest/discovery.c
  meeting/device.c
  meeting/events.c
  meeting/fsm.c
  meeting/info.c
  meeting/jwt.c
  meeting/join.c
  meeting/lobby.c
  meeting/locus.c
  meeting/locus_dto.c
  meeting/locus_watch.c
  meeting/media.c
  meeting/media_recv.c
  meeting/media_send.c
  meeting/meeting.c
  meeting/mreq.c
  meeting/people.c
  meeting/resolve.c
  meeting/roap.c
  meeting/roster.c
)
