/* ICE connectivity checks (RFC 8445 §6-8, §7.2-7.3) and consent freshness
 * (RFC 7675): the check list (pairs by priority, paced every Ta, triggered
 * checks first), STUN Binding transactions with bounded retransmission,
 * answering the peer's checks (prflx discovery, role conflicts with 487),
 * nomination (aggressive against ice-lite, regular otherwise), selection,
 * and the consent timers after CONNECTED. Every STUN message that fails
 * FINGERPRINT or MESSAGE-INTEGRITY is dropped without an answer. */
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "media/ice_agent_internal.h"

static uint64_t now_ms(const usm__ice_agent *a) { return uv_now(a->cfg.loop); }

/* ---- pairs ---- */

static uint64_t pair_priority(const usm__ice_agent *a, const ice_pair *p) {
  return usm__ice_pair_priority(a->controlling, a->locals[p->local].c.priority,
                                a->remotes[p->remote].priority);
}

static int find_pair(const usm__ice_agent *a, int local, int remote) {
  for (size_t i = 0; i < a->n_pairs; i++)
    if (a->pairs[i].local == local && a->pairs[i].remote == remote) return (int)i;
  return -1;
}

void usm__ice_form_pairs(usm__ice_agent *a) {
  for (size_t l = 0; l < a->n_locals; l++) {
    const ice_local *lc = &a->locals[l];
    /* a srflx candidate sends from its host base: the host pair covers it */
    if (lc->c.type == USM__ICE_SRFLX) continue;
    if (a->cfg.relay_only && lc->c.type != USM__ICE_RELAY) continue;
    for (size_t r = 0; r < a->n_remotes; r++) {
      if (a->remotes[r].addr.family != lc->c.addr.family) continue;
      if (find_pair(a, (int)l, (int)r) >= 0) continue;
      if (a->n_pairs >= USM__ICE_MAX_PAIRS) {
        usm__ice_log(a, USM_LOG_WARN, "ice: pair limit %d reached", USM__ICE_MAX_PAIRS);
        return;
      }
      ice_pair *p = &a->pairs[a->n_pairs++];
      memset(p, 0, sizeof *p);
      p->local = (int)l;
      p->remote = (int)r;
      p->state = PAIR_WAITING;
      p->priority = pair_priority(a, p);
      if (lc->sock < 0 && a->turn) usm__turn_permit(a->turn, &a->remotes[r].addr);
    }
  }
}

static void set_role(usm__ice_agent *a, int controlling) {
  if (a->controlling == controlling) return;
  usm__ice_log(a, USM_LOG_INFO, "ice: role conflict, now %s", controlling ? "controlling" : "controlled");
  a->controlling = controlling;
  for (size_t i = 0; i < a->n_pairs; i++) a->pairs[i].priority = pair_priority(a, &a->pairs[i]);
}

static void trigger(usm__ice_agent *a, int p) {
  if (!a->pairs[p].triggered) a->pairs[p].triggered = ++a->trigger_seq;
}

/* ---- transactions ---- */

static ice_tx *tx_alloc(usm__ice_agent *a) {
  for (size_t i = 0; i < USM__ICE_MAX_TRANSACTIONS; i++)
    if (!a->tx[i].used) {
      memset(&a->tx[i], 0, offsetof(ice_tx, buf));
      return &a->tx[i];
    }
  return NULL;
}

static ice_tx *tx_find(usm__ice_agent *a, const uint8_t *tid) {
  for (size_t i = 0; i < USM__ICE_MAX_TRANSACTIONS; i++)
    if (a->tx[i].used && memcmp(a->tx[i].tid, tid, USM__STUN_TID_LEN) == 0) return &a->tx[i];
  return NULL;
}

static void tx_go(usm__ice_agent *a, ice_tx *x, int max_sends) {
  uint64_t now = now_ms(a);
  x->used = 1;
  x->first_ms = now;
  x->rto = ICE_RTO_MS;
  x->next_ms = now + x->rto;
  x->sends = 1;
  x->max_sends = max_sends;
  usm__ice_send_from(a, x->local, &x->to, x->buf, x->len);
  usm__ice_schedule(a, USM__ICE_TA_MS);
}

