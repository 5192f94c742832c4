// SPDX-License-Identifier: GPL-2.0
/*
 * ktls_probe.c - can USB/IP run over kernel TLS? (issue 13 item 4; run by
 * selftests/bench/ktls-probe.sh in the QEMU guest.)
 *
 * Makes one TCP connection over loopback, runs a TLS handshake on it with
 * Debian's OpenSSL (SSL_OP_ENABLE_KTLS), reports whether OpenSSL moved
 * each direction of each end into the kernel (BIO_get_ktls_send/recv),
 * and, with -b BUSID, hands the server end to usbip-host (usbip_sockfd)
 * and the client end to vhci-hcd (attach, vhci port 0): from then on
 * only the kernels read and write the sockets. It then waits until it is
 * killed, so that the caller can use the imported device.
 *
 * Usage: ktls_probe -c CERT -k KEY [-3] [-b BUSID]
 *   -3  allow TLS 1.3 (default: TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define HANDSHAKE_ROUNDS	100000

/* A connected pair over loopback: *srv accepted, *cli connected. */
static int tcp_pair(int *srv, int *cli)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int ls;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	*cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || *cli < 0 || bind(ls, (struct sockaddr *)&a, al) ||
	    listen(ls, 1) || getsockname(ls, (struct sockaddr *)&a, &al) ||
	    connect(*cli, (struct sockaddr *)&a, al))
		return -errno;
	*srv = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	close(ls);
	return *srv < 0 ? -errno : 0;
}

static SSL *end_new(bool server, bool tls13, const char *cert,
		    const char *key, int fd)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() :
				   TLS_client_method());
	SSL *s;

	if (!ctx)
		return NULL;
	SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS | SSL_OP_NO_RENEGOTIATION);
	if (!tls13)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_cipher_list(ctx, "ECDHE-RSA-AES128-GCM-SHA256");
	/* a NewSessionTicket would be a non-data record after the handshake */
	SSL_CTX_set_num_tickets(ctx, 0);
	if (server &&
	    (SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
	     SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	s = SSL_new(ctx);
	SSL_CTX_free(ctx);	/* s holds a reference */
	if (!s || SSL_set_fd(s, fd) != 1)
		return NULL;
	if (server)
		SSL_set_accept_state(s);
	else
		SSL_set_connect_state(s);
	return s;
}

/* Both ends in one thread: non-blocking, stepped in turn. */
static int handshake(SSL *srv, SSL *cli, int sfd, int cfd)
{
	bool s_done = false, c_done = false;

	fcntl(sfd, F_SETFL, O_NONBLOCK);
	fcntl(cfd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < HANDSHAKE_ROUNDS && !(s_done && c_done); i++) {
		if (!c_done)
			c_done = SSL_do_handshake(cli) == 1;
		if (!s_done)
			s_done = SSL_do_handshake(srv) == 1;
	}
	fcntl(sfd, F_SETFL, 0);
	fcntl(cfd, F_SETFL, 0);
	return s_done && c_done ? 0 : -EPROTO;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static long read_num(const char *busid, const char *attr)
{
	char path[256], buf[32] = "";
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/%s", busid,
		 attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return strtol(buf, NULL, 10);
}

/* usbip-host gets sfd, vhci-hcd port 0 gets cfd. */
static int hand_over(const char *busid, int sfd, int cfd)
{
	long busnum = read_num(busid, "busnum"), devnum = read_num(busid,
								   "devnum");
	long mbps = read_num(busid, "speed");
	char path[256], line[96];
	int err;

	snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/usbip_sockfd",
		 busid);
	snprintf(line, sizeof(line), "%d\n", sfd);
	err = write_file(path, line);
	if (err) {
		fprintf(stderr, "ktls_probe: %s: %s\n", path, strerror(-err));
		return err;
	}
	snprintf(line, sizeof(line), "0 %d %ld %d\n", cfd,
		 (busnum << 16) | devnum, mbps == 480 ? 3 : 2);
	err = write_file("/sys/devices/platform/vhci_hcd.0/attach", line);
	if (err) {
		fprintf(stderr, "ktls_probe: vhci attach: %s\n", strerror(-err));
		return err;
	}
	printf("handed over: usbip-host %s fd %d, vhci-hcd port 0 fd %d\n",
	       busid, sfd, cfd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL, *busid = NULL;
	bool tls13 = false;
	SSL *srv, *cli;
	int sfd = -1, cfd = -1, c;

	while ((c = getopt(argc, argv, "c:k:b:3")) != -1) {
		switch (c) {
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'b':
			busid = optarg;
			break;
		case '3':
			tls13 = true;
			break;
		default:
			return 2;
		}
	}
	if (!cert || !key) {
		fprintf(stderr, "usage: ktls_probe -c CERT -k KEY [-3] [-b BUSID]\n");
		return 2;
	}
	if (tcp_pair(&sfd, &cfd)) {
		perror("ktls_probe: loopback connection");
		return 1;
	}
	srv = end_new(true, tls13, cert, key, sfd);
	cli = end_new(false, tls13, cert, key, cfd);
	if (!srv || !cli || handshake(srv, cli, sfd, cfd)) {
		ERR_print_errors_fp(stderr);
		fprintf(stderr, "ktls_probe: TLS handshake failed\n");
		return 1;
	}
	printf("ktls %s %s: server send=%d recv=%d client send=%d recv=%d\n",
	       SSL_get_version(srv), SSL_get_cipher(srv),
	       (int)BIO_get_ktls_send(SSL_get_wbio(srv)),
	       (int)BIO_get_ktls_recv(SSL_get_rbio(srv)),
	       (int)BIO_get_ktls_send(SSL_get_wbio(cli)),
	       (int)BIO_get_ktls_recv(SSL_get_rbio(cli)));
	fflush(stdout);
	if (busid) {
		if (hand_over(busid, sfd, cfd))
			return 1;
		fflush(stdout);
		pause();
	}
	SSL_free(cli);
	SSL_free(srv);
	close(cfd);
	close(sfd);
	return 0;
}
