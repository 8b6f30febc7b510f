/* usm-cloud's SFU answers a receiver's NACK from its own packet cache. A
 * packet lost on the receiver's downlink (after the SFU) already passed the
 * SFU's SRTP replay check once, so the sender's retransmission with the
 * same sequence number would be refused there: the SFU keeps what it sent
 * each receiver's video out-stream and resends it itself. Here A sends
 * VP8-ish video, B's downlink loses 10 %: every packet B NACKs comes back
 * with the right payload (with the loss still on, after retries; all of them
 * once the loss is off) and A sees no NACK. Packets the SFU never got (A
 * skips them, as an uplink loss) are NACKed to A in A's own numbering and
 * SSRC after A changed SSRC (the receiver's numbering is offset then), and
 * A's retransmission reaches B. */
#include "mclient.h"

#define ROUND 100    /* packets per round: within SRTP's replay window (128) */
#define PAYLOAD 800

/* The payload of A's packet @p seq: a VP8 payload descriptor (S=1), the
 * sequence number, then bytes derived from it. */
static void fill(uint16_t seq, uint8_t *p) {
  p[0] = 0x10;
  p[1] = (uint8_t)(seq >> 8);
  p[2] = (uint8_t)seq;
  for (size_t i = 3; i < PAYLOAD; i++) p[i] = (uint8_t)(seq * 31u + i * 7u + (i >> 8));
}

static void send_video(mclient *c, uint16_t seq) {
  uint8_t b[PAYLOAD + 64], pl[PAYLOAD];
  fill(seq, pl);
  usm__rtp_header h = {.marker = seq % 5 == 4, .pt = (uint8_t)c->vpt, .seq = seq,
                       .timestamp = 3000u * (seq / 5u), .ssrc = c->vssrc};
  size_t len = 0, out = 0;
  CHECK_INT(usm__rtp_build(&h, pl, sizeof pl, b, sizeof b, &len), USM_OK);
  CHECK_INT(usm__srtp_protect_rtp(c->out, b, len, sizeof b, &out), USM_OK);
  sendto(c->fd, b, out, 0, (struct sockaddr *)&c->cloud, sizeof c->cloud);
}

/* What B got, by A's sequence number (from the payload). */
typedef struct vrx {
  uint8_t got[65536];
  int have_off;
  uint16_t off; /* B's sequence number - A's: the SFU's seq_off */
  int off_changed, bad_payload, packets;
  uint32_t ssrc;
} vrx;

static void b_drain(mclient *c, vrx *x, int ms) {
  long until = e2e_now_ms() + ms;
  do {
    uint8_t b[2048];
    ssize_t n = recv_ms(c, b, sizeof b, 5);
    size_t plain = 0;
    usm__rtp_view v;
    if (n <= 0 || usm__rtp_is_rtcp(b, (size_t)n) ||
        usm__srtp_unprotect_rtp(c->in, b, (size_t)n, &plain) != USM_OK ||
        usm__rtp_parse(b, plain, &v) != USM_OK || v.pt != c->vpt)
      continue;
    uint8_t want[PAYLOAD];
    uint16_t aseq = v.payload_len >= 3 ? (uint16_t)(v.payload[1] << 8 | v.payload[2]) : 0;
    fill(aseq, want);
    if (v.payload_len != PAYLOAD || memcmp(v.payload, want, PAYLOAD) != 0) {
      x->bad_payload++;
      continue;
    }
    x->packets++;
    x->ssrc = v.ssrc;
    if (x->have_off && x->off != (uint16_t)(v.seq - aseq)) x->off_changed++;
    x->off = (uint16_t)(v.seq - aseq);
    x->have_off = 1;
    x->got[aseq] = 1;
  } while (e2e_now_ms() < until);
}

/* NACKs A got for its video. */
typedef struct nacks {
  uint16_t seqs[256];
  size_t n;
  int wrong_ssrc;
} nacks;

static void a_drain(mclient *c, nacks *k, int ms) {
  long until = e2e_now_ms() + ms;
  do {
    uint8_t b[2048];
    ssize_t n = recv_ms(c, b, sizeof b, 5);
    size_t plain = 0;
    usm__rtcp_iter it;
    usm__rtcp_pkt p;
    if (n <= 0 || !usm__rtp_is_rtcp(b, (size_t)n) ||
        usm__srtp_unprotect_rtcp(c->in, b, (size_t)n, &plain) != USM_OK ||
        usm__rtcp_iter_init(&it, b, plain) != USM_OK)
      continue;
    while (usm__rtcp_iter_next(&it, &p)) {
      usm__rtcp_fb fb;
      uint16_t s[17 * 64];
      size_t ns = 0;
      if (p.pt != USM__RTCP_RTPFB || usm__rtcp_parse_fb(&p, &fb) != USM_OK || fb.fmt != USM__RTCP_FB_NACK ||
          usm__rtcp_nack_seqs(&fb, s, sizeof s / sizeof s[0], &ns) != USM_OK)
        continue;
      if (fb.media_ssrc != c->vssrc) k->wrong_ssrc++;
      for (size_t i = 0; i < ns && k->n < sizeof k->seqs / sizeof k->seqs[0]; i++) k->seqs[k->n++] = s[i];
    }
  } while (e2e_now_ms() < until);
}

