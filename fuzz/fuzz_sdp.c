/* The SDP parser, serializer and offer/answer on arbitrary bytes. When the
 * input parses, it must write (or hit the size bound), the written text must
 * parse to an equal model and write identically. The input is then read as
 * the answer to a fixed offer of ours, and answered as a remote offer; an
 * answer we produce must parse and must read back against that offer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/sdp.h"
#include "media/sdp_negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const cands[] = {"candidate:1 1 udp 2130706431 192.168.1.9 50000 typ host"};

static void local_caps(usm__sdp_local *l) {
  usm__sdp_local_init(l);
  l->ice_ufrag = "fuzzU";
  l->ice_pwd = "fuzzpasswordfuzzpassword";
  l->fp_alg = "sha-256";
  l->fp_value = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
  l->media[0].ssrc = 1;
  l->media[1].ssrc = 2;
  l->candidates = cands;
  l->n_candidates = 1;
  l->end_of_candidates = 1;
}

static int sdp_error(usm_err e) { return e == USM_ERR_SDP || e == USM_ERR_LIMIT || e == USM_ERR_NO_MEMORY; }

static void check_result(const usm__sdp_result *r) {
  if (!r->local || !r->remote || r->n_media != r->remote->n_media) abort();
  size_t accepted = 0;
  for (size_t i = 0; i < r->n_media; i++) {
    const usm__sdp_media_result *m = &r->media[i];
    if (m->rejected) continue;
    accepted++;
    if (m->pt < 0 || m->pt > 127 || m->recv_pt < 0 || m->recv_pt > 127 || !m->codec || !m->codec_name) abort();
    if (!m->transport.fp_alg && m->transport.crypto_tag < 0) abort();
    if (m->n_remote_ssrcs > USM__SDP_MAX_REMOTE_SSRCS) abort();
  }
  if (!accepted) abort();
  if (r->bundle_tag >= (int)r->n_media || (r->bundle_tag >= 0 && r->media[r->bundle_tag].rejected)) abort();
}

static void round_trip(const usm__sdp_session *s) {
  char *text = NULL, *text2 = NULL;
  size_t len = 0;
  usm_err e = usm__sdp_write(s, &text, &len);
  if (e == USM_ERR_LIMIT || e == USM_ERR_NO_MEMORY) return;
  if (e != USM_OK || !text || strlen(text) != len) abort();
  usm__sdp_session *again = NULL;
  e = usm__sdp_parse(text, len, &again, NULL, 0);
  if (e == USM_ERR_NO_MEMORY) {
    free(text);
    return;
  }
  if (e != USM_OK || !usm__sdp_equal(s, again)) abort();
  if (usm__sdp_write(again, &text2, NULL) == USM_OK && strcmp(text, text2) != 0) abort();
  free(text2);
  usm__sdp_free(again);
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  char err[128];
  usm__sdp_session *s = NULL;
  usm_err e = usm__sdp_parse(text, size, &s, err, sizeof err);
  if (e != USM_OK) {
    if (!sdp_error(e) || s || !err[0]) abort();
    return 0;
  }
  round_trip(s);
  usm__sdp_free(s);

  usm__sdp_local l;
  local_caps(&l);
  char *offer = NULL;
  if (usm__sdp_write_offer(&l, &offer, err, sizeof err) != USM_OK) abort();
  usm__sdp_result *r = NULL;
  e = usm__sdp_read_answer(offer, strlen(offer), text, size, &r, err, sizeof err);
  if (e == USM_OK) check_result(r);
  else if (!sdp_error(e) || r) abort();
  usm__sdp_result_free(r);
  free(offer);

  char *answer = NULL;
  r = NULL;
  e = usm__sdp_answer_offer(&l, text, size, &answer, &r, err, sizeof err);
  if (e == USM_OK) {
    check_result(r);
    usm__sdp_result *back = NULL;
    /* our answer, read against the offer it answers, must agree */
    e = usm__sdp_read_answer(text, size, answer, strlen(answer), &back, err, sizeof err);
    if (e == USM_OK) {
      for (size_t i = 0; i < r->n_media; i++) {
        if (back->media[i].rejected != r->media[i].rejected) abort();
        if (!r->media[i].rejected && back->media[i].pt != r->media[i].pt) abort();
      }
    } else if (e != USM_ERR_NO_MEMORY) {
      abort();
    }
    usm__sdp_result_free(back);
  } else if (!sdp_error(e) || r || answer) {
    abort();
  }
  usm__sdp_result_free(r);
  free(answer);
  return 0;
}
