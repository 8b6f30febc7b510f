# The RTP session (streams, reports, stats); included by src/CMakeLists.txt.
list(APPEND USM_SOURCES
  media/rtp_session.c
)
