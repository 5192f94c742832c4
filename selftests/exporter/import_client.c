// SPDX-License-Identifier: GPL-2.0
/*
 * import_client.c - a not-my-board-style USB/IP import for the tests
 * (wire note §7, agent steps 1-4): CONNECT through the exporter's proxy,
 * OP_REQ_IMPORT, OP_REP_IMPORT, vhci attach.
 *
 * Usage: import_client HOST PORT BUSID [VHCI_PORT_NUM]
 * Prints "attached port=P devid=D speed=S ms=T" (T: from the request to
 * the reply) and exits 0; exits 1 with a message otherwise.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "usbip.h"

#define TARGET "usb.not-my-board.localhost:3240"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int die(const char *what, int err)
{
	fprintf(stderr, "import_client: %s: %s\n", what, strerror(err));
	return 1;
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1;

	if (getaddrinfo(host, port, &hints, &res))
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd < 0 ? -ECONNREFUSED : fd;
}

/* Reads the answer head byte by byte: nothing of the tunnel is eaten. */
static int connect_tunnel(int fd)
{
	char req[256], head[4096];
	size_t n = 0;
	int len;

	len = snprintf(req, sizeof(req),
		       "CONNECT %s HTTP/1.1\r\nHost: %s\r\n"
		       "User-Agent: python-h11/0.14.0\r\n\r\n", TARGET, TARGET);
	if (write(fd, req, (size_t)len) != len)
		return -EIO;
	while (n < sizeof(head) - 1) {
		if (read(fd, head + n, 1) != 1)
			return -ECONNRESET;
		n++;
		head[n] = '\0';
		if (n >= 4 && !memcmp(head + n - 4, "\r\n\r\n", 4))
			break;
	}
	if (strncmp(head, "HTTP/1.1 200 ", 13) != 0) {
		fprintf(stderr, "import_client: proxy answered: %.40s\n", head);
		return -EACCES;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t req[USBIP_REQ_IMPORT_SIZE], rep[USBIP_REP_IMPORT_SIZE];
	int fd, dfd, port, err, one = 1, idle = 7, intvl = 5, cnt = 3;
	unsigned int nports, nhcs, port_num = 0;
	struct usbip_device dev;
	double t0;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: import_client HOST PORT BUSID [PORT_NUM]\n");
		return 2;
	}
	if (argc == 5)
		port_num = (unsigned int)atoi(argv[4]);
	fd = dial(argv[1], argv[2]);
	if (fd < 0)
		return die("connect", -fd);
	err = connect_tunnel(fd);
	if (err)
		return die("CONNECT", -err);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	usbip_build_req_import(req, argv[3]);
	t0 = now_ms();
	if (write(fd, req, sizeof(req)) != (ssize_t)sizeof(req))
		return die("send OP_REQ_IMPORT", errno);
	err = read_full(fd, rep, sizeof(rep));
	if (err)
		return die("read OP_REP_IMPORT", -err);
	err = usbip_parse_rep_import(rep, &dev);
	if (err)
		return die("OP_REP_IMPORT", -err);
	err = usbip_vhci_geometry(&nports, &nhcs);
	if (err)
		return die("vhci_hcd geometry", -err);
	port = usbip_vhci_port(nports, nhcs, port_num, dev.speed);
	if (port < 0)
		return die("vhci port", -port);
	dfd = dup(fd);
	close(fd);
	err = usbip_vhci_attach(port, dfd, usbip_devid(&dev), dev.speed);
	close(dfd);
	if (err)
		return die("vhci attach", -err);
	printf("attached port=%d devid=%u speed=%u ms=%.1f busid=%s\n", port,
	       usbip_devid(&dev), dev.speed, now_ms() - t0, dev.busid);
	return 0;
}
