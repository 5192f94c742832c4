// SPDX-License-Identifier: GPL-2.0
/*
 * netlink_test.c - the nmb_watch netlink ABI without devices: family and
 * group resolution, WATCH/UNWATCH/GET bookkeeping, ownership between
 * sockets, busid validation, malformed requests rejected with an
 * extended ACK message, and EPERM for callers without CAP_NET_ADMIN.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/genetlink.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#include "bed.h"

#define ATTR_OFF	(sizeof(struct nlmsghdr) + sizeof(struct genlmsghdr))

FIXTURE(nl) {
	struct kt_bed b;
	struct kt_nl other;	/* a second socket, for ownership */
};

FIXTURE_SETUP(nl)
{
	int err = kt_bed_setup(&self->b, 0, false);

	if (err == -ENOENT)
		SKIP(return, "nmb_watch is not loaded");
	ASSERT_EQ(0, err) TH_LOG("test bed: %s", strerror(-err));
	ASSERT_EQ(0, kt_nl_open(&self->other));
}

FIXTURE_TEARDOWN(nl)
{
	kt_nl_close(&self->other);
	kt_bed_teardown(&self->b);
}

static int count_ports(struct kt_nl *nl, const char *busid, bool *notify)
{
	struct kt_port ports[16];
	int i, n, hits = 0;

	n = kt_get(nl, ports, 16);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (strcmp(ports[i].busid, busid) != 0)
			continue;
		hits++;
		if (notify)
			*notify = ports[i].notify_only;
	}
	return hits;
}

TEST_F(nl, family_and_group_resolve)
{
	struct kt_nl *nl = &self->b.ctl;
	const int64_t do_pol = GENL_CMD_CAP_DO | GENL_CMD_CAP_HASPOL;

	KT_REQUIRE_BED();
	EXPECT_NE(0, nl->family);
	EXPECT_EQ(NMB_WATCH_FAMILY_VERSION, (int)nl->version);
	EXPECT_NE(0, (int)nl->mcgrp) TH_LOG("no \"%s\" group",
				       NMB_WATCH_MCGRP_EVENTS);
	EXPECT_EQ(1, nl->nmcgrps);
	/* Another socket resolves the same ids. */
	EXPECT_EQ(nl->family, self->other.family);
	EXPECT_EQ(nl->mcgrp, self->other.mcgrp);
	/* The spec's flags: admin-perm on WATCH/UNWATCH, GET is a dump. */
	EXPECT_EQ(GENL_ADMIN_PERM | do_pol,
		  nl->op_flags[NMB_WATCH_CMD_WATCH] &
		  (GENL_ADMIN_PERM | do_pol));
	EXPECT_EQ(GENL_ADMIN_PERM | do_pol,
		  nl->op_flags[NMB_WATCH_CMD_UNWATCH] &
		  (GENL_ADMIN_PERM | do_pol));
	EXPECT_EQ(GENL_CMD_CAP_DUMP,
		  nl->op_flags[NMB_WATCH_CMD_GET] &
		  (GENL_CMD_CAP_DUMP | GENL_CMD_CAP_DO | GENL_ADMIN_PERM));
	EXPECT_EQ(-1, nl->op_flags[NMB_WATCH_CMD_EVENT_NTF]);
	/* Joining the group works. */
	EXPECT_EQ(0, kt_nl_subscribe(&self->other));
}

