/* libusm: the client handle and its event loop. */
#ifndef USM_CLIENT_H
#define USM_CLIENT_H

/**
 * @file client.h
 * A usm_client holds one user's credentials and settings and owns one event
 * loop. Every network operation of the client and of the meetings made from
 * it runs on that loop, and every callback is called on the loop's thread.
 * See docs/threads.md for the threading model.
 */

#include <stdint.h>
#include <usm/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque client handle. */
typedef struct usm_client usm_client;

/**
 * Log callback. Called on the loop thread (or the calling thread for calls
 * made outside the loop). @p msg is valid during the call only and never
 * contains an access token.
 */
typedef void (*usm_log_cb)(void *user, usm_log_level level, const char *msg);

/** Default discovery (U2C) URL of the real Webex cloud. */
#define USM_DEFAULT_DISCOVERY_URL "https://u2c.wbx2.com/u2c/api/v1"
/**
 * Base URL of the public Webex REST API in the real cloud. Not applied by
 * default any more: with api_url NULL the client uses the "hydra" URL of its
 * service catalog (which in the real cloud is this API).
 */
#define USM_DEFAULT_API_URL "https://webexapis.com/v1"

/**
 * Token refresh request: the Mercury event channel was refused with 4401
 * (token unknown or expired). Call usm_client_set_token() with a fresh token,
 * now or later (from another thread through usm_client_post()); the channel
 * reconnects with backoff and uses whatever token is set then.
 * Called on the loop thread.
 */
typedef void (*usm_token_refresh_cb)(usm_client *client, void *user);

/**
 * Client settings. Initialise with usm_client_options_init(), then set what
 * you need. Strings are copied by usm_client_create(); the struct may be
 * discarded afterwards.
 */
typedef struct usm_client_options {
  size_t struct_size;        /**< Set by usm_client_options_init(); lets the struct grow. */
  const char *access_token;  /**< Bearer token (required). Never logged. */
  const char *discovery_url; /**< Service discovery base; NULL: USM_DEFAULT_DISCOVERY_URL. */
  const char *api_url;       /**< Public REST API base; NULL: the "hydra" URL from service discovery (docs/client.md). */
  const char *ca_file;       /**< PEM bundle to trust instead of the system store; NULL: system store. */
  const char *user_agent;    /**< NULL: "libusm/VERSION". */
  long connect_timeout_ms;   /**< Default 10000. */
  long request_timeout_ms;   /**< Whole request, per attempt. Default 30000. */
  unsigned max_retries;      /**< Retries for 423/429/502/503/504 (and 500 on idempotent calls). Default 3. */
  long max_retry_after_ms;   /**< Longest Retry-After honoured; longer fails at once. Default 60000. */
  size_t max_body_bytes;     /**< Largest response body accepted. Default 4 MiB. */
  const char *const *extra_headers; /**< NULL-terminated "Name: value" list sent with every REST request, or NULL. */
  usm_log_cb log_cb;         /**< NULL: silent. */
  usm_log_level log_level;   /**< Highest level passed to log_cb. Default USM_LOG_INFO. */
  void *log_user;            /**< Passed to log_cb. */
  /* Appended in 0.2 (read only when struct_size covers them). */
  long mercury_ping_interval_ms; /**< Ping this long after each pong. Default 15000. */
  long mercury_pong_timeout_ms;  /**< Reconnect when no pong comes this long after a ping. Default 14000. */
  unsigned mercury_max_retries;  /**< Failed connects in a row before the event channel gives up. Default 10. */
  usm_token_refresh_cb token_refresh_cb; /**< NULL: a refused token (4401) stops the event channel. */
  void *token_refresh_user;      /**< Passed to token_refresh_cb. */
} usm_client_options;

/** Fill @p opts with defaults (all pointers NULL). Thread-safe. */
USM_API void usm_client_options_init(usm_client_options *opts);

/**
 * Create a client. URLs must be https://, or http:// to a loopback host.
 * @param opts settings, from usm_client_options_init(); copied.
 * @param[out] out receives the handle; release with usm_client_destroy().
 * @return USM_OK; USM_ERR_INVALID_ARG (no token, bad URL, bad option),
 *         USM_ERR_INSECURE_URL, USM_ERR_NO_MEMORY, USM_ERR_INTERNAL.
 * Any thread; the handle is then bound to its loop (see docs/threads.md).
 */