/* A Binding request from @p local to @p to with the ICE attributes. */
static ice_tx *send_check(usm__ice_agent *a, int local, const usm__stun_addr *to, ice_tx_kind kind,
                          int use_candidate) {
  ice_tx *x = tx_alloc(a);
  if (!x) return NULL;
  char user[USM__ICE_UFRAG_MAX + 1 + sizeof a->ufrag];
  int ul = snprintf(user, sizeof user, "%s:%s", a->rufrag, a->ufrag);
  /* PRIORITY: what a peer-reflexive candidate of ours would get (§7.1.1) */
  uint32_t local_pref = (a->locals[local].c.priority >> 8) & 0xFFFF;
  uint32_t prio = usm__ice_priority(usm__ice_type_preference(USM__ICE_PRFLX), local_pref, 1);
  usm__stun_builder b;
  usm__stun_build_begin(&b, x->buf, sizeof x->buf, USM__STUN_BINDING, USM__STUN_REQUEST, NULL);
  memcpy(x->tid, usm__stun_build_tid(&b), USM__STUN_TID_LEN);
  usm__stun_add_attr(&b, USM__STUN_ATTR_USERNAME, user, (size_t)ul);
  usm__stun_add_u32(&b, USM__STUN_ATTR_PRIORITY, prio);
  usm__stun_add_u64(&b, a->controlling ? USM__STUN_ATTR_ICE_CONTROLLING : USM__STUN_ATTR_ICE_CONTROLLED,
                    a->tie_breaker);
  if (use_candidate) usm__stun_add_flag(&b, USM__STUN_ATTR_USE_CANDIDATE);
  usm__stun_add_integrity(&b, (const uint8_t *)a->rpwd, strlen(a->rpwd));
  usm__stun_add_fingerprint(&b);
  if (usm__stun_build_finish(&b, &x->len) != USM_OK) return NULL;
  x->kind = kind;
  x->local = local;
  x->to = *to;
  x->pair = -1;
  x->use_candidate = use_candidate;
  x->as_controlling = a->controlling;
  tx_go(a, x, kind == TX_CONSENT ? ICE_CONSENT_MAX_SENDS : ICE_CHECK_MAX_SENDS);
  return x;
}

static void check_pair(usm__ice_agent *a, int p, int use_candidate) {
  ice_pair *pr = &a->pairs[p];
  ice_tx *x = send_check(a, pr->local, &a->remotes[pr->remote].addr, TX_CHECK, use_candidate);
  if (!x) return; /* table full: the pair stays waiting */
  x->pair = p;
  pr->state = PAIR_IN_PROGRESS;
  pr->triggered = 0;
  if (use_candidate) a->nominating = 1;
}

usm_err usm__ice_srflx_request(usm__ice_agent *a, int sock, const usm__stun_addr *server) {
  int local = -1;
  for (size_t i = 0; i < a->n_locals && local < 0; i++)
    if (a->locals[i].sock == sock && a->locals[i].c.type == USM__ICE_HOST) local = (int)i;
  ice_tx *x = local >= 0 ? tx_alloc(a) : NULL;
  if (!x) return USM_ERR_LIMIT;
  usm__stun_builder b;
  usm__stun_build_begin(&b, x->buf, sizeof x->buf, USM__STUN_BINDING, USM__STUN_REQUEST, NULL);
  memcpy(x->tid, usm__stun_build_tid(&b), USM__STUN_TID_LEN);
  usm__stun_add_fingerprint(&b);
  usm_err e = usm__stun_build_finish(&b, &x->len);
  if (e != USM_OK) return e;
  x->kind = TX_SRFLX;
  x->local = local;
  x->to = *server;
  x->pair = -1;
  tx_go(a, x, ICE_SRFLX_MAX_SENDS);
  return USM_OK;
}

void usm__ice_clear_checks(usm__ice_agent *a) {
  for (size_t i = 0; i < USM__ICE_MAX_TRANSACTIONS; i++)
    if (a->tx[i].kind != TX_SRFLX) a->tx[i].used = 0;
  a->n_pairs = 0;
  a->checks_started = 0;
  a->first_valid_ms = 0;
  a->nominating = 0;
  a->trigger_seq = 0;
  a->restarting = a->sel.active;
}

