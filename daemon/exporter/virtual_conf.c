// SPDX-License-Identifier: GPL-2.0
/*
 * virtual_conf.c - the 'virtual' map of a part: an emulated board. Every
 * path and program is checked here, so that --check and the start report
 * a missing kernel, dtb, disk or QEMU as FILE:LINE: key, naming the file
 * or the Debian package. The board's interfaces (console, gpio, power,
 * optionally ssh) are added to the part's TCP interfaces on 127.0.0.1;
 * virtual_start() gives them their ports.
 *
 *   virtual:
 *     machine: raspi3b          # default; or virt
 *     kernel: /path/vmlinuz     # required
 *     dtb: /path/board.dtb      # optional
 *     initrd: /path/initrd.gz   # optional
 *     append: "console=ttyAMA0" # kernel command line (this default)
 *     disk: /path/base.img      # optional base image, never written
 *     disk_format: raw          # raw (default) or qcow2
 *     memory: 1G                # default 1G (raspi3b needs exactly 1G)
 *     cpus: 4                   # default: the machine's
 *     qemu_args: [-d, guest_errors]   # appended to QEMU's command line
 *     ssh: false                # true: user-mode NIC, guest port 22
 *                               # forwarded from 127.0.0.1
 *     overlay_dir: /var/lib/nmb/virtual   # where overlays live (default)
 *
 * A relative path is taken from the folder of the configuration file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "place.h"
#include "log.h"
#include "virtual.h"

#define DEFAULT_OVERLAY_DIR	"/var/lib/nmb/virtual"

static const char *const iface_names[] = { "console", "gpio", "power", "ssh" };

/* A program on PATH (or an absolute path); 0 if found and executable. */
int virtual_find_program(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH"), *p, *e;

	if (strchr(name, '/')) {
		snprintf(out, size, "%s", name);
		return access(name, X_OK) ? -errno : 0;
	}
	for (p = path ? path : "/usr/bin:/bin"; *p; p = *e ? e + 1 : e) {
		e = strchrnul(p, ':');
		snprintf(out, size, "%.*s/%s", (int)(e - p), p, name);
		if (!access(out, X_OK))
			return 0;
	}
	return -ENOENT;
}

/* A relative path is taken from the configuration file's folder. */
static const char *absolute(struct virt *v, struct conf_node *map,
			    const char *s)
{
	const char *file = conf_file(map->conf), *slash;
	char *abs;

	if (!s || s[0] == '/' || v->n_owned >= VIRT_OWNED_MAX)
		return s;
	slash = strrchr(file, '/');
	if (asprintf(&abs, "%.*s%s", slash ? (int)(slash - file + 1) : 0,
		     file, s) < 0)
		return s;
	v->owned[v->n_owned++] = abs;
	return abs;
}

static void check_file(struct conf_node *map, const char *key,
		       const char *path, bool writable_dir)
{
	struct conf_node *n = conf_get(map, key, CONF_ANY, false);

	if (!path || !n || n->type != CONF_SCALAR)
		return;
	if (access(path, writable_dir ? (W_OK | X_OK) : R_OK))
		conf_error(n, "%s: %s%s", path, strerror(errno),
			   writable_dir ? "; create it, writable by the exporter" :
			   "; run 'make deps' for the example guest, or point it at an existing file");
}

static void check_programs(struct conf_node *map)
{
	char path[4096];

	if (virtual_find_program("qemu-system-aarch64", path, sizeof(path)))
		conf_error(map, "qemu-system-aarch64 not found on PATH; apt-get install qemu-system-arm");
	if (virtual_find_program("qemu-img", path, sizeof(path)))
		conf_error(map, "qemu-img not found on PATH; apt-get install qemu-utils");
}

/* value (of key) is a or b. */
static void check_choice(struct conf_node *map, const char *key,
			 const char *value, const char *a, const char *b)
{
	if (strcmp(value, a) != 0 && strcmp(value, b) != 0)
		conf_error(conf_get(map, key, CONF_ANY, false),
			   "'%s': expected %s or %s", value, a, b);
}

static void load_args(struct conf_node *seq, struct virt *v)
{
	struct conf_node *it;

	if (!seq)
		return;
	v->qemu_args = calloc(conf_len(seq) + 1, sizeof(*v->qemu_args));
	if (!v->qemu_args)
		return;
	conf_foreach(it, seq) {
		const char *s;

		if (conf_node_str(it, &s))
			continue;
		if (!strcmp(s, "-nic") || !strcmp(s, "-netdev") ||
		    !strcmp(s, "-qmp") || !strcmp(s, "-monitor") ||
		    !strcmp(s, "-serial") || !strcmp(s, "-daemonize")) {
			conf_error(it, "'%s' is set by the exporter and may not be given here", s);
			continue;
		}
		v->qemu_args[v->n_qemu_args++] = s;
	}
}

