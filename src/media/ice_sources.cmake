# ICE agent (RFC 8445) on libuv with its TURN client (RFC 8656): gathering,
# checks and consent, relayed candidates over UDP/TCP/TLS. Included by
# src/CMakeLists.txt.
list(APPEND USM_SOURCES
  media/ice_agent.c
  media/ice_gather.c
  media/ice_checks.c
  media/turn_client.c
)
