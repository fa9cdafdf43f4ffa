/* url.c - Redis URLs, redis://[user:password@]host:port[/db], parsed by hand.
 *
 * hiredis 0.14 has no URL parser (redisConnect("redis://...") fails with a DNS error), so
 * this file turns the text a person typed into host, port, db and credentials, and says
 * precisely what is wrong with a bad one. The port is required: a silent default would
 * hide a typo such as "redis://host/1". Error messages mask the credentials, because URLs
 * end up in logs and terminals. */
#include "registry.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SCHEME "redis://"

/* The URL as it may be shown: credentials replaced by "***". */
static void mask_url(const char *text, char *buf, size_t len)
{
    const char *rest = text + strlen(SCHEME);
    const char *slash = strchr(rest, '/');
    const char *at = NULL;

    for (const char *p = rest; *p != '\0' && (slash == NULL || p < slash); p++)
        if (*p == '@')
            at = p; /* the last '@' of the authority: passwords may contain '@' */
    if (at == NULL)
        snprintf(buf, len, "%s", text);
    else
        snprintf(buf, len, SCHEME "***%s", at);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decode s[0..n) into out[cap]; -1 when it does not fit or has a bad escape. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c == '\0' || o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

/* Parse an unsigned decimal of 1..9 digits in s[0..n) into *v; -1 if it is not one. */
static int parse_uint(const char *s, size_t n, long *v)
{
    long x = 0;

    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

static bool host_char_ok(int c)
{
    return isalnum(c) || c == '.' || c == '-' || c == '_';
}

static int parse(const char *text, ddf_redis_url *out, ddf_error *err)
{
    char shown[DDF_REGISTRY_MAX_URL + 8];
    const char *auth, *host, *host_end, *port_s, *end;
    size_t tlen;
    long v;

    memset(out, 0, sizeof(*out));
    if (text == NULL || *text == '\0')
        return ddf_error_setf(err, DDF_EINVAL, "empty Redis URL (expected %s)",
                              "redis://[user:password@]host:port[/db]");
    tlen = strlen(text);
    if (tlen >= DDF_REGISTRY_MAX_URL)
        return ddf_error_setf(err, DDF_EINVAL, "Redis URL of %zu bytes is over the limit of %d",
                              tlen, DDF_REGISTRY_MAX_URL - 1);
    if (strncasecmp(text, SCHEME, strlen(SCHEME)) != 0) {
        snprintf(shown, sizeof(shown), "%s", text);
        if (strchr(shown, '@') != NULL)
            snprintf(shown, sizeof(shown), "***"); /* may hold a password */
        return ddf_error_setf(err, DDF_EINVAL,
                              "bad Redis URL \"%s\": it must start with redis:// "
                              "(redis://[user:password@]host:port[/db])",
                              shown);
    }
    mask_url(text, shown, sizeof(shown));
    for (const char *p = text; *p != '\0'; p++)
        if (iscntrl((unsigned char)*p) || *p == ' ')
            return ddf_error_setf(err, DDF_EINVAL,
                                  "bad Redis URL \"%s\": space or control character", shown);

    auth = text + strlen(SCHEME);
    /* The authority ends at the first '/'; credentials end at its last '@'. */
    end = strchr(auth, '/');
    if (end == NULL)
        end = text + tlen;
    host = auth;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            host = p + 1;
    if (host != auth) {
        const char *at = host - 1;
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        if (colon == NULL)
            return ddf_error_setf(err, DDF_EINVAL,
                                  "bad Redis URL \"%s\": credentials without a ':' (write "
                                  "redis://:PASSWORD@host:port or redis://USER:PASSWORD@...)",
                                  shown);
        if (decode(auth, (size_t)(colon - auth), out->user, sizeof(out->user)) < 0)
            return ddf_error_setf(err, DDF_EINVAL, "bad Redis URL \"%s\": bad user name",
                                  shown);
        if (decode(colon + 1, (size_t)(at - colon - 1), out->password, sizeof(out->password)) <
            0)
            return ddf_error_setf(err, DDF_EINVAL,
                                  "bad Redis URL \"%s\": bad password (too long or a bad "
                                  "%%-escape)",
                                  shown);
        if (out->password[0] == '\0')
            return ddf_error_setf(err, DDF_EINVAL, "bad Redis URL \"%s\": empty password",
                                  shown);
        out->has_password = true;
    }

    /* host: a name, an IPv4 address or a bracketed IPv6 address */
    if (*host == '[') {
        host_end = memchr(host, ']', (size_t)(end - host));
        if (host_end == NULL)
            return ddf_error_setf(err, DDF_EINVAL, "bad Redis URL \"%s\": unclosed '['", shown);
        if ((size_t)(host_end - host - 1) >= sizeof(out->host) || host_end == host + 1)
            goto bad_host;
        memcpy(out->host, host + 1, (size_t)(host_end - host - 1));
        for (const char *p = out->host; *p != '\0'; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
                goto bad_host;
        port_s = host_end + 1;
    } else {
        host_end = host;
        while (host_end < end && *host_end != ':')
            host_end++;
        if (host_end == host)
            return ddf_error_setf(err, DDF_EINVAL, "bad Redis URL \"%s\": missing host", shown);
        if ((size_t)(host_end - host) >= sizeof(out->host))
            goto bad_host;
        for (const char *p = host; p < host_end; p++)
            if (!host_char_ok((unsigned char)*p))
                goto bad_host;
        memcpy(out->host, host, (size_t)(host_end - host));
        port_s = host_end;
    }
    if (port_s >= end || *port_s != ':')
        return ddf_error_setf(err, DDF_EINVAL,
                              "bad Redis URL \"%s\": missing port (e.g. redis://%s:6379)", shown,
                              out->host);
    port_s++;
    if (parse_uint(port_s, (size_t)(end - port_s), &v) < 0 || v < 1 || v > 65535)
        return ddf_error_setf(err, DDF_EINVAL,
                              "bad Redis URL \"%s\": bad port \"%.*s\" (expected 1..65535)",
                              shown, (int)(end - port_s), port_s);
    out->port = (int)v;

    if (*end == '/') {
        const char *db = end + 1;
        size_t n = strlen(db);
        if (n > 0 && strspn(db, "0123456789") != n)
            return ddf_error_setf(err, DDF_EINVAL,
                                  "bad Redis URL \"%s\": bad db \"%s\" (expected a number, "
                                  "e.g. /0)",
                                  shown, db);
        if (n > 0 && (parse_uint(db, n, &v) < 0 || v > 1000000))
            return ddf_error_setf(err, DDF_EINVAL, "bad Redis URL \"%s\": bad db \"%s\"",
                                  shown, db);
        out->db = n > 0 ? (int)v : 0;
    }
    return DDF_OK;

bad_host:
    return ddf_error_setf(err, DDF_EINVAL, "bad Redis URL \"%s\": bad host", shown);
}

int ddf_redis_url_parse(const char *text, ddf_redis_url *out, ddf_error *err)
{
    int rc = parse(text, out, err);

    if (rc < 0)
        memset(out, 0, sizeof(*out)); /* no half-parsed credentials left behind */
    return rc;
}

void ddf_redis_url_format(const ddf_redis_url *url, char *buf, size_t len)
{
    const char *open = strchr(url->host, ':') != NULL ? "[" : "";
    const char *close = *open != '\0' ? "]" : "";

    if (url->db != 0)
        snprintf(buf, len, SCHEME "%s%s%s:%d/%d", open, url->host, close, url->port, url->db);
    else
        snprintf(buf, len, SCHEME "%s%s%s:%d", open, url->host, close, url->port);
}

const char *ddf_redis_url_choose(const char *explicit_url)
{
    const char *env;

    if (explicit_url != NULL)
        return explicit_url;
    env = getenv("DDF_REDIS");
    if (env != NULL && *env != '\0')
        return env;
    return DDF_REGISTRY_DEFAULT_URL;
}
