#include "internal.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (256 * 1024)
#define PIPE_CHUNKS 8
#define PIPE_CHUNK_SIZE (256 * 1024)

/*
 * A bounded hand-off from the thread that receives bytes to two workers,
 * one hashing and one writing, so that neither waits for the other:
 * PIPE_CHUNKS buffers of PIPE_CHUNK_SIZE (2 MiB a blob, whatever its size).
 * Counters only grow; chunk n lives in slot n % PIPE_CHUNKS and is free
 * again once both workers are past it.
 */
struct lade__sink_pipe {
	pthread_t hasher, writer;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	char *chunks[PIPE_CHUNKS];
	size_t lengths[PIPE_CHUNKS];
	uint64_t produced; /* chunks handed over */
	uint64_t hashed;   /* chunks the hasher is done with */
	uint64_t written;  /* chunks the writer is done with */
	size_t fill;       /* bytes in the producer's chunk (slot produced % PIPE_CHUNKS) */
	int closing;       /* no more chunks will come */
	int error;         /* the first worker failure, 0 if none */
	lade_error error_detail;
	lade__sink *sink;
};

static int io_error(const char *what, const char *path)
{
	return lade__error(errno == ENOENT ? LADE_ENOTFOUND : LADE_EIO, "cannot %s '%s': %s", what, path,
			   strerror(errno));
}

static void pipe_start(lade__sink *s);

/* mkostemp makes 0600 files; finished files get the mode open(2) would give. */
static mode_t current_umask(void)
{
	mode_t mask = umask(0);
	umask(mask);
	return mask;
}

int lade__sink_open(lade__sink *s, const char *dest, const char *tmpdir, const lade_descriptor *desc)
{
	const char *base = strrchr(dest, '/');
	int err;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->desc = desc;
	if (lade_snprintf(s->dest, sizeof(s->dest), "%s", dest) < 0)
		return LADE_ETOOLARGE;
	base = base ? base + 1 : dest;
	if (tmpdir)
		err = lade_fs_temp_path(s->tmp, sizeof(s->tmp), "%s/%s", tmpdir, base);
	else
		err = lade_fs_temp_path(s->tmp, sizeof(s->tmp), "%.*s.%s", (int)(base - dest), dest, base);
	if (err < 0)
		return err;
	if ((s->fd = lade_fs_temp_create(s->tmp)) < 0) {
		err = io_error("create a temporary file for", dest);
		s->tmp[0] = '\0';
		return err;
	}
	if ((err = lade_hasher_new(&s->hasher, desc->digest.alg)) < 0) {
		lade__sink_abort(s);
		return err;
	}
	if (desc->size >= LADE_SINK_PIPE_MIN)
		pipe_start(s);
	return 0;
}

int lade_fs_temp_path(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t len;
	va_start(ap, fmt);
	n = vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
	len = n < 0 ? outlen : (size_t)n;
	if (len >= outlen ||
	    snprintf(out + len, outlen - len, LADE_TEMP_MARK "%ld-XXXXXX", (long)getpid()) >= (int)(outlen - len))
		return lade__error(LADE_ETOOLARGE, "a temporary name for '%.200s' is too long", out);
	return 0;
}

int lade_fs_temp_create(char *template_path)
{
	int fd = mkostemp(template_path, O_CLOEXEC);
	if (fd >= 0)
		flock(fd, LOCK_EX | LOCK_NB); /* new and unique: nobody else holds it */
	return fd;
}

/*
 * A temporary of lade's, "<anything>.lade-<pid>-XXXXXX": whose pid, or 0
 * when name is not one. The six characters are mkstemp's.
 */
static long temp_owner(const char *name)
{
	const char *mark = strstr(name, LADE_TEMP_MARK), *p;
	char *end;
	long pid;
	if (!mark)
		return 0;
	p = mark + strlen(LADE_TEMP_MARK);
	pid = strtol(p, &end, 10);
	if (end == p || pid <= 0 || *end != '-' || strlen(end + 1) != 6)
		return 0;
	return pid;
}

