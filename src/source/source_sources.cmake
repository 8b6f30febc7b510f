# Media sources: the deterministic test signals, the WAV / Y4M readers and
# the player behind usm_meeting_play() (meeting/media_play.c, which drives
# them on the meeting's loop); included by src/CMakeLists.txt.
list(APPEND USM_SOURCES
  source/test_signal.c
  source/wav_reader.c
  source/y4m_reader.c
  meeting/media_play.c
)
