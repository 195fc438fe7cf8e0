/*
 * OCI image layouts as tar archives (lade/kinds.h): the folder kind's
 * safe extractor and reproducible writer, with the archive's root as the
 * folder and no compression, as ORAS and skopeo write layout archives.
 */
#include "archive_loader.h"
#include "lade/kinds.h"
#include "lade/sys/fs.h"
#include "lade/sys/util.h"
#include "tar_folder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lade_layout_archive_unpack(const char *tar_path, const char *dest)
{
	static const lade_unpack_options defaults = {.preserve_permissions = 0};
	lade_digest tar;
	struct stat st;
	int err;
	if ((err = lade__archive_load()) < 0)
		return err;
	if (stat(tar_path, &st) < 0)
		return lade_error_set(errno == ENOENT ? LADE_ENOTFOUND : LADE_EIO, "cannot read '%s': %s", tar_path,
				      strerror(errno));
	/* The limits of a folder artifact, sized by the archive itself. */
	return lade__tar_extract(tar_path, dest, "", tar_path, (uint64_t)st.st_size, &defaults, &tar);
}

int lade_layout_archive_pack(const char *folder, const char *tar_path)
{
	char tmp[4096];
	lade_digest tar;
	int fd, err;
	if ((err = lade__archive_load()) < 0 || (err = lade_fs_temp_path(tmp, sizeof(tmp), "%s", tar_path)) < 0)
		return err;
	if ((fd = lade_fs_temp_create(tmp)) < 0)
		return lade_error_set(LADE_EIO, "cannot create a file beside '%s': %s", tar_path, strerror(errno));
	if ((err = lade__tar_pack_folder(folder, "./", fd, tar_path, &tar, NULL, NULL)) == 0 && fsync(fd) < 0)
		err = lade_error_set(LADE_EIO, "cannot write '%s': %s", tar_path, strerror(errno));
	if (close(fd) < 0 && err == 0)
		err = lade_error_set(LADE_EIO, "cannot write '%s': %s", tar_path, strerror(errno));
	if (err == 0 && (chmod(tmp, 0644) < 0 || rename(tmp, tar_path) < 0))
		err = lade_error_set(LADE_EIO, "cannot put '%s' in place: %s", tar_path, strerror(errno));
	if (err < 0)
		unlink(tmp);
	return err;
}