TEST_F(nl, watch_unwatch_get)
{
	struct kt_nl *nl = &self->b.ctl;
	struct kt_port ports[8];
	struct kt_err e;
	bool notify = true;
	int i, n;

	KT_REQUIRE_BED();
	ASSERT_EQ(0, kt_get(nl, ports, 8));

	EXPECT_EQ(0, kt_watch(nl, "3-2.1", false, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, kt_watch(nl, "4-1", true, &e)) TH_LOG("%s", e.msg);
	n = kt_get(nl, ports, 8);
	ASSERT_EQ(2, n);
	for (i = 0; i < n; i++) {
		EXPECT_FALSE(ports[i].malformed) TH_LOG("port %d", i);
		/* No device sits on these ports. */
		EXPECT_FALSE(ports[i].has_device);
	}
	EXPECT_EQ(1, count_ports(nl, "3-2.1", &notify));
	EXPECT_FALSE(notify);
	EXPECT_EQ(1, count_ports(nl, "4-1", &notify));
	EXPECT_TRUE(notify);
	/* GET needs no privilege and shows every socket's watches. */
	EXPECT_EQ(2, kt_get(&self->other, ports, 8));

	EXPECT_EQ(0, kt_unwatch(nl, "3-2.1", &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, count_ports(nl, "3-2.1", NULL));
	EXPECT_EQ(1, count_ports(nl, "4-1", NULL));
	EXPECT_EQ(0, kt_unwatch(nl, "4-1", &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, kt_get(nl, ports, 8));
}

TEST_F(nl, ownership_and_mode_change)
{
	struct kt_nl *a = &self->b.ctl, *b = &self->other;
	struct kt_port ports[8];
	bool notify = true;
	struct kt_err e;

	KT_REQUIRE_BED();
	ASSERT_EQ(0, kt_watch(a, "2-3", false, &e)) TH_LOG("%s", e.msg);

	/* Another socket may neither take nor drop the port. */
	EXPECT_EQ(-EBUSY, kt_watch(b, "2-3", false, &e));
	EXPECT_NE(0, e.msg[0]) TH_LOG("EBUSY without an extack message");
	EXPECT_EQ(-EBUSY, kt_watch(b, "2-3", true, &e));
	EXPECT_EQ(-EBUSY, kt_unwatch(b, "2-3", &e));
	EXPECT_NE(0, e.msg[0]) TH_LOG("EBUSY without an extack message");
	EXPECT_EQ(1, count_ports(a, "2-3", &notify));
	EXPECT_FALSE(notify);

	/* Not watched at all. */
	EXPECT_EQ(-ENOENT, kt_unwatch(b, "2-4", &e));
	EXPECT_NE(0, e.msg[0]) TH_LOG("ENOENT without an extack message");
	EXPECT_EQ(-ENOENT, kt_unwatch(a, "2-4", &e));

	/* The owner changes the mode, and back; still one entry. */
	EXPECT_EQ(0, kt_watch(a, "2-3", true, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(1, count_ports(a, "2-3", &notify));
	EXPECT_TRUE(notify);
	EXPECT_EQ(0, kt_watch(a, "2-3", false, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(1, count_ports(a, "2-3", &notify));
	EXPECT_FALSE(notify);
	EXPECT_EQ(1, kt_get(a, ports, 8));

	EXPECT_EQ(0, kt_unwatch(a, "2-3", &e));
	EXPECT_EQ(-ENOENT, kt_unwatch(a, "2-3", &e));
	/* Now the other socket may take it. */
	EXPECT_EQ(0, kt_watch(b, "2-3", false, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, kt_unwatch(b, "2-3", &e));
}

TEST_F(nl, busid_validation)
{
	static const char *const good[] = {
		"1-1", "1-4.2", "12-3", "127-15.4.3.2.1", "9-99.1",
		"1-1.2.3.4.5.6.7.8.9.1.2.3.4.5.6",	/* 31 bytes */
	};
	static const char *const bad[] = {
		"", "1", "1-", "-1", "0-1", "1-0", "01-1", "1-01", "1-1.",
		"1-1..2", "1-1.0", "1-1.02", "a-1", "1-a", "1_1", "1-1 ",
		" 1-1", "1-1:1.0", "1-1/../2", "1--1", "1-1-1", "usb1",
		"1-1\n",
	};
	static const char *const too_long[] = {
		"1-11.2.3.4.5.6.7.8.9.1.2.3.4.5.6",	/* 32 bytes */
		"1-1.2.3.4.5.6.7.8.9.1.2.3.4.5.6.7.8.9.1.2.3.4.5.6.7.8.9",
	};
	struct kt_nl *nl = &self->b.ctl;
	struct kt_err e;
	size_t i;
	int err;

	KT_REQUIRE_BED();
	ASSERT_EQ(31, (int)strlen(good[5]));
	ASSERT_EQ(32, (int)strlen(too_long[0]));
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		EXPECT_EQ(0, kt_watch(nl, good[i], false, &e))
			TH_LOG("\"%s\": %s", good[i], e.msg);
		EXPECT_EQ(1, count_ports(nl, good[i], NULL))
			TH_LOG("\"%s\" not listed", good[i]);
		EXPECT_EQ(0, kt_unwatch(nl, good[i], &e))
			TH_LOG("\"%s\": %s", good[i], e.msg);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, kt_watch(nl, bad[i], false, &e))
			TH_LOG("\"%s\" accepted", bad[i]);
		EXPECT_NE(0, e.msg[0]) TH_LOG("\"%s\": no message", bad[i]);
		EXPECT_EQ(ATTR_OFF, e.bad_off)
			TH_LOG("\"%s\": bad attribute not reported", bad[i]);
		EXPECT_EQ(-EINVAL, kt_unwatch(nl, bad[i], &e))
			TH_LOG("UNWATCH \"%s\"", bad[i]);
		EXPECT_NE(0, e.msg[0]) TH_LOG("\"%s\": no message", bad[i]);
	}
	for (i = 0; i < sizeof(too_long) / sizeof(too_long[0]); i++) {
		err = kt_watch(nl, too_long[i], false, &e);
		EXPECT_TRUE(err == -EINVAL || err == -ERANGE)
			TH_LOG("%zu bytes: %d", strlen(too_long[i]), err);
		EXPECT_NE(0, e.msg[0]) TH_LOG("%zu", i);
		EXPECT_EQ(ATTR_OFF, e.bad_off);
	}
	EXPECT_EQ(0, kt_count_watches());
	TH_LOG("last message: \"%s\"", e.msg);
}

/* Send one hand-built request; check it fails with a message. */
static int reject(struct __test_metadata *_metadata, struct kt_nl *nl,
		  struct nlmsghdr *nlh, const char *what, struct kt_err *e)
{
	int err = kt_nl_transact(nl, nlh, e);

	EXPECT_TRUE(err == -EINVAL || err == -ERANGE)
		TH_LOG("%s: got %d (%s)", what, err, strerror(-err));
	EXPECT_NE(0, e->msg[0]) TH_LOG("%s: no extack message", what);
	EXPECT_EQ(0, kt_count_watches()) TH_LOG("%s: a port got watched",
						 what);
	if (e->msg[0])
		KT_NOTE("  %s: %s \"%s\"\n", what, strerror(-err),
			       e->msg);
	return err;
}

TEST_F(nl, malformed_attributes_rejected)
{
	struct kt_nl *nl = &self->b.ctl;
	char buf[KT_MSG_SIZE];
	const uint16_t f = NLM_F_REQUEST | NLM_F_ACK;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct kt_err e;
	uint32_t off;

	KT_REQUIRE_BED();
	/* Missing busid: the missing attribute is named. */
	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_WATCH, f);
	reject(_metadata, nl, nlh, "WATCH without busid", &e);
	EXPECT_EQ(NMB_WATCH_A_PORT_BUSID, (int)e.miss_type);

	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_WATCH, f);
	mnl_attr_put(nlh, NMB_WATCH_A_PORT_NOTIFY_ONLY, 0, NULL);
	reject(_metadata, nl, nlh, "WATCH notify-only without busid", &e);
	EXPECT_EQ(NMB_WATCH_A_PORT_BUSID, (int)e.miss_type);

	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_UNWATCH, f);
	reject(_metadata, nl, nlh, "UNWATCH without busid", &e);
	EXPECT_EQ(NMB_WATCH_A_PORT_BUSID, (int)e.miss_type);

	/* Wrong types. */
	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_WATCH, f);
	mnl_attr_put_u32(nlh, NMB_WATCH_A_PORT_BUSID, 0xdeadbeef);
	reject(_metadata, nl, nlh, "busid as u32", &e);
	EXPECT_EQ(ATTR_OFF, e.bad_off);

	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_WATCH, f);
	mnl_attr_put(nlh, NMB_WATCH_A_PORT_BUSID, 0, NULL);
	reject(_metadata, nl, nlh, "empty busid attribute", &e);

	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_WATCH, f);
	nest = mnl_attr_nest_start(nlh, NMB_WATCH_A_PORT_BUSID);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_DEVICE_BUSID, "1-1");
	mnl_attr_nest_end(nlh, nest);
	reject(_metadata, nl, nlh, "busid as a nest", &e);

	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_WATCH, f);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_PORT_BUSID, "1-1");
	off = nlh->nlmsg_len;
	mnl_attr_put_u32(nlh, NMB_WATCH_A_PORT_NOTIFY_ONLY, 1);
	reject(_metadata, nl, nlh, "notify-only flag with a payload", &e);
	EXPECT_EQ(off, e.bad_off);

	/* Unknown and garbage attributes. */
	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_WATCH, f);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_PORT_BUSID, "1-1");
	off = nlh->nlmsg_len;
	mnl_attr_put_u32(nlh, 99, 7);
	reject(_metadata, nl, nlh, "unknown attribute 99", &e);
	EXPECT_EQ(off, e.bad_off);

	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_WATCH, f);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_PORT_BUSID, "1-1");
	off = nlh->nlmsg_len;
	nest = mnl_attr_nest_start(nlh, NMB_WATCH_A_PORT_DEVICE);
	mnl_attr_put_u32(nlh, NMB_WATCH_A_DEVICE_BUSNUM, 1);
	mnl_attr_nest_end(nlh, nest);
	reject(_metadata, nl, nlh, "device nest in WATCH", &e);
	EXPECT_EQ(off, e.bad_off);

	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_UNWATCH, f);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_PORT_BUSID, "1-1");
	mnl_attr_put(nlh, NMB_WATCH_A_PORT_NOTIFY_ONLY, 0, NULL);
	reject(_metadata, nl, nlh, "notify-only in UNWATCH", &e);

	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_WATCH, f);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_PORT_BUSID, "1-1");
	memset((char *)nlh + nlh->nlmsg_len, 0xa5, 3);
	nlh->nlmsg_len += 3;
	reject(_metadata, nl, nlh, "trailing garbage", &e);

	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_WATCH, f);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_PORT_BUSID, "1-1");
	/* An attribute whose length runs past the message. */
	memcpy((char *)nlh + nlh->nlmsg_len,
	       &(struct nlattr){ .nla_len = 200, .nla_type = 2 },
	       sizeof(struct nlattr));
	nlh->nlmsg_len += sizeof(struct nlattr) + 4;
	reject(_metadata, nl, nlh, "overlong attribute", &e);

	/* The socket still works after all that. */
	EXPECT_EQ(0, kt_watch(nl, "1-1", false, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, kt_unwatch(nl, "1-1", &e));
}