/* console, gpio, power (and ssh) on 127.0.0.1; ports set at start. */
static void add_interfaces(struct conf_node *map, struct part *pt,
			   struct virt *v)
{
	size_t n = v->ssh ? 4 : 3, i, j;
	struct tcp_if *t;

	for (i = 0; i < n; i++)
		for (j = 0; j < pt->n_tcp; j++)
			if (!strcmp(pt->tcp[j].name, iface_names[i]))
				conf_error(map, "the tcp interface '%s' is the virtual board's own; rename it",
					   iface_names[i]);
	t = realloc(pt->tcp, (pt->n_tcp + n + 1) * sizeof(*t));
	if (!t)
		return;
	pt->tcp = t;
	v->first_tcp = pt->n_tcp;
	for (i = 0; i < n; i++) {
		t = &pt->tcp[pt->n_tcp++];
		memset(t, 0, sizeof(*t));
		t->name = iface_names[i];
		t->host = "127.0.0.1";
	}
}

void virtual_conf_load(struct conf_node *map, struct part *pt)
{
	static const char default_dir[] = DEFAULT_OVERLAY_DIR;
	struct virt *v;
	struct conf_node *n;

	if (!map)
		return;
	v = calloc(1, sizeof(*v));
	if (!v)
		return;
	pt->virt = v;
	v->machine = "raspi3b";
	v->disk_format = "raw";
	v->append = "console=ttyAMA0";
	v->memory = "1G";
	v->overlay_dir = default_dir;
	v->pidfd = -1;
	v->serial_fd[0] = v->serial_fd[1] = -1;
	conf_str(map, "machine", &v->machine, false);
	check_choice(map, "machine", v->machine, "raspi3b", "virt");
	conf_str(map, "kernel", &v->kernel, true);
	conf_str(map, "dtb", &v->dtb, false);
	conf_str(map, "initrd", &v->initrd, false);
	conf_str(map, "append", &v->append, false);
	conf_str(map, "disk", &v->disk, false);
	v->kernel = absolute(v, map, v->kernel);
	v->dtb = absolute(v, map, v->dtb);
	v->initrd = absolute(v, map, v->initrd);
	v->disk = absolute(v, map, v->disk);
	conf_str(map, "disk_format", &v->disk_format, false);
	check_choice(map, "disk_format", v->disk_format, "raw", "qcow2");
	conf_str(map, "memory", &v->memory, false);
	n = conf_get(map, "memory", CONF_ANY, false);
	if (n && strspn(v->memory, "0123456789") == 0)
		conf_error(n, "'%s': expected a size like 1G or 512M",
			   v->memory);
	else if (n && !strcmp(v->machine, "raspi3b") &&
		 strcmp(v->memory, "1G") != 0 && strcmp(v->memory, "1024M") != 0)
		conf_error(n, "raspi3b has exactly 1G of memory");
	conf_int(map, "cpus", &v->cpus, 1, 64, false);
	load_args(conf_get(map, "qemu_args", CONF_SEQ, false), v);
	conf_bool(map, "ssh", &v->ssh, false);
	conf_str(map, "overlay_dir", &v->overlay_dir, false);
	if (v->overlay_dir != default_dir)
		v->overlay_dir = absolute(v, map, v->overlay_dir);
	check_file(map, "kernel", v->kernel, false);
	check_file(map, "dtb", v->dtb, false);
	check_file(map, "initrd", v->initrd, false);
	check_file(map, "disk", v->disk, false);
	if (conf_get(map, "overlay_dir", CONF_ANY, false))
		check_file(map, "overlay_dir", v->overlay_dir, true);
	check_programs(map);
	conf_check_unknown(map);
	add_interfaces(map, pt, v);
}

void virtual_conf_free(struct part *pt)
{
	if (!pt->virt)
		return;
	while (pt->virt->n_owned)
		free(pt->virt->owned[--pt->virt->n_owned]);
	free(pt->virt->qemu_args);
	free(pt->virt->name);
	free(pt->virt->overlay);
	free(pt->virt);
	pt->virt = NULL;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool virtual_conf_same(const struct virt *a, const struct virt *b)
{
	size_t i;

	if (!a || !b)
		return a == b;
	if (!same_str(a->machine, b->machine) ||
	    !same_str(a->kernel, b->kernel) || !same_str(a->dtb, b->dtb) ||
	    !same_str(a->initrd, b->initrd) || !same_str(a->disk, b->disk) ||
	    !same_str(a->disk_format, b->disk_format) ||
	    !same_str(a->append, b->append) ||
	    !same_str(a->memory, b->memory) || a->cpus != b->cpus ||
	    a->ssh != b->ssh || !same_str(a->overlay_dir, b->overlay_dir) ||
	    a->n_qemu_args != b->n_qemu_args)
		return false;
	for (i = 0; i < a->n_qemu_args; i++)
		if (!same_str(a->qemu_args[i], b->qemu_args[i]))
			return false;
	return true;
}