/* A process that has exited but not been reaped yet still answers kill(pid, 0). */
static int is_zombie(long pid)
{
	char path[64], line[512], *paren;
	FILE *f;
	int zombie = 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "re")))
		return 0;
	if (fgets(line, sizeof(line), f) && (paren = strrchr(line, ')')) && paren[1] == ' ')
		zombie = paren[2] == 'Z' || paren[2] == 'X';
	fclose(f);
	return zombie;
}

/* Is the temporary dir/name abandoned: its process gone and its lock free (checked with dirfd open)? */
static int abandoned(int dirfd, const char *name, long pid, int is_dir)
{
	int fd, free_lock;
	if ((kill((pid_t)pid, 0) == 0 || errno != ESRCH) && !is_zombie(pid))
		return 0; /* its process lives (or is not ours to signal): leave it */
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (is_dir ? O_DIRECTORY : 0));
	if (fd < 0)
		return 0;
	free_lock = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);
	return free_lock;
}

void lade_fs_reclaim_temporaries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d))) {
		long pid = temp_owner(e->d_name);
		struct stat st;
		char path[PATH_MAX];
		if (!pid || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) ||
		    !abandoned(dirfd(d), e->d_name, pid, S_ISDIR(st.st_mode)))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			lade__remove_tree(path);
	}
	closedir(d);
}

