# Loss recovery building blocks: send-side retransmission history, receive-side
# NACK scheduling, keyframe request pacing; included by src/CMakeLists.txt.
list(APPEND USM_SOURCES
  media/rtx_history.c
  media/nack_requester.c
  media/pli_limiter.c
)
