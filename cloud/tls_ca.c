#define _XOPEN_SOURCE 700 /* realpath() */
#include "tls_ca.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VALID_DAYS (2 * 365)
#define MIN_REMAINING_S 86400

static void ssl_error(const char *what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "";
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  fprintf(stderr, "usm-cloud: %s failed %s\n", what, buf);
  ERR_clear_error();
}

static X509 *read_cert(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  return x;
}

static EVP_PKEY *read_key(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
  fclose(f);
  return k;
}

/* Written under a temporary name and renamed, so a crash never leaves half
 * a file; keys are created 0600. */
static int write_pem(const char *path, X509 *cert, EVP_PKEY *key) {
  char tmp[CLOUD_TLS_PATH_MAX + 8];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, key ? 0600 : 0644);
  if (fd < 0) {
    fprintf(stderr, "usm-cloud: cannot write %s: %s\n", tmp, strerror(errno));
    return -1;
  }
  FILE *f = fdopen(fd, "w");
  if (!f) {
    close(fd);
    return -1;
  }
  int ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert);
  if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
    fprintf(stderr, "usm-cloud: cannot write %s\n", path);
    unlink(tmp);
    return -1;
  }
  return 0;
}

/* Valid now and for at least MIN_REMAINING_S more seconds. */
static int fresh(const X509 *x) {
  time_t now = time(NULL), later = now + MIN_REMAINING_S;
  return X509_cmp_time(X509_get0_notBefore(x), &now) < 0 &&
         X509_cmp_time(X509_get0_notAfter(x), &later) > 0;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  int ok = ext && X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  return ok ? 0 : -1;
}

static int set_serial(X509 *x) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return -1;
  b[0] &= 0x7f; /* positive */
  BIGNUM *bn = BN_bin2bn(b, sizeof b, NULL);
  int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  BN_free(bn);
  return ok ? 0 : -1;
}

/* A certificate for @p key: self-signed CA when @p issuer is NULL, else a
 * TLS server certificate signed by @p issuer / @p issuer_key. */
static X509 *make_cert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key) {
  X509 *x = X509_new();
  if (!x) return NULL;
  X509_NAME *name = X509_get_subject_name(x);
  const char *cn = issuer ? "usm-cloud local server" : "usm-cloud local CA";
  int ok =
      X509_set_version(x, 2) && set_serial(x) == 0 &&
      X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
      X509_gmtime_adj(X509_getm_notAfter(x), (long)VALID_DAYS * 86400) && X509_set_pubkey(x, key) &&
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"usm-cloud", -1,
                                 -1, 0) &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) &&
      X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  X509 *signer = issuer ? issuer : x;
  if (ok && !issuer)
    ok = add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") == 0 &&
         add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign") == 0 &&
         add_ext(x, signer, NID_subject_key_identifier, "hash") == 0;
  if (ok && issuer)
    ok = add_ext(x, signer, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
         add_ext(x, signer, NID_key_usage, "critical,digitalSignature") == 0 &&
         add_ext(x, signer, NID_ext_key_usage, "serverAuth") == 0 &&
         add_ext(x, signer, NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost") == 0 &&
         add_ext(x, signer, NID_subject_key_identifier, "hash") == 0 &&
         add_ext(x, signer, NID_authority_key_identifier, "keyid:always") == 0;
  if (!ok || !X509_sign(x, issuer ? issuer_key : key, EVP_sha256())) {
    X509_free(x);
    return NULL;
  }
  return x;
}

static int server_ok(X509 *srv, EVP_PKEY *key, EVP_PKEY *ca_key) {
  return srv && key && fresh(srv) && X509_check_private_key(srv, key) == 1 &&
         X509_verify(srv, ca_key) == 1 && X509_check_ip_asc(srv, "127.0.0.1", 0) == 1 &&
         X509_check_ip_asc(srv, "::1", 0) == 1 &&
         X509_check_host(srv, "localhost", 0, 0, NULL) == 1;
}

static int paths(const char *dir, cloud_tls_files *out) {
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    fprintf(stderr, "usm-cloud: cannot create %s: %s\n", dir, strerror(errno));
    return -1;
  }
  char abs[PATH_MAX];
  if (!realpath(dir, abs)) {
    fprintf(stderr, "usm-cloud: cannot resolve %s: %s\n", dir, strerror(errno));
    return -1;
  }
  if (strlen(abs) + 20 > CLOUD_TLS_PATH_MAX) {
    fprintf(stderr, "usm-cloud: state folder path too long\n");
    return -1;
  }
  snprintf(out->ca, sizeof out->ca, "%s/ca.pem", abs);
  snprintf(out->ca_key, sizeof out->ca_key, "%s/ca-key.pem", abs);
  snprintf(out->cert, sizeof out->cert, "%s/server.pem", abs);
  snprintf(out->key, sizeof out->key, "%s/server-key.pem", abs);
  return 0;
}

int cloud_tls_ensure(const char *dir, cloud_tls_files *out) {
  if (paths(dir, out) != 0) return -1;
  X509 *ca = read_cert(out->ca), *srv = read_cert(out->cert);
  EVP_PKEY *ca_key = read_key(out->ca_key), *key = read_key(out->key);
  ERR_clear_error(); /* missing files are expected on first start */
  int rc = -1;
  int ca_good = ca && ca_key && fresh(ca) && X509_check_private_key(ca, ca_key) == 1;
  if (ca_good && server_ok(srv, key, ca_key)) {
    rc = 0;
    goto done;
  }
  if (!ca_good) {
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    ca_key = EVP_EC_gen("P-256");
    ca = ca_key ? make_cert(ca_key, NULL, NULL) : NULL;
    if (!ca || write_pem(out->ca_key, NULL, ca_key) != 0 || write_pem(out->ca, ca, NULL) != 0) {
      ssl_error("creating the local CA");
      goto done;
    }
    fprintf(stderr, "usm-cloud: created a new local CA in %s\n", out->ca);
  }
  X509_free(srv);
  EVP_PKEY_free(key);
  key = EVP_EC_gen("P-256");
  srv = key ? make_cert(key, ca, ca_key) : NULL;
  if (!srv || write_pem(out->key, NULL, key) != 0 || write_pem(out->cert, srv, NULL) != 0) {
    ssl_error("creating the server certificate");
    goto done;
  }
  rc = 0;
done:
  X509_free(ca);
  X509_free(srv);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(key);
  return rc;
}