/* ---- selection and consent ---- */

static unsigned jitter(unsigned ms) {
  uint8_t r = 0;
  RAND_bytes(&r, 1);
  return (unsigned)((uint64_t)ms * (80u + r % 41u) / 100u); /* 0.8 .. 1.2 (RFC 7675 §5.1) */
}

static void select_pair(usm__ice_agent *a, int p) {
  ice_pair *pr = &a->pairs[p];
  pr->nominated = 1;
  if (a->sel.active && !a->restarting && pr->priority <= a->sel.priority) return;
  const usm__ice_candidate *r = &a->remotes[pr->remote];
  a->sel.active = 1;
  a->sel.local = pr->local;
  a->sel.remote = r->addr;
  a->sel.remote_type = r->type;
  a->sel.priority = pr->priority;
  a->sel.rtt_ms = pr->rtt_ms;
  a->restarting = 0;
  uint64_t now = now_ms(a);
  a->last_consent_ms = now;
  a->next_consent_ms = now + jitter(a->cfg.consent_interval_ms);
  if (a->locals[pr->local].sock < 0 && a->turn) usm__turn_bind_channel(a->turn, &r->addr);
  char ls[64], rs[64];
  usm__ice_addr_str(&a->locals[pr->local].c.addr, ls, sizeof ls);
  usm__ice_addr_str(&r->addr, rs, sizeof rs);
  usm__ice_log(a, USM_LOG_INFO, "ice: selected %s %s -> %s %s", usm__ice_type_name(a->locals[pr->local].c.type),
               ls, usm__ice_type_name(r->type), rs);
  usm__ice_set_state(a, USM__ICE_CONNECTED);
}

int usm__ice_data_allowed(const usm__ice_agent *a, int local, const usm__stun_addr *from) {
  if (a->sel.active && a->sel.local == local && usm__ice_addr_eq(&a->sel.remote, from)) return 1;
  for (size_t i = 0; i < a->n_pairs; i++) {
    const ice_pair *p = &a->pairs[i];
    if (p->local == local && (p->state == PAIR_SUCCEEDED || p->peer_checked) &&
        usm__ice_addr_eq(&a->remotes[p->remote].addr, from))
      return 1;
  }
  return 0;
}

/* ---- the timer ---- */

static void tx_timeout(usm__ice_agent *a, ice_tx *x) {
  x->used = 0;
  if (x->kind == TX_SRFLX) {
    usm__ice_gather_step_done(a);
  } else if (x->kind == TX_CHECK && x->pair >= 0 && (size_t)x->pair < a->n_pairs) {
    ice_pair *p = &a->pairs[x->pair];
    if (p->state == PAIR_IN_PROGRESS) p->state = PAIR_FAILED;
    if (x->use_candidate) a->nominating = 0;
  }
}

static int best_pair(const usm__ice_agent *a, ice_pair_state st, int triggered_only) {
  int best = -1;
  for (size_t i = 0; i < a->n_pairs; i++) {
    const ice_pair *p = &a->pairs[i];
    if (triggered_only) {
      if (p->triggered && p->state != PAIR_IN_PROGRESS &&
          (best < 0 || p->triggered < a->pairs[best].triggered))
        best = (int)i;
    } else if (p->state == st && !p->nominated && (best < 0 || p->priority > a->pairs[best].priority)) {
      best = (int)i;
    }
  }
  return best;
}

static void regular_nomination(usm__ice_agent *a, uint64_t now) {
  int b = best_pair(a, PAIR_SUCCEEDED, 0);
  if (b < 0) return;
  if (!a->first_valid_ms) a->first_valid_ms = now;
  int better_pending = 0;
  for (size_t i = 0; i < a->n_pairs; i++)
    if ((a->pairs[i].state == PAIR_WAITING || a->pairs[i].state == PAIR_IN_PROGRESS) &&
        a->pairs[i].priority > a->pairs[b].priority)
      better_pending = 1;
  if (better_pending && now - a->first_valid_ms < ICE_NOMINATE_WAIT_MS) return;
  check_pair(a, b, 1);
}