USM_API usm_err usm_client_create(const usm_client_options *opts, usm_client **out);

/**
 * Destroy a client: cancels every pending operation without calling its
 * callback, closes connections and frees everything. No callback of this
 * client fires after this returns. Safe to call from inside a callback (the
 * release is deferred until the callback returns). With a library-owned loop
 * thread, call it from the thread that started it; it stops and joins the thread.
 * NULL is a no-op.
 */
USM_API void usm_client_destroy(usm_client *client);

/**
 * Detail of the last failure of a call on this handle (server message,
 * tracking id, local reason), or "" when none. Owned by the client; valid
 * until the next libusm call on the same handle. Loop thread only.
 */
USM_API const char *usm_client_last_error(const usm_client *client);

/**
 * Replace the access token used by every later request and (re)connection.
 * Copied. Loop thread only (from other threads, call it in a function given
 * to usm_client_post()).
 * @return USM_OK; USM_ERR_INVALID_HANDLE; USM_ERR_INVALID_ARG (empty, spaces
 *         or control characters); USM_ERR_LIMIT (longer than 8192 bytes);
 *         USM_ERR_NO_MEMORY (the old token stays).
 */
USM_API usm_err usm_client_set_token(usm_client *client, const char *token);

/** Attach an application pointer to the client. Loop thread only. */
USM_API void usm_client_set_user(usm_client *client, void *user);
/** The pointer set with usm_client_set_user(), or NULL. Loop thread only. */
USM_API void *usm_client_get_user(const usm_client *client);

/* ---- driving the loop ------------------------------------------------- */

/**
 * Integration with an application's own event loop: a file descriptor that
 * becomes readable when libusm has work to do. Watch it, and call
 * usm_client_process() when it is readable or usm_client_timeout() expires.
 * @return the descriptor, or -1 if the platform has none.
 */
USM_API int usm_client_fd(const usm_client *client);

/**
 * Milliseconds until libusm needs usm_client_process() called even without
 * activity on usm_client_fd(); 0: now; -1: no timer pending.
 */
USM_API int usm_client_timeout(const usm_client *client);

/**
 * Run everything that is ready without blocking: I/O, timers, completions,
 * callbacks. Call from the loop thread only.
 * @return USM_OK, or USM_ERR_WRONG_STATE while a library-owned thread runs the loop.
 */
USM_API usm_err usm_client_process(usm_client *client);

/**
 * Run the loop on the calling thread until usm_client_stop() is called (from
 * a callback or a posted function), or until nothing is outstanding: no
 * operation in flight and no posted function waiting. Functions posted from
 * other threads while operations run are picked up.
 * @return USM_OK, or USM_ERR_WRONG_STATE if the loop already runs.
 */
USM_API usm_err usm_client_run(usm_client *client);

/** Make usm_client_run() return once the current callback finishes. Loop thread only. */
USM_API void usm_client_stop(usm_client *client);

/**
 * Run the loop on a thread owned by the library. From then on every call on
 * this client and its objects must be made on that thread: from callbacks,
 * or through usm_client_post(). usm_client_destroy() stops and joins it.
 * @return USM_OK, USM_ERR_WRONG_STATE (already running), USM_ERR_INTERNAL.
 */
USM_API usm_err usm_client_start_thread(usm_client *client);

/** A function to run on the loop thread. */
typedef void (*usm_post_fn)(usm_client *client, void *user);

/**
 * Queue @p fn to run on the loop thread as soon as possible, and wake the
 * loop. The only libusm call that is safe from any thread. Functions run in
 * the order posted. Functions still queued when the client is destroyed
 * never run (free their @p user yourself if needed).
 * @return USM_OK, USM_ERR_INVALID_ARG, USM_ERR_NO_MEMORY, USM_ERR_WRONG_STATE (destroying).
 */
USM_API usm_err usm_client_post(usm_client *client, usm_post_fn fn, void *user);

#ifdef __cplusplus
}
#endif
#endif
