// SPDX-License-Identifier: GPL-2.0
/*
 * list_test.c - unit tests of lib/list.h: the kernel's argument order
 * (entry first, head second), order of a queue and a stack, deletion
 * while walking, list_del_init.
 */
#include <stdio.h>
#include <string.h>

#include "list.h"
#include "tap.h"

struct item {
	int v;
	struct list_head node;
};

/* The values of head's items, "1 2 3", into buf. */
static const char *values(struct list_head *head, char *buf, size_t size)
{
	struct item *it;
	size_t len = 0;

	buf[0] = '\0';
	list_for_each_entry(it, head, node)
		len += (size_t)snprintf(buf + len, size - len, "%s%d",
					len ? " " : "", it->v);
	return buf;
}

int main(void)
{
	struct item items[5];
	struct item *it, *next;
	char buf[64];
	LIST_HEAD(queue);
	LIST_HEAD(stack);
	int i;

	printf("TAP version 13\n");
	ok(list_empty(&queue), "a new head is empty");
	for (i = 0; i < 5; i++) {
		items[i].v = i + 1;
		list_add_tail(&items[i].node, &queue);
	}
	ok(!strcmp(values(&queue, buf, sizeof(buf)), "1 2 3 4 5"),
	   "list_add_tail(entry, head) queues in order: %s", buf);
	ok(list_first_entry(&queue, struct item, node) == &items[0],
	   "list_first_entry is the oldest");
	list_for_each_entry_safe(it, next, &queue, node)
		if (it->v % 2 == 0)
			list_del(&it->node);
	ok(!strcmp(values(&queue, buf, sizeof(buf)), "1 3 5"),
	   "list_del while walking with list_for_each_entry_safe: %s", buf);
	ok(items[1].node.next == NULL && list_unlinked(&items[1].node),
	   "list_del leaves the entry unlinked");
	list_del_init(&items[2].node);
	ok(list_empty(&items[2].node) && list_unlinked(&items[2].node),
	   "list_del_init leaves the entry empty");
	list_del_init(&items[2].node);
	ok(!strcmp(values(&queue, buf, sizeof(buf)), "1 5"),
	   "list_del_init twice is harmless: %s", buf);
	list_for_each_entry_safe(it, next, &queue, node)
		list_del(&it->node);
	ok(list_empty(&queue), "deleting every entry empties the head");
	for (i = 0; i < 3; i++)
		list_add(&items[i].node, &stack);
	ok(!strcmp(values(&stack, buf, sizeof(buf)), "3 2 1"),
	   "list_add(entry, head) stacks: %s", buf);
	ok(list_first_entry_or_null(&queue, struct item, node) == NULL &&
	   list_first_entry_or_null(&stack, struct item, node) == &items[2],
	   "list_first_entry_or_null");
	return tap_done();
}