/* B NACKs A's sequence numbers @p seqs (in B's numbering: + off). */
static void b_nack(mclient *c, const vrx *x, const uint16_t *seqs, size_t n) {
  uint16_t out[ROUND];
  uint8_t b[1200];
  size_t len = 0, fl = 0;
  for (size_t i = 0; i < n; i++) out[i] = (uint16_t)(seqs[i] + x->off);
  CHECK_INT(usm__rtcp_build_rr(c->vssrc, NULL, 0, b, 100, &len), USM_OK);
  CHECK_INT(usm__rtcp_build_nack(c->vssrc, x->ssrc, out, n, b + len, 900, &fl), USM_OK);
  send_rtcp(c, b, len + fl, sizeof b);
}

/* A's sequence numbers from @p start, @p count of them, B has not got. */
static size_t missing(const vrx *x, uint16_t start, size_t count, uint16_t *out) {
  size_t n = 0;
  for (size_t i = 0; i < count; i++)
    if (!x->got[(uint16_t)(start + i)]) out[n++] = (uint16_t)(start + i);
  return n;
}

static int set_down_loss(const char *pid, int loss) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "{\"participant\":\"%s\",\"direction\":\"down\",\"loss\":%d}", pid, loss);
  return cloud_proc_admin(&w.cloud, "/admin/media", cmd);
}

/* One round: A sends ROUND packets with 10 % loss on B's downlink, B NACKs
 * what it missed (the loss cleared first unless @p keep_loss) and retries. */
static void round_trip(mclient *A, mclient *B, vrx *x, nacks *k, int keep_loss, size_t *nacked,
                       size_t *recovered) {
  CHECK_INT(set_down_loss(B->pid, 10), 200);
  uint16_t start = A->vseq, miss[ROUND];
  for (int i = 0; i < ROUND; i++) {
    send_video(A, A->vseq++);
    if (i % 20 == 19) b_drain(B, x, 5);
  }
  b_drain(B, x, 150);
  size_t m0 = missing(x, start, ROUND, miss), m = m0;
  if (!keep_loss) CHECK_INT(set_down_loss(B->pid, 0), 200);
  for (int t = 0; t < 8 && m; t++) {
    b_nack(B, x, miss, m);
    b_drain(B, x, 80);
    m = missing(x, start, ROUND, miss);
  }
  a_drain(A, k, 20);
  *nacked += m0;
  *recovered += m0 - m;
}

static double num(cJSON *o, const char *key) { return cJSON_GetNumberValue(cJSON_GetObjectItem(o, key)); }

