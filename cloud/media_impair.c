/* Network impairment of one direction of one participant's media: random
 * loss, burst loss (Gilbert-Elliott or fixed bursts), jitter, reordering,
 * duplication and a rate cap, with a bounded queue of held datagrams on a
 * libuv timer. Applied to SRTP/SRTCP only, so ICE and DTLS stay up. */
#include <stdlib.h>
#include <string.h>

#include "media_internal.h"

/* xorshift64*: a private generator per queue (no global state). */
static uint64_t next_rand(cloud_impair *im) {
  uint64_t x = im->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  im->rng = x;
  return x * 0x2545F4914F6CDD1Dull;
}

/* true with probability @p pct percent */
static int chance(cloud_impair *im, double pct) {
  if (pct <= 0) return 0;
  if (pct >= 100) return 1;
  return (double)(next_rand(im) >> 11) * (1.0 / 9007199254740992.0) * 100.0 < pct;
}

static void fire(uv_timer_t *t);

static void schedule(cloud_impair *im) {
  if (uv_is_closing((uv_handle_t *)&im->timer)) return;
  if (im->n == 0) {
    uv_timer_stop(&im->timer);
    return;
  }
  uint64_t now = cloud_media_now_us();
  uint64_t due = im->queue[0].due_us;
  uint64_t ms = due > now ? (due - now + 999) / 1000 : 0;
  uv_timer_start(&im->timer, fire, ms, 0);
}

static void fire(uv_timer_t *t) {
  cloud_impair *im = t->data;
  uint64_t now = cloud_media_now_us();
  /* deliver everything due; delivery never touches this queue */
  while (im->n && im->queue[0].due_us <= now + 500) {
    cloud_impair_item it = im->queue[0];
    memmove(&im->queue[0], &im->queue[1], (im->n - 1) * sizeof im->queue[0]);
    im->n--;
    im->deliver(im->user, it.data, it.len);
    free(it.data);
  }
  schedule(im);
}

int cloud_impair_init(cloud_impair *im, uv_loop_t *loop, cloud_impair_deliver deliver, void *user) {
  memset(im, 0, sizeof *im);
  im->deliver = deliver;
  im->user = user;
  cloud_random(&im->rng, sizeof im->rng);
  im->rng |= 1;
  int rc = uv_timer_init(loop, &im->timer);
  im->timer.data = im;
  return rc;
}

void cloud_impair_set(cloud_impair *im, const cloud_impair_cfg *cfg) {
  im->cfg = *cfg;
  im->ge_bad = 0;
  im->burst_pos = 0;
  im->link_free_us = 0;
}

static int lost(cloud_impair *im) {
  const cloud_impair_cfg *c = &im->cfg;
  if (c->burst_len && c->burst_every) {
    uint64_t pos = im->burst_pos++ % c->burst_every;
    if (pos < c->burst_len) return 1;
  }
  if (c->ge) {
    if (im->ge_bad ? chance(im, c->ge_r) : chance(im, c->ge_p)) im->ge_bad = !im->ge_bad;
    if (chance(im, im->ge_bad ? c->ge_loss_bad : c->ge_loss_good)) return 1;
  }
  return chance(im, c->loss);
}

/* Puts a copy in the queue, sorted by due time (stable for equal times). */
static void hold(cloud_impair *im, const uint8_t *data, size_t len, uint64_t due) {
  if (im->n >= CLOUD_MEDIA_MAX_QUEUE) {
    im->overflow++;
    return;
  }
  uint8_t *copy = malloc(len);
  if (!copy) {
    im->overflow++;
    return;
  }
  memcpy(copy, data, len);
  size_t i = im->n;
  while (i > 0 && im->queue[i - 1].due_us > due) i--;
  memmove(&im->queue[i + 1], &im->queue[i], (im->n - i) * sizeof im->queue[0]);
  im->queue[i] = (cloud_impair_item){due, len, copy};
  im->n++;
  im->delayed++;
  schedule(im);
}

static void one(cloud_impair *im, const uint8_t *data, size_t len, uint64_t now) {
  const cloud_impair_cfg *c = &im->cfg;
  uint64_t due = now;
  if (c->jitter_ms) due += next_rand(im) % ((uint64_t)c->jitter_ms * 1000 + 1);
  if (chance(im, c->reorder)) due += ((uint64_t)c->jitter_ms + 20) * 1000;
  if (c->bw_kbps) {
    /* a link of bw_kbps: each datagram leaves when the previous one is out */
    uint64_t start = im->link_free_us > now ? im->link_free_us : now;
    if (start - now > (uint64_t)CLOUD_MEDIA_MAX_QUEUE_MS * 1000) {
      im->overflow++; /* tail drop: the link's queue is full */
      return;
    }
    im->link_free_us = start + (uint64_t)len * 8 * 1000 / c->bw_kbps;
    if (im->link_free_us > due) due = im->link_free_us;
  }
  if (due <= now && im->n == 0) {
    uint8_t buf[CLOUD_MEDIA_BUF];
    memcpy(buf, data, len); /* the receiver transforms it in place */
    im->deliver(im->user, buf, len);
  } else {
    hold(im, data, len, due);
  }
}

void cloud_impair_push(cloud_impair *im, const uint8_t *data, size_t len) {
  if (len > CLOUD_MEDIA_BUF) return;
  if (lost(im)) {
    im->dropped++;
    return;
  }
  uint64_t now = cloud_media_now_us();
  int dup = chance(im, im->cfg.duplicate);
  one(im, data, len, now);
  if (dup) {
    im->duplicated++;
    one(im, data, len, now);
  }
}

void cloud_impair_close(cloud_impair *im, uv_close_cb cb) {
  for (size_t i = 0; i < im->n; i++) free(im->queue[i].data);
  im->n = 0;
  im->timer.data = im->user; /* the close callback sees the owner */
  uv_close((uv_handle_t *)&im->timer, cb);
}

cJSON *cloud_impair_json(const cloud_impair *im) {
  const cloud_impair_cfg *c = &im->cfg;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "loss", c->loss);
  if (c->ge) {
    cJSON *g = cJSON_AddObjectToObject(o, "burstLoss");
    cJSON_AddNumberToObject(g, "p", c->ge_p);
    cJSON_AddNumberToObject(g, "r", c->ge_r);
    cJSON_AddNumberToObject(g, "lossBad", c->ge_loss_bad);
    cJSON_AddNumberToObject(g, "lossGood", c->ge_loss_good);
  } else if (c->burst_len) {
    cJSON *g = cJSON_AddObjectToObject(o, "burstLoss");
    cJSON_AddNumberToObject(g, "length", c->burst_len);
    cJSON_AddNumberToObject(g, "every", c->burst_every);
  }
  cJSON_AddNumberToObject(o, "jitterMs", c->jitter_ms);
  cJSON_AddNumberToObject(o, "reorder", c->reorder);
  cJSON_AddNumberToObject(o, "duplicate", c->duplicate);
  cJSON_AddNumberToObject(o, "bandwidthKbps", c->bw_kbps);
  cJSON_AddNumberToObject(o, "dropped", (double)im->dropped);
  cJSON_AddNumberToObject(o, "delayed", (double)im->delayed);
  cJSON_AddNumberToObject(o, "duplicated", (double)im->duplicated);
  cJSON_AddNumberToObject(o, "overflow", (double)im->overflow);
  cJSON_AddNumberToObject(o, "queued", (double)im->n);
  return o;
}