static void consent_tick(usm__ice_agent *a, uint64_t now) {
  if (!a->sel.active || a->restarting ||
      (a->state != USM__ICE_CONNECTED && a->state != USM__ICE_DISCONNECTED))
    return;
  uint64_t since = now - a->last_consent_ms;
  if (since >= a->cfg.consent_timeout_ms) {
    usm__ice_log(a, USM_LOG_WARN, "ice: consent lost for %u ms", (unsigned)since);
    a->sel.active = 0; /* RFC 7675 §5.1: stop sending */
    usm__ice_set_state(a, USM__ICE_FAILED);
    return;
  }
  /* about two missed consent checks */
  uint64_t disc = 2ull * a->cfg.consent_interval_ms + ICE_RTO_MS;
  if (disc >= a->cfg.consent_timeout_ms) disc = a->cfg.consent_timeout_ms / 2;
  if (since >= disc && a->state == USM__ICE_CONNECTED) usm__ice_set_state(a, USM__ICE_DISCONNECTED);
  if (now >= a->next_consent_ms) {
    a->next_consent_ms = now + jitter(a->cfg.consent_interval_ms);
    send_check(a, a->sel.local, &a->sel.remote, TX_CONSENT, 0);
  }
}

void usm__ice_tick(usm__ice_agent *a) {
  uint64_t now = now_ms(a);
  int pending = 0;
  for (size_t i = 0; i < USM__ICE_MAX_TRANSACTIONS; i++) {
    ice_tx *x = &a->tx[i];
    if (!x->used || now < x->next_ms) {
      pending |= x->used;
      continue;
    }
    if (x->sends >= x->max_sends) {
      tx_timeout(a, x);
      continue;
    }
    x->sends++;
    x->rto = x->rto * 2 > ICE_RTO_MAX_MS ? ICE_RTO_MAX_MS : x->rto * 2;
    x->next_ms = now + x->rto;
    usm__ice_send_from(a, x->local, &x->to, x->buf, x->len);
    pending = 1;
  }
  int checking = a->checks_started && a->have_remote_creds && (!a->sel.active || a->restarting);
  if (checking && now >= a->checks_deadline_ms) {
    usm__ice_log(a, USM_LOG_WARN, "ice: no candidate pair worked within %u ms", a->cfg.check_timeout_ms);
    usm__ice_clear_checks(a);
    a->sel.active = 0;
    a->restarting = 0;
    usm__ice_set_state(a, USM__ICE_FAILED);
    checking = 0;
  }
  if (checking && now >= a->next_check_ms) {
    /* Ta pacing: one new check per tick, triggered ones first */
    int p = best_pair(a, PAIR_WAITING, 1);
    if (p < 0) p = best_pair(a, PAIR_WAITING, 0);
    if (p >= 0) {
      a->next_check_ms = now + USM__ICE_TA_MS;
      check_pair(a, p, a->controlling && a->remote_lite);
    }
    if (a->controlling && !a->remote_lite && !a->nominating) regular_nomination(a, now);
  } else if (a->sel.active && !a->restarting) {
    /* after selection only triggered checks (the peer's nomination) run */
    int p = best_pair(a, PAIR_WAITING, 1);
    if (p >= 0) check_pair(a, p, 0);
  }
  consent_tick(a, now);
  for (size_t i = 0; i < USM__ICE_MAX_TRANSACTIONS && !pending; i++) pending = a->tx[i].used;
  if (checking || pending) usm__ice_schedule(a, USM__ICE_TA_MS);
  else if (a->sel.active) usm__ice_schedule(a, ICE_IDLE_TICK_MS);
}

/* ---- incoming STUN ---- */