static void scenario(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN);
  usm_client *alice = e2e_client(&w, E2E_ALICE_TOKEN);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, "alice@example.com", number, sip, password), 0);
  usm_meeting *mh = NULL, *ma = NULL;
  CHECK_INT(e2e_meeting(&w, host, number, &mh), USM_OK);
  CHECK_INT(e2e_meeting(&w, alice, sip, &ma), USM_OK);
  e2e_op op = {0};
  vrx *x = calloc(1, sizeof *x);
  nacks k = {0};
  if (!mh || !ma || !x) goto done;
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(mh, NULL, e2e_op_done, &op)), USM_OK);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(ma, NULL, e2e_op_done, &op)), USM_OK);
  char locus[512] = "", hid[64] = "", aid[64] = "";
  CHECK_INT(find_locus(locus, sizeof locus, hid, aid), 3);
  mclient A, B;
  mclient_init(&A, "A", E2E_HOST_TOKEN, hid, locus);
  mclient_init(&B, "B", E2E_ALICE_TOKEN, aid, locus);
  A.vp8 = B.vp8 = 1;
  new_creds(&A, 1);
  new_creds(&B, 1);
  if (offer(&A, 1) != 0 || offer(&B, 1) != 0 || ice_check(&A, A.rufrag, A.rpwd, 1) != 200 ||
      ice_check(&B, B.rufrag, B.rpwd, 1) != 200 || handshake(&A) != 0 || handshake(&B) != 0)
    goto out;

  /* no loss: all of it, one stable SSRC, B's numbering is A's */
  for (int i = 0; i < 10; i++) send_video(&A, A.vseq++);
  b_drain(&B, x, 300);
  CHECK_INT(x->packets, 10);
  CHECK_INT(x->bad_payload, 0);
  CHECK(x->ssrc && x->ssrc != A.vssrc);
  uint32_t b_ssrc = x->ssrc;

  /* 10 % loss on B's downlink, still on while B NACKs and retries */
  size_t nacked = 0, recovered = 0;
  for (int r = 0; r < 4; r++) round_trip(&A, &B, x, &k, 1, &nacked, &recovered);
  fprintf(stderr, "loss kept: %zu of %zu NACKed packets recovered\n", recovered, nacked);
  CHECK(nacked >= 10);
  CHECK(recovered * 100 >= nacked * 95);
  /* the loss cleared before NACKing: every one */
  size_t nacked2 = 0, recovered2 = 0;
  for (int r = 0; r < 2; r++) round_trip(&A, &B, x, &k, 0, &nacked2, &recovered2);
  fprintf(stderr, "loss cleared: %zu of %zu NACKed packets recovered\n", recovered2, nacked2);
  CHECK(nacked2 >= 5);
  CHECK_INT(recovered2, nacked2);
  CHECK_INT(x->bad_payload, 0);
  CHECK_INT(x->off_changed, 0);
  a_drain(&A, &k, 200);
  CHECK_INT(k.n, 0); /* the SFU answered them all: nothing reached the sender */
  cJSON *st = admin_media(), *pb = admin_part(st, B.pid);
  fprintf(stderr, "B: nackIn %.0f served %.0f relayed %.0f throttled %.0f failed %.0f, histories %.0f\n",
          num(pb, "nackIn"), num(pb, "nackServed"), num(pb, "nackRelayed"), num(pb, "nackThrottled"),
          num(pb, "nackFailed"), num(pb, "rtxHistories"));
  CHECK(num(pb, "nackServed") >= (double)(recovered + recovered2));
  CHECK_INT(num(pb, "nackRelayed"), 0);
  CHECK_INT(num(pb, "nackFailed"), 0);
  CHECK_INT(num(pb, "rtxHistories"), 1); /* B's video from A; audio keeps none */
  CHECK_INT(num(admin_part(st, A.pid), "rtxHistories"), 0); /* nothing forwarded to A */
  CHECK_INT(num(st, "rtxHistories"), 1);
  cJSON_Delete(st);

  /* A restarts its video under a new SSRC (B's numbering goes on: offset
   * now) and skips three packets: the SFU never got them, so B's NACK
   * reaches A in A's numbering and SSRC, and A's resend reaches B */
  A.vssrc ^= 0x5a5a0000u;
  A.vseq = 40000;
  new_creds(&A, 2);
  if (offer(&A, 2) != 0 || ice_check(&A, A.rufrag, A.rpwd, 1) != 200) goto out;
  static const uint16_t skip[] = {40010, 40011, 40020};
  for (int i = 0; i < 30; i++) {
    uint16_t s = A.vseq++;
    if (s != skip[0] && s != skip[1] && s != skip[2]) send_video(&A, s);
  }
  x->have_off = 0;
  b_drain(&B, x, 300);
  uint16_t miss[ROUND];
  CHECK_INT(missing(x, 40000, 30, miss), 3);
  CHECK_INT(x->ssrc, b_ssrc);
  CHECK(x->off != 0);
  fprintf(stderr, "after the SSRC change B's numbering is A's + %u\n", x->off);
  b_nack(&B, x, skip, 3);
  for (long until = e2e_now_ms() + 2000; k.n < 3 && e2e_now_ms() < until;) a_drain(&A, &k, 20);
  CHECK_INT(k.n, 3);
  CHECK_INT(k.wrong_ssrc, 0);
  for (size_t i = 0; i < k.n && i < 3; i++) CHECK_INT(k.seqs[i], skip[i]);
  for (size_t i = 0; i < 3; i++) send_video(&A, skip[i]);
  b_drain(&B, x, 300);
  CHECK_INT(missing(x, 40000, 30, miss), 0);
  CHECK_INT(x->bad_payload, 0);
  st = admin_media();
  CHECK_INT(num(admin_part(st, B.pid), "nackRelayed"), 3);
  cJSON_Delete(st);

  /* B leaves: its history goes with its connection */
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_leave(ma, e2e_op_done, &op)), USM_OK);
  st = admin_media();
  CHECK(admin_part(st, B.pid) == NULL);
  CHECK_INT(num(st, "rtxHistories"), 0);
  cJSON_Delete(st);
out:
  mclient_free(&A);
  mclient_free(&B);
done:
  free(x);
  usm_meeting_destroy(mh);
  usm_meeting_destroy(ma);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (e2e_start(&w, NULL) != 0) {
    fprintf(stderr, "cannot start usm-cloud\n");
    return 1;
  }
  scenario();
  e2e_stop(&w);
  curl_global_cleanup();
  return check_done("test_cloud_nack");
}