TEST_F(nl, unsupported_commands)
{
	struct kt_nl *nl = &self->b.ctl;
	char buf[KT_MSG_SIZE];
	const uint16_t f = NLM_F_REQUEST | NLM_F_ACK;
	struct nlmsghdr *nlh;
	struct kt_err e;

	KT_REQUIRE_BED();
	/* GET is dump-only. */
	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_GET, f);
	EXPECT_EQ(-EOPNOTSUPP, kt_nl_transact(nl, nlh, &e));
	/* WATCH has no dump. */
	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_WATCH, f | NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_PORT_BUSID, "1-1");
	EXPECT_EQ(-EOPNOTSUPP, kt_nl_transact(nl, nlh, &e));
	/* Events are not requests. */
	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_EVENT_NTF, f);
	EXPECT_EQ(-EOPNOTSUPP, kt_nl_transact(nl, nlh, &e));
	nlh = kt_nl_msg(nl, buf, 0, f);
	EXPECT_EQ(-EOPNOTSUPP, kt_nl_transact(nl, nlh, &e));
	nlh = kt_nl_msg(nl, buf, 99, f);
	EXPECT_EQ(-EOPNOTSUPP, kt_nl_transact(nl, nlh, &e));
	EXPECT_EQ(0, kt_count_watches());
}