int lade_fs_write_all(int fd, const void *data, size_t len, const char *what)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return lade__error(LADE_EIO, "cannot write '%s': %s", what, strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Hash and write bytes to the temporary file (the worker's job, or the caller's for small blobs). */
static int hash_and_write(lade__sink *s, const char *p, size_t len)
{
	int err;
	if ((err = lade_hasher_update(s->hasher, p, len)) < 0)
		return err;
	return lade_fs_write_all(s->fd, p, len, s->tmp);
}

/* One worker: the hasher (hash = 1) or the writer. */
static void work(struct lade__sink_pipe *pp, int hash)
{
	uint64_t *done = hash ? &pp->hashed : &pp->written;
	pthread_mutex_lock(&pp->lock);
	for (;;) {
		size_t at;
		int err = 0, failed;
		while (*done == pp->produced && !pp->closing)
			pthread_cond_wait(&pp->changed, &pp->lock);
		if (*done == pp->produced)
			break;
		at = (size_t)(*done % PIPE_CHUNKS);
		failed = pp->error;
		pthread_mutex_unlock(&pp->lock);
		if (!failed)
			err = hash ? lade_hasher_update(pp->sink->hasher, pp->chunks[at], pp->lengths[at])
				   : lade_fs_write_all(pp->sink->fd, pp->chunks[at], pp->lengths[at], pp->sink->tmp);
		pthread_mutex_lock(&pp->lock);
		if (err < 0 && !pp->error) {
			pp->error = err;
			pp->error_detail = *lade_error_last();
		}
		(*done)++;
		pthread_cond_broadcast(&pp->changed);
	}
	pthread_mutex_unlock(&pp->lock);
}

static void *hash_worker(void *arg)
{
	work(arg, 1);
	return NULL;
}

static void *write_worker(void *arg)
{
	work(arg, 0);
	return NULL;
}

static void pipe_free(struct lade__sink_pipe *pp)
{
	size_t i;
	for (i = 0; i < PIPE_CHUNKS; i++)
		free(pp->chunks[i]);
	pthread_mutex_destroy(&pp->lock);
	pthread_cond_destroy(&pp->changed);
	free(pp);
}

/* Start the workers; on any failure the sink simply stays synchronous. */
static void pipe_start(lade__sink *s)
{
	struct lade__sink_pipe *pp = calloc(1, sizeof(*pp));
	size_t i;
	if (!pp)
		return;
	pthread_mutex_init(&pp->lock, NULL);
	pthread_cond_init(&pp->changed, NULL);
	pp->sink = s;
	for (i = 0; i < PIPE_CHUNKS; i++) {
		if (!(pp->chunks[i] = malloc(PIPE_CHUNK_SIZE))) {
			pipe_free(pp);
			return;
		}
	}
	if (pthread_create(&pp->hasher, NULL, hash_worker, pp) != 0) {
		pipe_free(pp);
		return;
	}
	if (pthread_create(&pp->writer, NULL, write_worker, pp) != 0) {
		pthread_mutex_lock(&pp->lock);
		pp->closing = 1;
		pthread_cond_broadcast(&pp->changed);
		pthread_mutex_unlock(&pp->lock);
		pthread_join(pp->hasher, NULL);
		pipe_free(pp);
		return;
	}
	s->pipe = pp;
}

/* Hand the producer's chunk to the workers and wait until its next slot is free. */
static int pipe_hand_over(struct lade__sink_pipe *pp)
{
	int err;
	pthread_mutex_lock(&pp->lock);
	pp->lengths[pp->produced % PIPE_CHUNKS] = pp->fill;
	pp->produced++;
	pp->fill = 0;
	pthread_cond_broadcast(&pp->changed);
	while (!pp->error && pp->produced - (pp->hashed < pp->written ? pp->hashed : pp->written) == PIPE_CHUNKS)
		pthread_cond_wait(&pp->changed, &pp->lock);
	err = pp->error;
	pthread_mutex_unlock(&pp->lock);
	return err;
}

/* Flush what is left, stop the workers, and report a failure if any. */
static int pipe_finish(lade__sink *s)
{
	struct lade__sink_pipe *pp = s->pipe;
	int err = 0;
	if (!pp)
		return 0;
	if (pp->fill && !pp->error)
		pipe_hand_over(pp);
	pthread_mutex_lock(&pp->lock);
	pp->closing = 1;
	pthread_cond_broadcast(&pp->changed);
	pthread_mutex_unlock(&pp->lock);
	pthread_join(pp->hasher, NULL);
	pthread_join(pp->writer, NULL);
	if (pp->error) {
		err = pp->error;
		*(lade_error *)lade_error_last() = pp->error_detail;
	}
	pipe_free(pp);
	s->pipe = NULL;
	return err;
}

int lade__sink_write(lade__sink *s, const void *data, size_t len)
{
	struct lade__sink_pipe *pp = s->pipe;
	const char *p = data;
	int err;
	if (len > s->desc->size - s->written || s->written > s->desc->size)
		return lade__error(LADE_EDIGEST, "content of %s is larger than the %llu bytes expected",
				   s->desc->digest.str, (unsigned long long)s->desc->size);
	if (!pp) {
		if ((err = hash_and_write(s, p, len)) < 0)
			return err;
		s->written += len;
		return 0;
	}
	while (len) {
		size_t room = PIPE_CHUNK_SIZE - pp->fill, take = len < room ? len : room;
		memcpy(pp->chunks[pp->produced % PIPE_CHUNKS] + pp->fill, p, take);
		pp->fill += take;
		p += take;
		len -= take;
		s->written += take;
		if (pp->fill == PIPE_CHUNK_SIZE && (err = pipe_hand_over(pp)) < 0) {
			*(lade_error *)lade_error_last() = pp->error_detail;
			return err;
		}
	}
	return 0;
}

/* Is dest a regular file with desc's size and digest (put there by a lade that fetched it meanwhile)? */
static int already_there(const char *dest, const lade_descriptor *desc)
{
	lade_digest got;
	uint64_t size = 0;
	struct stat st;
	if (lstat(dest, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != desc->size)
		return 0;
	if (lade_digest_file(&got, &size, desc->digest.alg, dest) < 0) {
		lade_error_clear();
		return 0;
	}
	return size == desc->size && lade_digest_equal(&got, &desc->digest);
}

int lade__sink_open_resumable(lade__sink *s, const char *dest, const lade_descriptor *desc)
{
	const char *base = strrchr(dest, '/');
	char *chunk = NULL;
	struct stat st;
	int err;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->desc = desc;
	base = base ? base + 1 : dest;
	if ((err = lade_snprintf(s->dest, sizeof(s->dest), "%s", dest)) < 0 ||
	    (err = lade_snprintf(s->tmp, sizeof(s->tmp), "%.*s.%s.%.16s.lade-partial", (int)(base - dest), dest, base,
				 lade_digest_hex(&desc->digest))) < 0)
		return err;
	for (;;) {
		struct stat held, named;
		if ((s->fd = open(s->tmp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600)) < 0) {
			err = io_error("create a temporary file for", dest);
			s->tmp[0] = '\0';
			return err;
		}
		/* Another lade fetching the same blob to the same place: wait for it, then take what it made. */
		while (flock(s->fd, LOCK_EX) < 0 && errno == EINTR)
			;
		if (fstat(s->fd, &held) < 0 || !S_ISREG(held.st_mode)) {
			err = lade__error(LADE_EUNSAFE, "'%s' is in the way and is not a regular file; refusing it",
					  s->tmp);
			close(s->fd);
			s->fd = -1;
			s->tmp[0] = '\0'; /* not ours to remove */
			return err;
		}
		if (stat(s->tmp, &named) == 0 && held.st_ino == named.st_ino && held.st_dev == named.st_dev)
			break; /* the partial file is ours now */
		close(s->fd);
		s->fd = -1;
		if (already_there(dest, desc)) {
			s->complete = 1;
			s->tmp[0] = '\0';
			return 0;
		}
		/* It gave up or was renamed into place and replaced since: start over. */
	}
	fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) & ~O_NONBLOCK);
	s->keep_partial = 1;
	if ((err = lade_hasher_new(&s->hasher, desc->digest.alg)) < 0)
		goto fail;
	if (fstat(s->fd, &st) < 0) {
		err = io_error("read", s->tmp);
		goto fail;
	}
	if ((uint64_t)st.st_size > desc->size && ftruncate(s->fd, 0) < 0) {
		err = io_error("rewind", s->tmp);
		goto fail;
	}
	/* What an earlier run left: hash it again, then carry on after it. */
	if ((uint64_t)st.st_size <= desc->size && st.st_size > 0) {
		if (!(chunk = malloc(COPY_CHUNK))) {
			err = lade_error_set_oom();
			goto fail;
		}
		while ((n = read(s->fd, chunk, COPY_CHUNK)) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				err = io_error("read", s->tmp);
				goto fail;
			}
			if ((err = lade_hasher_update(s->hasher, chunk, (size_t)n)) < 0)
				goto fail;
			s->written += (uint64_t)n;
		}
		free(chunk);
		chunk = NULL;
	}
	if (lseek(s->fd, (off_t)s->written, SEEK_SET) < 0) {
		err = io_error("seek in", s->tmp);
		goto fail;
	}
	if (desc->size - s->written >= LADE_SINK_PIPE_MIN)
		pipe_start(s);
	return 0;