static void respond(usm__ice_agent *a, int local, const usm__stun_addr *to, const usm__stun_msg *req,
                    int code, const usm__stun_msg *unknown_from) {
  uint8_t buf[ICE_TX_BUF];
  usm__stun_builder b;
  usm__stun_build_begin(&b, buf, sizeof buf, USM__STUN_BINDING, code ? USM__STUN_ERROR : USM__STUN_SUCCESS,
                        req->tid);
  if (code) {
    usm__stun_add_error(&b, code, code == 487 ? "Role Conflict" : "Unknown Attribute");
    if (unknown_from) usm__stun_add_unknown_list(&b, unknown_from->unknown, unknown_from->n_unknown);
  } else {
    usm__stun_add_addr(&b, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, to);
  }
  usm__stun_add_integrity(&b, (const uint8_t *)a->pwd, strlen(a->pwd));
  usm__stun_add_fingerprint(&b);
  size_t len;
  if (usm__stun_build_finish(&b, &len) == USM_OK) usm__ice_send_from(a, local, to, buf, len);
}

static int remote_for(usm__ice_agent *a, const usm__stun_addr *from, uint32_t priority) {
  for (size_t i = 0; i < a->n_remotes; i++)
    if (usm__ice_addr_eq(&a->remotes[i].addr, from)) return (int)i;
  if (a->n_remotes >= USM__ICE_MAX_REMOTE) return -1;
  /* peer-reflexive (§7.3.1.3): learnt from the check itself */
  usm__ice_candidate *c = &a->remotes[a->n_remotes];
  memset(c, 0, sizeof *c);
  c->component = 1;
  c->transport = USM__ICE_UDP;
  c->priority = priority;
  c->addr = *from;
  c->type = USM__ICE_PRFLX;
  if (usm__ice_foundation(USM__ICE_PRFLX, from, NULL, USM__ICE_UDP, c->foundation) != USM_OK) return -1;
  a->n_remotes++;
  usm__ice_form_pairs(a);
  return (int)(a->n_remotes - 1);
}

static void handle_request(usm__ice_agent *a, int local, const usm__stun_addr *from,
                           const usm__stun_msg *m) {
  const uint8_t *user;
  size_t ul, ol = strlen(a->ufrag);
  /* USERNAME is "our-ufrag:their-ufrag" */
  if (usm__stun_get_bytes(m, USM__STUN_ATTR_USERNAME, &user, &ul) != USM_OK || ul <= ol ||
      memcmp(user, a->ufrag, ol) != 0 || user[ol] != ':')
    return;
  if (usm__stun_check_integrity(m, (const uint8_t *)a->pwd, strlen(a->pwd)) != USM_OK) return;
  if (m->n_unknown) {
    respond(a, local, from, m, 420, m);
    return;
  }
  uint32_t prio;
  if (usm__stun_get_u32(m, USM__STUN_ATTR_PRIORITY, &prio) != USM_OK) return;
  uint64_t theirs;
  if (a->controlling && usm__stun_get_u64(m, USM__STUN_ATTR_ICE_CONTROLLING, &theirs) == USM_OK) {
    if (a->tie_breaker >= theirs) {
      respond(a, local, from, m, 487, NULL);
      return;
    }
    set_role(a, 0);
  } else if (!a->controlling && usm__stun_get_u64(m, USM__STUN_ATTR_ICE_CONTROLLED, &theirs) == USM_OK) {
    if (a->tie_breaker >= theirs) {
      set_role(a, 1);
    } else {
      respond(a, local, from, m, 487, NULL);
      return;
    }
  }
  respond(a, local, from, m, 0, NULL);
  if (!a->have_remote_creds) return; /* the peer retransmits; we check back once we can */
  int r = remote_for(a, from, prio);
  int p = r >= 0 ? find_pair(a, local, r) : -1;
  if (p < 0) return;
  ice_pair *pr = &a->pairs[p];
  pr->peer_checked = 1;
  int use_candidate = !a->controlling && usm__stun_find(m, USM__STUN_ATTR_USE_CANDIDATE) != NULL;
  if (pr->state == PAIR_SUCCEEDED) {
    if (use_candidate) select_pair(a, p);
    return;
  }
  if (use_candidate) pr->nominate_on_success = 1;
  if (pr->state != PAIR_IN_PROGRESS) {
    pr->state = PAIR_WAITING;
    trigger(a, p);
    usm__ice_schedule(a, 0);
  }
}

