# STUN/TURN codec, RFC 7983 demux and ICE candidates: the pure parts the ICE
# agent sits on. Included by src/CMakeLists.txt.
list(APPEND USM_SOURCES
  media/stun.c
  media/stun_auth.c
  media/packet_demux.c
  media/ice_candidate.c
)