fail:
	free(chunk);
	s->keep_partial = 0;
	lade__sink_abort(s);
	return err;
}

int lade__sink_restart(lade__sink *s)
{
	int err, piped = s->pipe != NULL;
	if ((err = pipe_finish(s)) < 0)
		return err;
	if (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0)
		return io_error("rewind", s->tmp);
	lade_hasher_free(s->hasher);
	s->hasher = NULL;
	s->written = 0;
	if ((err = lade_hasher_new(&s->hasher, s->desc->digest.alg)) < 0)
		return err;
	if (piped)
		pipe_start(s);
	return 0;
}

int lade__sink_commit(lade__sink *s)
{
	lade_digest got;
	int err, closed;
	if ((err = pipe_finish(s)) < 0)
		goto fail;
	if (s->written != s->desc->size) {
		err = lade__error(LADE_EDIGEST, "content of %s is %llu bytes, expected %llu", s->desc->digest.str,
				  (unsigned long long)s->written, (unsigned long long)s->desc->size);
		goto fail;
	}
	if ((err = lade_hasher_final(s->hasher, &got)) < 0)
		goto fail;
	if (!lade_digest_equal(&got, &s->desc->digest)) {
		err = lade__error(LADE_EDIGEST, "digest mismatch: expected %s, got %s", s->desc->digest.str, got.str);
		goto fail;
	}
	if (fchmod(s->fd, 0666 & ~current_umask()) < 0) {
		err = io_error("write", s->tmp);
		goto fail;
	}
	/* Renamed while still open, so the lock is held until the file has its name: a lade waiting on
	   it then finds the blob in place, never a partial file that is about to move. */
	if (rename(s->tmp, s->dest) < 0) {
		err = io_error("rename into", s->dest);
		goto fail;
	}
	s->tmp[0] = '\0';
	closed = close(s->fd);
	s->fd = -1;
	if (closed < 0) {
		err = io_error("write", s->dest);
		goto fail;
	}
	lade_hasher_free(s->hasher);
	s->hasher = NULL;
	return 0;
fail:
	s->keep_partial = 0; /* content that proved wrong is never resumed */
	lade__sink_abort(s);
	return err;
}