static void handle_srflx_response(usm__ice_agent *a, ice_tx *x, const usm__stun_msg *m) {
  usm__stun_addr mapped;
  int sock = a->locals[x->local].sock;
  x->used = 0;
  if (m->cls == USM__STUN_SUCCESS &&
      (usm__stun_get_addr(m, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped) == USM_OK ||
       usm__stun_get_addr(m, USM__STUN_ATTR_MAPPED_ADDRESS, &mapped) == USM_OK) &&
      !usm__ice_addr_eq(&mapped, &a->socks[sock].addr))
    usm__ice_add_local(a, USM__ICE_SRFLX, &mapped, &a->socks[sock].addr, sock, &x->to);
  usm__ice_gather_step_done(a);
}

static void handle_response(usm__ice_agent *a, int local, const usm__stun_addr *from,
                            const usm__stun_msg *m) {
  ice_tx *x = tx_find(a, m->tid);
  /* symmetric: the answer comes from where the request went, to where it left */
  if (!x || x->local != local || !usm__ice_addr_eq(&x->to, from)) return;
  if (x->kind == TX_SRFLX) {
    handle_srflx_response(a, x, m);
    return;
  }
  if (usm__stun_check_integrity(m, (const uint8_t *)a->rpwd, strlen(a->rpwd)) != USM_OK) return;
  uint64_t now = now_ms(a);
  ice_tx done = *x;
  x->used = 0;
  ice_pair *pr = done.kind == TX_CHECK && done.pair >= 0 && (size_t)done.pair < a->n_pairs
                     ? &a->pairs[done.pair]
                     : NULL;
  if (done.use_candidate) a->nominating = 0;
  if (m->cls == USM__STUN_ERROR) {
    int code = 0;
    const uint8_t *reason;
    size_t rl;
    usm__stun_get_error(m, &code, &reason, &rl);
    if (!pr) return;
    if (code == 487) {
      /* §7.2.5.1: take the role opposite to the one the request claimed
       * (not a toggle: another answer may have switched us already) */
      set_role(a, !done.as_controlling);
      pr->state = PAIR_WAITING;
      trigger(a, done.pair);
    } else {
      usm__ice_log(a, USM_LOG_WARN, "ice: check answered with error %d", code);
      pr->state = PAIR_FAILED;
    }
    return;
  }
  uint32_t rtt = done.sends == 1 ? (uint32_t)(now - done.first_ms) : 0; /* Karn */
  if (done.kind == TX_CONSENT) {
    a->last_consent_ms = now;
    if (done.sends == 1) a->sel.rtt_ms = rtt;
    if (a->state == USM__ICE_DISCONNECTED) usm__ice_set_state(a, USM__ICE_CONNECTED);
    return;
  }
  if (!pr) return;
  pr->state = PAIR_SUCCEEDED;
  if (done.sends == 1) pr->rtt_ms = rtt;
  if (!a->first_valid_ms) a->first_valid_ms = now;
  if ((a->controlling && done.use_candidate) || (!a->controlling && pr->nominate_on_success))
    select_pair(a, done.pair);
  if (a->sel.active && a->sel.local == pr->local &&
      usm__ice_addr_eq(&a->sel.remote, &a->remotes[pr->remote].addr))
    a->last_consent_ms = now;
}

void usm__ice_on_stun(usm__ice_agent *a, int local, const usm__stun_addr *from, const uint8_t *buf,
                      size_t len) {
  usm__stun_msg m;
  if (usm__stun_parse(buf, len, &m) != USM_OK || m.method != USM__STUN_BINDING) return;
  /* FINGERPRINT is required on ICE checks (RFC 8445 §7.1.1); a STUN server may omit it */
  usm_err fp = usm__stun_check_fingerprint(&m);
  if (fp == USM_ERR_MALFORMED) return;
  if (m.cls == USM__STUN_REQUEST) {
    if (fp == USM_OK) handle_request(a, local, from, &m);
  } else if (m.cls == USM__STUN_SUCCESS || m.cls == USM__STUN_ERROR) {
    handle_response(a, local, from, &m);
  }
}
