/* Unit tests for the tree helpers (core/tree.c): names cleaned, links resolved through the tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

typedef struct fixture {
	char root[64];
	int fd;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/lade-tree-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	f->fd = open(f->root, O_RDONLY | O_DIRECTORY);
	*state = f;
	return f->fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	close(f->fd);
	lade__remove_tree(f->root);
	free(f);
	return 0;
}

static void make_link(fixture *f, const char *target, const char *name)
{
	assert_int_equal(symlinkat(target, f->fd, name), 0);
}

static void test_tree_clean__table(void **state)
{
	static const struct {
		const char *in, *out;
		int err;
	} cases[] = {
	    {"a/b/c", "a/b/c", 0},          {"./a//b/./", "a/b", 0},    {"", "", 0},
	    {"a/../b", NULL, LADE_EUNSAFE}, {"..", NULL, LADE_EUNSAFE}, {"/etc/passwd", NULL, LADE_EUNSAFE},
	};
	char out[PATH_MAX];
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(lade_fs_tree_clean(cases[i].in, out, sizeof(out)), cases[i].err);
		if (cases[i].out)
			assert_string_equal(out, cases[i].out);
	}
}

static void test_tree_clean__depth_bounded(void **state)
{
	char in[1024] = "", out[PATH_MAX];
	int i;
	(void)state;
	for (i = 0; i < 200; i++)
		strcat(in, "a/");
	assert_int_equal(lade_fs_tree_clean(in, out, sizeof(out)), LADE_ETOOLARGE);
}

static void test_tree_link_inside__chains_resolved(void **state)
{
	fixture *f = *state;
	make_link(f, ".", "s");
	assert_int_equal(mkdirat(f->fd, "sub", 0755), 0);
	/* Counting ".." in the text would pass these; the tree says where they lead. */
	assert_int_equal(lade_fs_tree_link_inside(f->fd, "", "s/s/s/s/../..", "e"), LADE_EUNSAFE);
	assert_int_equal(lade_fs_tree_link_inside(f->fd, "sub", "../s/..", "e"), LADE_EUNSAFE);
	assert_int_equal(lade_fs_tree_link_inside(f->fd, "sub", "../s/sub", "e"), 0);
	assert_int_equal(lade_fs_tree_link_inside(f->fd, "", "/etc", "e"), LADE_EUNSAFE);
	assert_int_equal(lade_fs_tree_link_inside(f->fd, "sub", "..", "e"), 0);
	assert_int_equal(lade_fs_tree_link_inside(f->fd, "sub", "../..", "e"), LADE_EUNSAFE);
}

static void test_tree_link_inside__loops_bounded(void **state)
{
	fixture *f = *state;
	make_link(f, "b", "a");
	make_link(f, "a", "b");
	assert_int_equal(lade_fs_tree_link_inside(f->fd, "", "a/x", "c"), LADE_EUNSAFE);
	assert_non_null(strstr(lade_error_last()->message, "more than 40 links"));
}

static void test_tree_check_links__late_link_turns_outward(void **state)
{
	fixture *f = *state;
	/* Inside when made (y absent is taken as a folder)... */
	assert_int_equal(lade_fs_tree_link_inside(f->fd, "", "y/..", "a"), 0);
	make_link(f, "y/..", "a");
	assert_int_equal(lade_fs_tree_check_links(f->fd), 0);
	/* ...out once y -> . exists. */
	make_link(f, ".", "y");
	assert_int_equal(lade_fs_tree_check_links(f->fd), LADE_EUNSAFE);
}

static void test_tree_parent__never_through_a_link(void **state)
{
	fixture *f = *state;
	const char *leaf;
	int dirfd;
	make_link(f, "/tmp", "out");
	assert_int_equal(lade_fs_tree_parent(f->fd, "out/x", 1, 0755, &dirfd, &leaf, "out/x"), LADE_EUNSAFE);
	assert_non_null(strstr(lade_error_last()->message, "'out' is a symlink"));
	assert_int_equal(lade_fs_tree_parent(f->fd, "new/deep/x", 1, 0755, &dirfd, &leaf, "new/deep/x"), 0);
	assert_string_equal(leaf, "x");
	close(dirfd);
}

static void test_tree_resolve__through_inside_links(void **state)
{
	fixture *f = *state;
	char out[PATH_MAX];
	assert_int_equal(mkdirat(f->fd, "real", 0755), 0);
	make_link(f, "real", "alias");
	assert_int_equal(lade_fs_tree_resolve(f->fd, "alias/sub", out, sizeof(out), "t"), 0);
	assert_string_equal(out, "real/sub");
	make_link(f, "../..", "up");
	assert_int_equal(lade_fs_tree_resolve(f->fd, "up/x", out, sizeof(out), "t"), LADE_EUNSAFE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree_clean__table),
	    cmocka_unit_test(test_tree_clean__depth_bounded),
	    cmocka_unit_test_setup_teardown(test_tree_link_inside__chains_resolved, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree_link_inside__loops_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree_check_links__late_link_turns_outward, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree_parent__never_through_a_link, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree_resolve__through_inside_links, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