void lade__sink_abort(lade__sink *s)
{
	pipe_finish(s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->tmp[0] && !(s->keep_partial && s->written > 0))
		unlink(s->tmp);
	s->tmp[0] = '\0';
	lade_hasher_free(s->hasher);
	s->hasher = NULL;
}

int lade__sink_copy_from(lade__sink *s, const char *src, uint64_t *copied)
{
	char *chunk = malloc(COPY_CHUNK);
	int fd, err = 0;
	ssize_t n;
	if (!chunk)
		return lade_error_set_oom();
	if ((fd = lade_fs_open_regular(src)) < 0) {
		free(chunk);
		return fd;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while ((n = read(fd, chunk, COPY_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = io_error("read", src);
			break;
		}
		if ((err = lade__sink_write(s, chunk, (size_t)n)) < 0)
			break;
	}
	if (copied)
		*copied = s->written;
	close(fd);
	free(chunk);
	return err;
}

int lade_fs_open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), flags;
	const char *what;
	if (fd < 0)
		return io_error("open", path);
	if (fstat(fd, &st) < 0) {
		int err = io_error("read", path);
		close(fd);
		return err;
	}
	if (S_ISREG(st.st_mode)) {
		if ((flags = fcntl(fd, F_GETFL)) >= 0)
			fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
		return fd;
	}
	close(fd);
	what = S_ISDIR(st.st_mode)                          ? "a folder"
	       : S_ISFIFO(st.st_mode)                       ? "a FIFO"
	       : S_ISSOCK(st.st_mode)                       ? "a socket"
	       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
							    : "not a regular file";
	return lade__error(LADE_EINVALID, "'%s' is %s; refusing to read it", path, what);
}

int lade__mkdirs(const char *path, mode_t mode)
{
	char work[PATH_MAX];
	char *p;
	if (lade_snprintf(work, sizeof(work), "%s", path) < 0)
		return LADE_ETOOLARGE;
	for (p = work + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(work, mode) < 0 && errno != EEXIST)
			return io_error("create folder", work);
		*p = '/';
	}
	if (mkdir(work, mode) < 0 && errno != EEXIST)
		return io_error("create folder", work);
	return 0;
}

