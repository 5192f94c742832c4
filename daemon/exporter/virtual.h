/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtual.h - virtual places: emulated boards (QEMU) whose lifecycle the
 * exporter owns. The part's configuration (virtual_conf.c), the board's
 * power and QEMU process (virtual.c), QMP (qmp.c) and the loopback
 * endpoints console, gpio, power (virtual_port.c) that the place's
 * CONNECT proxy relays to as TCP interfaces.
 */
#ifndef NMB_VIRTUAL_H
#define NMB_VIRTUAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "part_state.h"

struct conf_node;
struct exporter;
struct loop_fd;
struct loop_timer;
struct part;
struct place;
struct qmp;
struct vport;

enum virt_power { VIRT_OFF, VIRT_ON, VIRT_STOPPING };

enum vport_kind { VPORT_CONSOLE, VPORT_GPIO, VPORT_POWER, VPORT_N };

#define VIRT_OWNED_MAX	6

struct virt {
	/* configuration */
	const char *machine;
	const char *kernel, *dtb, *initrd, *disk, *disk_format, *append;
	const char *memory;
	long long cpus;			/* 0: the machine's default */
	const char **qemu_args;
	size_t n_qemu_args;
	bool ssh;
	const char *overlay_dir;
	size_t first_tcp;		/* index of console in part->tcp */
	char *owned[VIRT_OWNED_MAX];	/* paths made absolute */
	size_t n_owned;

	/* run time */
	struct place *place;
	struct exporter *exp;
	char *name;			/* "place/index", for messages */
	char *overlay;			/* path; exists while held */
	enum virt_power power;
	bool want_on;			/* power on once QEMU has gone */
	bool held;
	pid_t pid;
	int pidfd;
	struct loop_fd *pid_lfd;
	struct loop_timer *kill_timer;
	struct qmp *qmp;
	int serial_fd[2];		/* exporter's ends: console, gpio */
	struct loop_fd *serial_lfd[2];
	struct vport *port[VPORT_N];
	unsigned int ssh_port;
	char last_exit[160];		/* why QEMU last stopped */
	unsigned int boots;
	unsigned int part;		/* index in place->parts */
	struct part_state told;		/* the state last told, its time */
};

/* virtual_conf.c: the part's 'virtual' map (may be NULL), checked. */
void virtual_conf_load(struct conf_node *map, struct part *pt);
void virtual_conf_free(struct part *pt);
/* The same board (both NULL: no board); run-time state aside. */
bool virtual_conf_same(const struct virt *a, const struct virt *b);
/* name on PATH (or a path): 0 and its path in out if executable. */
int virtual_find_program(const char *name, char *out, size_t size);

/* virtual.c */
int virtual_start(struct exporter *e);
void virtual_stop(struct exporter *e);
/* The same for one place (a reload adds or removes it). */
int virtual_place_start(struct place *p);
void virtual_place_stop(struct place *p);
/* The allow-list of p changed from old (n_old) to the current one. */
void virtual_holders_changed(struct place *p, char **old, size_t n_old);
int virtual_power_on(struct virt *v, char *err, size_t size);
void virtual_power_off(struct virt *v);
int virtual_reset(struct virt *v, char *err, size_t size);
/* Bytes from a client to the board's UART (0 console, 1 gpio). */
int virtual_serial_write(struct virt *v, int uart, const void *buf,
			 size_t len);
const char *virtual_state(const struct virt *v, char *buf, size_t size);
/* The board's power and reason as part_state tells them, with since. */
void virtual_part_state(const struct virt *v, struct part_state *out);

/* virtual_port.c */
int vport_new(struct virt *v, enum vport_kind kind, struct vport **out,
	      unsigned int *port);
void vport_free(struct vport *vp);
/* Board output from a UART to every client of vp. */
void vport_board_output(struct vport *vp, const char *buf, size_t len);
/* The board was powered on: forget old console output. */
void vport_board_reset(struct vport *vp);

/* qmp.c */
/* on_status(v) runs when QEMU's run state changes. */
struct qmp *qmp_new(struct virt *v, int fd,
		    void (*on_status)(struct virt *v));
void qmp_free(struct qmp *q);
int qmp_command(struct qmp *q, const char *name);
/* QEMU's run state from query-status; resets: RESET events seen. */
const char *qmp_status(const struct qmp *q, unsigned int *resets);
/* The reason of QEMU's last SHUTDOWN event, "" before one. */
const char *qmp_shutdown_reason(const struct qmp *q);

#endif /* NMB_VIRTUAL_H */
