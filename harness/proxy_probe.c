/* proxy_probe.c - asks a proxy once why it refused a tunnel (gp_proxy_probe, see proxy.h), over
 * the one bounded TCP connect the runner also uses to say why a target is unreachable.
 * The network layer's half of proxy.h: the parsing and the choice of proxy (proxy.c) touch
 * no socket and sit in the base layer, so the scenario loader can use them. */
#include "proxy.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gp_common.h"

/* Waits until fd is ready for events or deadline (gp_now_us clock) passes. */
static bool wait_fd(int fd, short events, int64_t deadline)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    int64_t left = deadline - gp_now_us();

    if (left <= 0)
        return false;
    return poll(&pfd, 1, (int)(left / 1000) + 1) == 1;
}

int gp_tcp_connect(const char *ip, int port, int64_t deadline, int *err)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    int fd = -1;
    socklen_t len = sizeof *err;

    *err = 0;
    snprintf(portstr, sizeof portstr, "%d", port);
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    if (getaddrinfo(ip, portstr, &hints, &res) != 0 || !res)
        return -1;
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || (connect(fd, res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS))
        *err = errno;
    else if (!wait_fd(fd, POLLOUT, deadline))
        *err = ETIMEDOUT;
    else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) != 0)
        *err = errno;
    freeaddrinfo(res);
    if (*err && fd >= 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int gp_proxy_probe(const gp_proxy *p, const char *ip, const char *host, int port, int timeout_ms,
                   char *out, size_t size)
{
    char req[1024], resp[512];
    int64_t deadline = gp_now_us() + (int64_t)timeout_ms * 1000;
    int fd = -1, err = 0, n, rc = 1;
    size_t got = 0;

    fd = gp_tcp_connect(ip, p->port, deadline, &err);
    if (fd < 0) {
        if (err)
            snprintf(out, size, "no TCP connection to the proxy %s: %s", p->display, strerror(err));
        else
            snprintf(out, size, "no TCP connection to the proxy %s", p->display);
        goto out;
    }
    n = snprintf(req, sizeof req,
                 strchr(host, ':') ? "CONNECT [%s]:%d HTTP/1.1\r\nHost: [%s]:%d\r\n"
                                   : "CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n",
                 host, port, host, port);
    if (p->userinfo) {
        unsigned char b64[200];

        EVP_EncodeBlock(b64, (const unsigned char *)p->userinfo, (int)strlen(p->userinfo));
        n += snprintf(req + n, sizeof req - (size_t)n, "Proxy-Authorization: Basic %s\r\n", b64);
    }
    n += snprintf(req + n, sizeof req - (size_t)n, "\r\n");
    if (n >= (int)sizeof req || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        snprintf(out, size, "the proxy %s took no CONNECT request", p->display);
        goto out;
    }
    while (got < sizeof resp - 1 && !memchr(resp, '\n', got)) {
        ssize_t k;

        if (!wait_fd(fd, POLLIN, deadline)) {
            snprintf(out, size, "the proxy %s did not answer a CONNECT request within %d ms",
                     p->display, timeout_ms);
            goto out;
        }
        k = recv(fd, resp + got, sizeof resp - 1 - got, 0);
        if (k <= 0) {
            snprintf(out, size, "the proxy %s closed the connection without answering CONNECT",
                     p->display);
            goto out;
        }
        got += (size_t)k;
    }
    resp[got] = '\0';
    resp[strcspn(resp, "\r\n")] = '\0';
    for (char *c = resp; *c; c++) /* the proxy's words go to a terminal and reports */
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
    if (strncmp(resp, "HTTP/1.", 7) == 0 && strncmp(resp + 8, " 200", 4) == 0) {
        snprintf(out, size, "the proxy %s grants a tunnel to the target now", p->display);
        rc = 0;
    } else {
        snprintf(out, size,
                 "the proxy %s refused the tunnel to %s:%d with \"%.120s\"; the "
                 "target was not reached",
                 p->display, host, port, resp);
    }
out:
    if (fd >= 0)
        close(fd);
    return rc;
}
