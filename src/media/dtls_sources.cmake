# Media transport security: SRTP sessions (libsrtp2), SDES keys, DTLS-SRTP.
list(APPEND USM_SOURCES
  media/srtp_session.c
  media/sdes.c
  media/dtls_cert.c
  media/dtls.c
)
