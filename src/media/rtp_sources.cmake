# The media layer's RTP/RTCP packet parts (parse, build, sequence tracking,
# round-trip time); included by src/CMakeLists.txt.
list(APPEND USM_SOURCES
  media/rtp.c
  media/rtp_seq.c
  media/rtcp.c
  media/rtcp_rtt.c
)