int lade__read_file(lade_buf *out, const char *path, size_t max)
{
	char chunk[65536];
	int fd = lade_fs_open_regular(path), err = 0;
	ssize_t n;
	if (fd < 0)
		return fd;
	lade_buf_init(out, max);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = io_error("read", path);
			break;
		}
		if ((err = lade_buf_put(out, chunk, (size_t)n)) < 0) {
			if (err == LADE_ETOOLARGE)
				err = lade__error(LADE_ETOOLARGE, "'%s' is over the %zu-byte limit", path, max);
			break;
		}
	}
	close(fd);
	if (err < 0)
		lade_buf_dispose(out);
	return err;
}

int lade__atomic_open(lade__atomic *w, const char *path)
{
	int err;
	w->fd = -1;
	w->path = path;
	if ((err = lade_fs_temp_path(w->tmp, sizeof(w->tmp), "%s", path)) < 0)
		return err;
	if ((w->fd = lade_fs_temp_create(w->tmp)) < 0) {
		err = io_error("create a temporary file for", path);
		w->tmp[0] = '\0';
		return err;
	}
	return 0;
}

int lade__atomic_write(lade__atomic *w, const void *data, size_t len)
{
	return lade_fs_write_all(w->fd, data, len, w->tmp);
}

void lade__atomic_abort(lade__atomic *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp[0])
		unlink(w->tmp);
	w->tmp[0] = '\0';
}

int lade__atomic_commit(lade__atomic *w, mode_t mode)
{
	int err, closed;
	if (fchmod(w->fd, mode) < 0 || fsync(w->fd) < 0) {
		err = io_error("write", w->tmp);
		goto fail;
	}
	closed = close(w->fd);
	w->fd = -1;
	if (closed < 0) {
		err = io_error("write", w->tmp);
		goto fail;
	}
	if (rename(w->tmp, w->path) < 0) {
		err = io_error("rename into", w->path);
		goto fail;
	}
	w->tmp[0] = '\0';
	return 0;
fail:
	lade__atomic_abort(w);
	return err;
}

int lade__write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	lade__atomic w;
	int err;
	if ((err = lade__atomic_open(&w, path)) < 0)
		return err;
	if ((err = lade__atomic_write(&w, data, len)) < 0) {
		lade__atomic_abort(&w);
		return err;
	}
	return lade__atomic_commit(&w, mode);
}

/*
 * Remove what path (a buffer of PATH_MAX, len long) names, or with keep only
 * what is in it; the one buffer serves every level, so depth costs no stack.
 */
static void remove_at(char *path, size_t len, int depth, int keep)
{
	struct stat st;
	DIR *dir;
	struct dirent *e;
	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if (depth < 4096 && (dir = opendir(path))) {
		while ((e = readdir(dir))) {
			size_t n = strlen(e->d_name);
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || len + n + 2 > PATH_MAX)
				continue;
			path[len] = '/';
			memcpy(path + len + 1, e->d_name, n + 1);
			remove_at(path, len + 1 + n, depth + 1, 0);
			path[len] = '\0';
		}
		closedir(dir);
	}
	if (!keep)
		rmdir(path);
}

/* The contents of path go, and with keep_top unset the folder itself. */
static void remove_from(const char *path, int keep_top)
{
	char *work = malloc(PATH_MAX);
	size_t len = strlen(path);
	if (work && len < PATH_MAX) {
		memcpy(work, path, len + 1);
		remove_at(work, len, 0, keep_top);
	}
	free(work);
}

void lade__remove_tree(const char *path)
{
	remove_from(path, 0);
}

void lade_fs_empty_folder(const char *path)
{
	remove_from(path, 1);
}

int lade_base_name(const char *path, char *out, size_t outlen)
{
	size_t len = strlen(path);
	const char *start;
	while (len > 1 && path[len - 1] == '/')
		len--;
	start = path + len;
	while (start > path && start[-1] != '/')
		start--;
	if ((size_t)(path + len - start) >= outlen)
		return lade__error(LADE_ETOOLARGE, "name in '%s' is too long", path);
	memcpy(out, start, (size_t)(path + len - start));
	out[path + len - start] = '\0';
	return 0;
}