/* What an unprivileged child saw; sent back through a pipe. */
struct unpriv_result {
	int setup;		/* 0, or where it failed */
	int setup_errno;
	int eff_caps;		/* CAP_NET_ADMIN still effective */
	int watch;
	char watch_msg[256];
	int unwatch;
	int get;		/* ports the dump returned, or -errno */
};

static int drop_all_caps(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { 0 };

	return (int)syscall(SYS_capset, &h, d);
}

static int has_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { 0 };

	if (syscall(SYS_capget, &h, d))
		return -errno;
	return !!(d[0].effective & (1u << CAP_NET_ADMIN));
}

/*
 * unshare(CLONE_NEWUSER) fails with EPERM in a chroot, and the QEMU guest
 * runs the tests chrooted into the host root. In a private mount
 * namespace, leave the chroot and move its root onto "/", the way
 * switch_root does, so the root is the namespace's root again.
 */
static int leave_chroot(void)
{
	const char *sub = "/run/nmb-kt-chroot";
	int top, i;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	top = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (top < 0 || (mkdir(sub, 0700) && errno != EEXIST) ||
	    chroot(sub) || fchdir(top))
		return -errno;
	for (i = 0; i < 64; i++)
		if (chdir(".."))
			return -errno;
	if (chroot(".") || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	/* Back to the old root, then make it "/" of the namespace. */
	if (fchdir(top) || mount(".", "/", NULL, MS_MOVE, NULL) ||
	    chroot(".") || chdir("/"))
		return -errno;
	close(top);
	return 0;
}

static void unpriv_child(int fd, bool userns)
{
	struct unpriv_result r = { 0 };
	struct kt_port ports[16];
	struct kt_err e;
	struct kt_nl nl;

	if (userns) {
		/* Full capabilities, but only over a new user namespace. */
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) &&
		    (errno != EPERM || leave_chroot() ||
		     unshare(CLONE_NEWUSER | CLONE_NEWNET))) {
			r.setup = 1;
			r.setup_errno = errno;
		}
	} else if (drop_all_caps()) {
		r.setup = 2;
	}
	r.eff_caps = has_net_admin();
	if (!r.setup && kt_nl_open(&nl))
		r.setup = 3;
	if (!r.setup) {
		r.watch = kt_watch(&nl, "5-2", false, &e);
		snprintf(r.watch_msg, sizeof(r.watch_msg), "%s", e.msg);
		r.unwatch = kt_unwatch(&nl, "5-1", &e);
		r.get = kt_get(&nl, ports, 16);
		kt_nl_close(&nl);
	}
	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	_exit(0);
}

static void check_unprivileged(struct __test_metadata *_metadata,
			       struct kt_bed *b, bool userns)
{
	struct unpriv_result r;
	struct kt_err e;
	int fds[2], st;
	bool notify;
	pid_t pid;

	/* Positive control: with CAP_NET_ADMIN the same requests work. */
	ASSERT_EQ(1, has_net_admin());
	ASSERT_EQ(0, kt_watch(&b->ctl, "5-1", false, &e)) TH_LOG("%s", e.msg);

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(fds[0]);
		unpriv_child(fds[1], userns);
	}
	close(fds[1]);
	ASSERT_EQ((ssize_t)sizeof(r), read(fds[0], &r, sizeof(r)));
	close(fds[0]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	if (userns && r.setup == 1)
		SKIP(goto out, "no user namespace here: %s",
		     strerror(r.setup_errno));
	ASSERT_EQ(0, r.setup) TH_LOG("child set-up failed at step %d",
				     r.setup);
	if (!userns)
		ASSERT_EQ(0, r.eff_caps);
	EXPECT_EQ(-EPERM, r.watch) TH_LOG("WATCH: %d \"%s\"", r.watch,
					  r.watch_msg);
	EXPECT_EQ(-EPERM, r.unwatch);
	/* GET is not privileged: it sees the parent's watch. */
	if (userns) {
		EXPECT_LE(0, r.get);
	} else {
		EXPECT_EQ(1, r.get);
	}
	/* Nothing changed. */
	EXPECT_EQ(1, count_ports(&b->ctl, "5-1", &notify));
	EXPECT_EQ(0, count_ports(&b->ctl, "5-2", NULL));
out:
	EXPECT_EQ(0, kt_unwatch(&b->ctl, "5-1", &e));
}

TEST_F(nl, eperm_without_cap_net_admin)
{
	KT_REQUIRE_BED();
	check_unprivileged(_metadata, &self->b, false);
}

TEST_F(nl, eperm_in_user_namespace)
{
	KT_REQUIRE_BED();
	check_unprivileged(_metadata, &self->b, true);
}

TEST_HARNESS_MAIN
